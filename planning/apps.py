from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        # Registers the inbound handlers, the accuracy task and the net-change subscribers.
        from planning import accuracy, inbound, subscribers  # noqa: F401
