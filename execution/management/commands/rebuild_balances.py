"""Recompute every balance from the ledger and open holds; report drift, fix it with --fix."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from execution.models import InventoryBalance
from execution.services import balances_rebuild, quantity_text


class Command(BaseCommand):
    help = "Recompute balances from the ledger and open quality holds; report drift (--fix corrects it)."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Correct the drifted balances")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, fix: bool, quiet: bool, **options):
        with tqdm(
            total=InventoryBalance.objects.count(),
            desc="rebuild_balances",
            unit="balance",
            disable=quiet,
            file=self.stderr._out,
        ) as bar:
            drift = balances_rebuild(fix=fix, progress=bar.update)
        for found in drift:
            parts = []
            if found.stored_on_hand != found.ledger_on_hand:
                parts.append(
                    f"on hand stored {quantity_text(found.stored_on_hand)}, "
                    f"ledger {quantity_text(found.ledger_on_hand)}"
                )
            if found.stored_on_hold != found.held:
                parts.append(
                    f"on hold stored {quantity_text(found.stored_on_hold)}, "
                    f"open holds {quantity_text(found.held)}"
                )
            self.stdout.write(f"{found.item} @ {found.plant}: {'; '.join(parts)}")
        if not drift:
            self.stdout.write("No drift: every balance equals its recomputation.")
        elif fix:
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(drift)} drifted balance(s)."))
        else:
            self.stdout.write(
                self.style.WARNING(f"{len(drift)} drifted balance(s); run with --fix to correct.")
            )
