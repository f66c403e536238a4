"""Build the demo manufacturer: systems, users, masters; idempotent, with a progress bar."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import override_settings
from tqdm import tqdm

from execution.demo import seed_execution
from integrations.connectors.demo import seed_connectors
from integrations.models import ExternalSystem
from integrations.roles import BUYERS, PLANNERS
from integrations.services import external_system_register, ownership_set
from masterdata.demo import seed_masterdata
from masterdata.models import Item, Supplier, SupplierMembership
from planning.demo import seed_plan, seed_planning_forecasts
from procurement.demo import seed_procurement

DEMO_PASSWORD = "weft-demo"
SYSTEMS = [
    ("ERP-EU", "SAP S/4HANA (Europe)", ExternalSystem.Kind.ERP),
    ("DP-CLOUD", "Demand planning cloud", ExternalSystem.Kind.PLANNING),
    ("SUPNET", "Supplier network", ExternalSystem.Kind.SUPPLIER),
]
# The ERP keeps the item, supplier and BOM masters; Weft keeps sourcing and purchase orders.
OWNERS = {
    "item": "ERP-EU",
    "supplier": "ERP-EU",
    "bom": "ERP-EU",
    "forecast": "DP-CLOUD",
    "demand_order": "ERP-EU",
}
USERS = [
    ("admin", "Ada", "Admin", None, None),
    ("planner", "Mia", "Planner", PLANNERS, None),
    ("buyer", "Ben", "Buyer", BUYERS, None),
    ("acme", "Anna", "Acme", None, "S001"),
    ("baltic", "Bo", "Baltic", None, "S002"),
]


class Command(BaseCommand):
    help = "Load the demo manufacturer (two plants, items over BOM levels, suppliers, users). Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("--items", type=int, default=200, help="How many items (default 200)")
        parser.add_argument(
            "--levels", type=int, default=4, help="BOM levels, finished goods to parts (default 4)"
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar or login summary")

    def handle(self, *args, items: int, levels: int, quiet: bool, **options):
        started = time.monotonic()
        steps = [
            "systems",
            "plants and units",
            "suppliers",
            "items",
            "plant parameters",
            "BOMs",
            "sourcing rules",
            "low-level codes",
            "stock and work orders",
            "users",
            "purchase orders",
            "forecasts",
            "demand orders",
            "statistics",
            "MRP plan",
        ]
        with tqdm(
            total=len(steps), desc="seed_demo", unit="step", disable=quiet, file=self.stderr._out
        ) as bar:

            def progress(step: str, count: int) -> None:
                bar.set_postfix_str(f"{step}: {count:,}")
                bar.update(1)

            self._seed_systems()
            progress("systems", len(SYSTEMS))
            report = seed_masterdata(items=items, levels=levels, progress=progress)
            seed_execution(progress=progress)
            self._seed_users()
            progress("users", len(USERS))
            # The demo's suppliers are fictional: their e-mails go nowhere instead of flooding the console.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                seed_procurement(progress=progress)
            seed_connectors()
            seed_planning_forecasts(progress=progress)
            # A bulk load leaves PostgreSQL planning queries on empty-table statistics until
            # autovacuum comes by: refresh them before the plan and the first users' queries.
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            progress("statistics", 1)
            seed_plan(progress=progress)
        if quiet:
            return
        elapsed = time.monotonic() - started
        added = (
            "nothing new (already loaded)"
            if not (report.items or report.suppliers)
            else (
                f"{report.items:,} items, {report.boms:,} BOMs, {report.suppliers} suppliers, "
                f"{report.sourcing_rules:,} sourcing rules"
            )
        )
        self.stdout.write(
            f"Demo data: {added}; {Item.objects.count():,} items in all ({elapsed:.1f} s)."
        )
        self._print_logins()

    @transaction.atomic
    def _seed_systems(self) -> None:
        systems = {
            code: external_system_register(code=code, name=name, kind=kind)
            for code, name, kind in SYSTEMS
        }
        for object_type, owner in OWNERS.items():
            ownership_set(object_type=object_type, system=systems[owner])

    @transaction.atomic
    def _seed_users(self) -> None:
        user_model = get_user_model()
        for username, first, last, group, supplier_code in USERS:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = username == "admin"
                user.save()
            if group:
                user.groups.add(Group.objects.get_or_create(name=group)[0])
            if supplier_code:
                SupplierMembership.objects.get_or_create(
                    user=user, defaults={"supplier": Supplier.objects.get(code=supplier_code)}
                )
        planner = user_model.objects.get(username="planner")
        Item.objects.filter(planner__isnull=True).update(planner=planner)

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, group, supplier_code in USERS:
            role = group or (
                f"supplier user of {supplier_code}" if supplier_code else "administrator"
            )
            self.stdout.write(f"  {username:<8} {first} {last}, {role}")
