from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        from planning.exceptions import subscribers, tasks  # noqa: F401  (registers them)
