"""Pull 50,000 items over 500 pages from the stand-in ERP, 5% of its answers being 429 or 500.

    .venv/bin/python bench/connector_pull.py [--items 50000] [--page-size 100] [--failure-rate 0.05]

The stand-in runs as its own process (`manage.py run_erp_standin`, OAuth2, seeded failures,
Retry-After 1 s); the connector runs in this one against a fresh PostgreSQL database and Redis,
as a Celery worker would. Messages are stored in the inbox and left for the inbox's drains
(measured by bench/intake.py); this bench measures the pull. It checks that every item was
stored exactly once, that the watermark is the newest item's updated-at, and that a rerun
stores nothing new, then prints records per second of wall time and per CPU second of this
process. Floors: 1,500 records per CPU second (Weft's own cost, which a loaded machine does not
change much) and 200 records/s of wall time (which it does: this machine's 2 cores are shared).
Exits 1 on a failed check.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import PYTHON, ROOT, bench_database, django_setup, free_port, verdict

FLOOR_RECORDS_PER_SECOND = 200
FLOOR_RECORDS_PER_CPU_SECOND = 1500


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the stand-in ERP exited before it served")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the stand-in ERP did not listen in time")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    arguments = parser.parse_args()

    with bench_database("connector_pull") as environment:
        django_setup(environment)
        from celery import current_app
        from django.db.models import Count
        from tqdm import tqdm

        from integrations.connectors.demo import ITEM_MAPPING, mapping_ready
        from integrations.connectors.pull import connector_sync
        from integrations.connectors.services import connector_create, partner_api_configure
        from integrations.connectors.standin import EPOCH, item_record
        from integrations.models import InboundMessage, Mapping, PulledRecord
        from integrations.services import external_system_register, ownership_set

        # The drains this intake wakes go to a queue of the bench's own, removed at the end.
        queue = f"bench-connector-{uuid.uuid4().hex[:8]}"
        current_app.conf.update(task_default_queue=queue, task_routes={})

        port = free_port()
        standin = subprocess.Popen(
            [
                PYTHON,
                "manage.py",
                "run_erp_standin",
                f"--port={port}",
                f"--items={arguments.items}",
                f"--failure-rate={arguments.failure_rate}",
                "--seed=7",
                "--auth=oauth2",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, standin)
            system = external_system_register(code="BENCH-ERP", name="Bench ERP", kind="erp")
            ownership_set(object_type="item", system=system)
            api = partner_api_configure(
                system=system,
                base_url=f"http://127.0.0.1:{port}/api/v1",
                auth_kind="oauth2",
                token_url=f"http://127.0.0.1:{port}/oauth/token",
                username="weft-client",
                secret="standin-secret",
                timeout_seconds=10,
                requests_per_second=0,
                failure_threshold=10,
            )
            mapping = mapping_ready(
                name="standin-items",
                direction=Mapping.Direction.INBOUND,
                message_type="item.upserted",
                expression=ITEM_MAPPING,
                sample=item_record(5, EPOCH),
            )
            connector = connector_create(
                api=api,
                resource="items",
                path="items",
                mapping=mapping,
                page_size=arguments.page_size,
                retry_base_seconds=0.2,
                page_attempts=6,
            )
            pages = -(-arguments.items // arguments.page_size)
            with tqdm(total=pages, desc="pull", unit="page", mininterval=2) as bar:

                def progress(run) -> None:
                    bar.update(run.pages - bar.n)

                cpu_before = time.process_time()
                run = connector_sync(connector=connector, trigger="bench", progress=progress)
                cpu_seconds = time.process_time() - cpu_before
            rerun = connector_sync(connector=connector, trigger="bench")
        finally:
            standin.terminate()
            standin.wait(timeout=10)
            with current_app.connection_for_write() as connection:
                connection.default_channel.queue_delete(queue)

        stored = InboundMessage.objects.filter(system=system)
        total = stored.count()
        keys = stored.values("idempotency_key").distinct().count()
        codes = (
            stored.values("envelope__data__code").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        connector.refresh_from_db()
        expected_watermark = EPOCH.timestamp() + arguments.items
        rate = run.records / (run.duration_ms / 1000) if run.duration_ms else 0.0
        checks = {
            "run succeeded": run.status == "succeeded",
            f"{arguments.items:,} items stored once": total == arguments.items == keys
            and codes == 0,
            "every record known": PulledRecord.objects.filter(connector=connector).count()
            == arguments.items,
            "watermark is the newest updated-at": connector.watermark is not None
            and connector.watermark.timestamp() == expected_watermark,
            "rerun stored nothing new": rerun.status == "succeeded"
            and rerun.new == rerun.changed == 0
            and stored.count() == total,
            f"at least {FLOOR_RECORDS_PER_SECOND:,} records/s": rate >= FLOOR_RECORDS_PER_SECOND,
            f"at least {FLOOR_RECORDS_PER_CPU_SECOND:,} records per CPU second": run.records
            / cpu_seconds
            >= FLOOR_RECORDS_PER_CPU_SECOND,
        }
        print(
            f"pulled {run.records:,} records over {run.pages} pages in "
            f"{run.duration_ms / 1000:.1f} s: {rate:,.0f} records/s "
            f"(floor {FLOOR_RECORDS_PER_SECOND:,}/s); {run.retries} retried answers "
            f"(429/500 at a {arguments.failure_rate:.0%} rate); "
            f"error: {run.error or 'none'}"
        )
        print(
            f"this process used {cpu_seconds:.1f} CPU seconds for it "
            f"({run.records / cpu_seconds:,.0f} records per CPU second, floor "
            f"{FLOOR_RECORDS_PER_CPU_SECOND:,}); load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        print(
            f"rerun: {rerun.records:,} records in the overlap window, {rerun.new} new, "
            f"{rerun.changed} changed, {rerun.unchanged:,} unchanged, {rerun.duration_ms} ms"
        )
        for name, passed in checks.items():
            print(f"  {verdict(passed)}  {name}")
        return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
