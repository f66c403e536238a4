from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    name = "execution"

    def ready(self) -> None:
        from execution import inbound  # noqa: F401  (registers the inbound handlers)
