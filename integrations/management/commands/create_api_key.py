from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations.errors import ApplicationError
from integrations.models import ExternalSystem
from integrations.scopes import SCOPES
from integrations.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for an external system and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("system", help="The external system's code, e.g. ERP-EU")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            required=True,
            help=f"Repeat for each scope: {', '.join(SCOPES)}",
        )
        parser.add_argument("--name", default="", help="What the key is for")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args, system: str, scopes: list[str], name: str, expires_in_days, **options):
        found = ExternalSystem.objects.filter(code=system).first()
        if found is None:
            raise CommandError(
                f"No external system '{system}'. Register it first: manage.py register_system {system} ..."
            )
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            key, raw = api_key_create(system=found, scopes=scopes, name=name, expires_at=expires_at)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"API key for {found.code} (scopes: {', '.join(key.scopes)}); store it now, it is not shown again:"
        )
        self.stdout.write(raw)
