from django.core.management.base import BaseCommand, CommandError

from integrations.delivery import subscription_create
from integrations.errors import ApplicationError
from integrations.models import ExternalSystem, Subscription


class Command(BaseCommand):
    help = (
        "Subscribe an external system's webhook URL to event types and print its signing secret "
        "(shown only this once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("system", help="The external system's code, e.g. SUP-ACME")
        parser.add_argument("--url", required=True, help="Where Weft POSTs the events")
        parser.add_argument(
            "--event",
            action="append",
            dest="event_types",
            required=True,
            help="Repeat for each event type, e.g. purchase_order.issued; '*' for all",
        )
        parser.add_argument(
            "--format", default=Subscription.Format.JSON, choices=Subscription.Format.values
        )
        parser.add_argument("--max-attempts", type=int, default=10)
        parser.add_argument("--timeout", type=int, default=10, help="Seconds per attempt")

    def handle(self, *args, system: str, url: str, event_types: list[str], **options):
        found = ExternalSystem.objects.filter(code=system).first()
        if found is None:
            raise CommandError(
                f"No external system '{system}'. Register it first: manage.py register_system {system} ..."
            )
        try:
            subscription, secret = subscription_create(
                system=found,
                url=url,
                event_types=event_types,
                format=options["format"],
                max_attempts=options["max_attempts"],
                timeout_seconds=options["timeout"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Subscription {subscription.pk}: {', '.join(subscription.event_types)} → {url} "
            f"({subscription.format}). Its signing secret; store it now, it is not shown again:"
        )
        self.stdout.write(secret)
