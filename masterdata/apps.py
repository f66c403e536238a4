from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    name = "masterdata"
    verbose_name = "Master data"

    def ready(self) -> None:
        from masterdata import inbound  # noqa: F401  (registers the inbound handlers)
