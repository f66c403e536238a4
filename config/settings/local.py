"""The embedded default: SQLite in the project folder and Celery eager, for one-command runs."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
