from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from integrations import bulk, history, security
        from integrations.connectors import push  # noqa: F401  (registers its outbox subscriber)

        bulk.register_lookups()
        history.connect_actor_fields()
        security.connect_lockout_signal()
