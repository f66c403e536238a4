from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        from planning import accuracy, inbound  # noqa: F401  (inbound handlers, the accuracy task)
