import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("weft")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Treat each task like a request: drop a connection that broke or outlived CONN_MAX_AGE.

    Celery's Django fixup closes the connection around every task unless CELERY_DB_REUSE_MAX
    is set (then only every that many tasks); the settings set it, so a worker keeps its
    connection between tasks, and this keeps Django's own rules (CONN_MAX_AGE, errors,
    CONN_HEALTH_CHECKS) for it. Eager tasks run in the caller's connection and are left alone.
    """
    request = getattr(sender, "request", None)
    if request is None or getattr(request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
