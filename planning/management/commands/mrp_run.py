"""Run MRP for a plant (or all plants) now, full or net change, with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from masterdata.models import Item, Plant
from planning.runs import mrp_run_full, net_change_drain, net_change_request

PHASES = {"load": "loading", "plan": "planning", "write": "writing", "done": "done"}


class Command(BaseCommand):
    help = "Run MRP now: a full regenerative run, or net change for the given items."

    def add_arguments(self, parser):
        parser.add_argument("--plant", action="append", help="Plant code (default: every plant)")
        parser.add_argument(
            "--items", nargs="+", metavar="ITEM", help="Net change for these item codes only"
        )

    def handle(self, *args, plant=None, items=None, **options):
        plants = list(Plant.objects.filter(code__in=plant) if plant else Plant.objects.all())
        missing = set(plant or ()) - {p.code for p in plants}
        if missing:
            raise CommandError(f"Unknown plant: {', '.join(sorted(missing))}")
        for row in plants:
            if items:
                found = dict(Item.objects.filter(code__in=items).values_list("code", "id"))
                unknown = set(items) - set(found)
                if unknown:
                    raise CommandError(f"Unknown item: {', '.join(sorted(unknown))}")
                net_change_request(plant=row, item_ids=found.values(), reason="command line")
                for run in net_change_drain(row):
                    self._report(run)
                continue
            with tqdm(total=3, desc=f"MRP {row.code}", unit="phase") as bar:

                def progress(phase, done, total, bar=bar):
                    bar.set_postfix_str(PHASES.get(phase, phase))
                    bar.n = done
                    bar.refresh()

                run = mrp_run_full(plant=row, trigger="command line", progress=progress)
            self._report(run)

    def _report(self, run) -> None:
        self.stdout.write(
            f"Run {run.pk} ({run.mode}) at {run.plant.code}: {run.items_planned} items, "
            f"{run.planned_orders} planned orders, {run.exceptions} exceptions in "
            f"{run.duration_ms} ms {run.timings}"
        )
