from django.core.management.base import BaseCommand, CommandError

from integrations.errors import ApplicationError
from integrations.models import ExternalSystem
from integrations.services import external_system_register


class Command(BaseCommand):
    help = "Register (or update) an external system that sends messages to Weft or receives them."

    def add_arguments(self, parser):
        parser.add_argument("code", help="The system's code, used as `source` in its messages")
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=ExternalSystem.Kind.values)
        parser.add_argument("--disabled", action="store_true")

    def handle(self, *args, code: str, name: str, kind: str, disabled: bool, **options):
        try:
            system = external_system_register(code=code, name=name, kind=kind, enabled=not disabled)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Registered {system.code} ({system.get_kind_display()}).")
