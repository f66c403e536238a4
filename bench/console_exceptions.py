"""The planner console's exception list with 100,000 open exceptions.

    .venv/bin/python bench/console_exceptions.py [--open 100000] [--requests 30] [--verbose]

Seeds `open` open exceptions (plus a tenth as many closed ones) spread over every kind, four
severities, 5 plants, 60 suppliers, 300 items and 6 planners (bulk inserts), signs a planner in,
and asks the console through Django's test Client `requests` times after a warm-up, on
PostgreSQL with the production settings. Prints the median and p90 server time (the whole
request through the middleware stack and the templates, no network) and the queries of one
request. Floors: the first page under 150 ms median; a filter change (the htmx answer to a new
kind, plant, supplier or owner filter, with the counts per kind out of band) under 300 ms
median. Exits 1 below a floor or on a non-200 answer.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import bench_database, django_setup, percentile, verdict

FIRST_PAGE_FLOOR_MS = 150.0
FILTER_FLOOR_MS = 300.0
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "exception-list"}


def seed(open_count: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone
    from tqdm import tqdm

    from integrations.roles import PLANNERS
    from masterdata.models import Item, Plant, Supplier, UnitOfMeasure
    from planning.models import PlanningException

    group = Group.objects.create(name=PLANNERS)
    users = get_user_model()
    planners = []
    for n in range(6):
        user = users.objects.create_user(username=f"planner{n}", password="x" * 20)
        user.groups.add(group)
        planners.append(user)
    each = UnitOfMeasure.objects.create(code="EA", name="Each", dimension="count")
    plants = [Plant.objects.create(code=f"P{n}00", name=f"Plant {n}") for n in range(1, 6)]
    suppliers = Supplier.objects.bulk_create(
        [Supplier(code=f"S{n:03d}", name=f"Supplier {n}", status="approved") for n in range(60)]
    )
    items = Item.objects.bulk_create(
        [
            Item(code=f"ITEM-{n:05d}", base_uom=each, item_type="buy", planner=planners[n % 6])
            for n in range(300)
        ]
    )
    kinds = PlanningException.Kind.values
    now = timezone.now()
    total = open_count + open_count // 10
    batch = []
    with tqdm(total=total, desc="exceptions", unit="row") as progress:
        for n in range(total):
            closed = n >= open_count
            kind = kinds[n % len(kinds)]
            item = items[(n * 7) % len(items)]
            opened = now - timedelta(minutes=(n * 37) % (60 * 24 * 60))
            state = (
                ("closed" if n % 2 else "resolved")
                if closed
                else ("new", "acknowledged", "snoozed", "new")[n % 4]
            )
            batch.append(
                PlanningException(
                    key=f"{kind}:bench:{n}",
                    kind=kind,
                    severity=1 + (n * 13) % 4,
                    item=item,
                    plant=plants[n % len(plants)],
                    supplier=suppliers[(n * 11) % len(suppliers)],
                    planner=item.planner,
                    assigned_to=item.planner,
                    summary=f"{item.code} @ P{1 + n % 5}00: {kind.replace('_', ' ')} of {10 + n % 90} EA",
                    detail={"bench": n},
                    due_at=now + timedelta(hours=(n * 5) % 720 - 72),
                    state=state,
                    snoozed_until=now + timedelta(days=2) if state == "snoozed" else None,
                    opened_at=opened,
                    last_seen_at=opened,
                    closed_at=now if closed else None,
                )
            )
            if len(batch) == 5000:
                PlanningException.objects.bulk_create(batch)
                progress.update(len(batch))
                batch = []
        if batch:
            PlanningException.objects.bulk_create(batch)
            progress.update(len(batch))
    # Autovacuum does this on a live system; a bench that just bulk-loaded must ask for it.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE planning_exception")
        cursor.execute("ANALYZE")
    return planners[0], PlanningException.objects.open().count()


def measure(
    client, url: str, requests: int, headers: dict, verbose: bool
) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url, secure=True, **headers)
    timings, status = [], 200
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, secure=True, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        status = max(status, response.status_code)
    measure.cpu_ms = (time.process_time() - cpu_started) * 1000 / requests
    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True, **headers)
    if verbose:
        for query in sorted(queries, key=lambda q: -float(q["time"]))[:4]:
            print(f"    {float(query['time']) * 1000:6.1f} ms  {query['sql'][:160]}")
    return timings, len(queries), status


def explain(planner) -> None:
    """EXPLAIN ANALYZE of the first page's list and counts queries, to see the indexes at work."""
    from django.db import connection
    from django.http import QueryDict

    from planning.exceptions import selectors

    for query in ("", "kind=shortage", "state=open&age=7d"):
        filterset = selectors.exception_filter(QueryDict(query), user=planner)
        page_query = selectors.exception_page_queryset(filterset.qs, sort="severity")
        sql, params = page_query[: selectors.PAGE_SIZE + 1].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {sql}", params)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"-- list {query or '(default view)'}")
        print("\n".join(plan[:6]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--verbose", action="store_true", help="print the slowest queries")
    parser.add_argument(
        "--explain", action="store_true", help="print PostgreSQL's plan of the first page's queries"
    )
    args = parser.parse_args()
    with bench_database("console_exceptions") as environment:
        environment["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
        django_setup(environment)
        from django.test import Client
        from django.test.utils import override_settings

        # The production manifest needs collectstatic; the page's static URLs cost the same either way.
        override_settings(
            STORAGES={
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            }
        ).enable()

        started = time.perf_counter()
        planner, open_count = seed(args.open)
        print(f"seeded {open_count} open exceptions in {time.perf_counter() - started:.1f} s")
        client = Client()
        client.force_login(planner)
        cases = [
            ("first page (full page)", "/console/", {}, FIRST_PAGE_FLOOR_MS),
            ("first page (htmx list)", "/console/", HTMX, FIRST_PAGE_FLOOR_MS),
            ("filter: kind shortage", "/console/?kind=shortage", HTMX, FILTER_FLOOR_MS),
            ("filter: plant P300", "/console/?plant=P300", HTMX, FILTER_FLOOR_MS),
            (
                "filter: supplier S017 + high",
                "/console/?supplier=S017&severity=high",
                HTMX,
                FILTER_FLOOR_MS,
            ),
            (
                "filter: owner planner3, oldest",
                "/console/?planner=planner3&sort=oldest",
                HTMX,
                FILTER_FLOOR_MS,
            ),
            ("filter: all open, > 1 week", "/console/?state=open&age=7d", HTMX, FILTER_FLOOR_MS),
            ("search 'ITEM-00042'", "/console/?q=ITEM-00042", HTMX, FILTER_FLOOR_MS),
            ("search 'reschedule'", "/console/?q=reschedule", HTMX, None),
        ]
        if args.explain:
            explain(planner)
        # The machine may be shared: the load says how far wall time stands from CPU time.
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        passed = True
        for label, url, headers, floor in cases:
            timings, query_count, status = measure(
                client, url, args.requests, headers, args.verbose
            )
            median = statistics.median(timings)
            ok = status == 200 and (floor is None or median < floor)
            passed = passed and ok
            floor_text = f"floor < {floor:.0f} ms {verdict(ok)}" if floor else "(no floor)"
            print(
                f"{label:34} median {median:6.1f} ms  p90 {percentile(timings, 0.9):6.1f} ms  "
                f"django cpu {measure.cpu_ms:5.1f} ms  {query_count:2d} queries  status {status}  {floor_text}"
            )
        # A deep keyset page: the cursor of page 41's last row.
        from urllib.parse import quote

        from planning.exceptions import selectors
        from planning.models import PlanningException

        cursor = ""
        view = PlanningException.objects.actionable()
        for _ in range(41):
            cursor = selectors.exception_page(view, sort="severity", after=cursor).next_cursor
        timings, query_count, status = measure(
            client, f"/console/?after={quote(cursor)}", args.requests, HTMX, args.verbose
        )
        median = statistics.median(timings)
        ok = status == 200 and median < FIRST_PAGE_FLOOR_MS
        passed = passed and ok
        print(
            f"{'page 42 (keyset)':34} median {median:6.1f} ms  p90 {percentile(timings, 0.9):6.1f} ms  "
            f"django cpu {measure.cpu_ms:5.1f} ms  "
            f"{query_count:2d} queries  status {status}  floor < {FIRST_PAGE_FLOOR_MS:.0f} ms {verdict(ok)}"
        )
        print(f"console exception list, {open_count} open exceptions: {verdict(passed)}")
        return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
