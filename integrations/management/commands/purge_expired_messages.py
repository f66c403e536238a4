from django.core.management.base import BaseCommand
from tqdm import tqdm

from integrations.retention import expired_messages_purge


class Command(BaseCommand):
    help = (
        "Archive finished inbound and outbound messages and events older than "
        "WEFT_RETENTION_DAYS to gzip files under WEFT_ARCHIVE_DIR, then purge them in batches. "
        "The beat runs the same every night."
    )

    def handle(self, *args, **options):
        with tqdm(unit=" rows", desc="purging", disable=options["verbosity"] == 0) as bar:
            report = expired_messages_purge(
                progress=lambda kind, count: (bar.set_description(kind), bar.update(count))
            )
        self.stdout.write(
            f"Purged before {report.cutoff:%Y-%m-%d %H:%M}: "
            + ", ".join(f"{kind} {count}" for kind, count in report.purged.items())
            + f"; {len(report.files)} archive files."
        )
