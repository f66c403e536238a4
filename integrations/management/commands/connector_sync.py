"""Run a connector now: `manage.py connector_sync ERP-EU/items [--full]`, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.connectors.pull import connector_sync
from integrations.models import Connector


class Command(BaseCommand):
    help = (
        "Pull one connector now (SYSTEM/RESOURCE, e.g. ERP-EU/items); --full ignores the watermark."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector", help="SYSTEM/RESOURCE, e.g. ERP-EU/items")
        parser.add_argument("--full", action="store_true", help="Full resync")

    def handle(self, *args, connector: str, full: bool, **options):
        system_code, _, resource = connector.partition("/")
        found = Connector.objects.filter(api__system__code=system_code, resource=resource).first()
        if found is None:
            raise CommandError(
                f"No connector {connector!r}; give SYSTEM/RESOURCE, e.g. ERP-EU/items."
            )
        with tqdm(desc=str(found), unit="page", file=self.stderr._out) as bar:

            def progress(run) -> None:
                bar.n = run.pages
                bar.set_postfix_str(run.progress[:80])
                bar.refresh()

            run = connector_sync(
                connector=found, full_resync=full, trigger="command", progress=progress
            )
        if run is None:
            raise CommandError(f"{found} is running already; try again when it has finished.")
        summary = (
            f"{run.status}: {run.pages} pages, {run.records} records ({run.new} new, "
            f"{run.changed} changed, {run.unchanged} unchanged, {run.rejected} rejected) "
            f"in {run.duration_ms / 1000:.1f} s"
        )
        if run.error:
            raise CommandError(f"{summary}. {run.error}")
        self.stdout.write(summary)
