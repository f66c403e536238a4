from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"

    def ready(self) -> None:
        # Registers the inbound handlers, the accuracy task, the net-change subscribers and
        # the exception detectors with their sweep task.
        from planning import accuracy, inbound, subscribers  # noqa: F401
        from planning.exceptions import partners, tasks  # noqa: F401
        from planning.exceptions import subscribers as detectors  # noqa: F401
