from django.apps import AppConfig


class ProcurementConfig(AppConfig):
    name = "procurement"

    def ready(self) -> None:
        from procurement import inbound  # noqa: F401  (registers the inbound handlers)
