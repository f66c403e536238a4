"""The embedded default: SQLite in the project folder and Celery eager, for one-command runs."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# The code-map uniqueness that treats empty dates as equal needs PostgreSQL, where production and
# the tests run; the embedded SQLite demo goes without that one constraint.
SILENCED_SYSTEM_CHECKS = ["models.W047"]
