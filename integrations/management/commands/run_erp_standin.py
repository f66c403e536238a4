"""Serve the stand-in ERP for the demo: `manage.py run_erp_standin` (Ctrl-C stops it)."""

from django.core.management.base import BaseCommand

from integrations.connectors.demo import STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, STANDIN_PORT
from integrations.connectors.standin import StandinErp


class Command(BaseCommand):
    help = "Serve a stand-in cloud ERP (items, POs, inventory, OAuth2, requisitions) on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=STANDIN_PORT)
        parser.add_argument("--items", type=int, default=200)
        parser.add_argument(
            "--failure-rate",
            type=float,
            default=0.0,
            help="Share of requests answering 429 or 500 (0 to 1, seeded; default 0)",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--auth", choices=["none", "api_key", "basic", "oauth2"], default="oauth2"
        )

    def handle(self, *args, port, items, failure_rate, seed, auth, **options):
        if not 0 <= failure_rate <= 1:
            self.stderr.write(f"--failure-rate must be between 0 and 1, not {failure_rate}.")
            raise SystemExit(2)
        erp = StandinErp(
            items=items,
            port=port,
            auth=auth,
            client_id=STANDIN_CLIENT_ID,
            client_secret=STANDIN_CLIENT_SECRET,
            failure_rate=failure_rate,
            seed=seed,
        )
        self.stdout.write(
            f"Stand-in ERP on http://127.0.0.1:{port}/api/v1 ({items} items, auth {auth}; "
            f"OAuth2 client {STANDIN_CLIENT_ID}/{STANDIN_CLIENT_SECRET} at /oauth/token). "
            "Ctrl-C stops it."
        )
        try:
            erp.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
