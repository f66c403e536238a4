from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations import history, security

        history.connect_actor_fields()
        security.connect_lockout_signal()
