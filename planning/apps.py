from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        from planning import subscribers  # noqa: F401  (registers the net-change subscribers)
