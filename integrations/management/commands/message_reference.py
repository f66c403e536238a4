from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.message_reference import render_reference, splice

DEFAULT_DOCUMENT = Path(settings.BASE_DIR) / "docs" / "partners.md"


class Command(BaseCommand):
    help = "Write (or --check) the message reference in docs/partners.md from the JSON Schemas."

    def add_arguments(self, parser):
        parser.add_argument("--document", default=str(DEFAULT_DOCUMENT))
        parser.add_argument(
            "--check", action="store_true", help="Fail when the document drifted; write nothing."
        )

    def handle(self, *args, document: str, check: bool, **options):
        path = Path(document)
        current = path.read_text()
        wanted = splice(current, render_reference())
        if current == wanted:
            self.stdout.write(f"{path} matches the schemas.")
            return
        if check:
            raise CommandError(
                f"{path} drifted from integrations/schemas/; run manage.py message_reference."
            )
        path.write_text(wanted)
        self.stdout.write(f"Wrote the message reference into {path}.")
