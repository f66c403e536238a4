"""Settings shared by every environment; values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEFAULT_SECRET_KEY = "weft-insecure-development-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "axes",
    "django_prometheus",
    "integrations",
    "masterdata",
    "execution",
    "procurement",
    "planning",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "integrations.correlation.CorrelationIdMiddleware",
    "config.limits.RequestBodyLimitMiddleware",
    "config.limits.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and eager tasks write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="weft@example.com")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.api.permissions.HasScope"],
    "DEFAULT_FILTER_BACKENDS": ["integrations.api.filtering.UtcDjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "integrations.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.api.throttling.ApiRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "integrations.api.pagination.CodeCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integrations.api.errors.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Weft partner API",
    "DESCRIPTION": (
        "Canonical master data, the message inbox and the documents Weft keeps. "
        "Authenticate with `Authorization: Bearer <api key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "SupplierStatusEnum": "masterdata.models.Supplier.Status",
        "InboundMessageStatusEnum": "integrations.models.inbox.InboundMessage.Status",
        "OutboundMessageStatusEnum": "integrations.models.outbox.OutboundMessage.Status",
        "PurchaseOrderStatusEnum": "procurement.models.PurchaseOrder.Status",
        "PurchaseOrderLineStatusEnum": "procurement.models.PurchaseOrderLine.Status",
        "AckStatusEnum": "procurement.models.PurchaseOrderLine.AckStatus",
        "SupplierAnswerEnum": "procurement.models.AcknowledgementLine.Answer",
        "SupplierProposalStatusEnum": "procurement.models.SupplierProposal.Status",
        "AsnStatusEnum": "procurement.models.AdvanceShipNotice.Status",
        "ReasonCodeEnum": "procurement.models.ReasonCode",
        "OrderLineStatusEnum": ["open", "closed", "cancelled"],
        "OrderLineChangeStatusEnum": ["open", "cancelled"],
        "InventoryTransactionKindEnum": "execution.models.InventoryTransaction.Kind",
        "WorkOrderStatusEnum": "execution.models.WorkOrder.Status",
        "InventoryMismatchStatusEnum": "execution.models.InventoryMismatch.Status",
        "MakeOrBuyEnum": "masterdata.models.Item.ItemType",
        "MrpMessageKindEnum": "planning.models.MrpMessage.Kind",
        "MrpRunModeEnum": "planning.models.MrpRun.Mode",
        "MrpRunStatusEnum": "planning.models.MrpRun.Status",
        "PlannedOrderStatusEnum": "planning.models.PlannedOrder.Status",
        "InventoryMismatchResolutionEnum": "execution.models.InventoryMismatch.Resolution",
        "ForecastVersionStatusEnum": "planning.models.ForecastVersion.Status",
        "ForecastBucketEnum": "planning.models.ForecastVersion.Bucket",
    },
}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# At-least-once: a task is acknowledged after it ran, and requeued if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Celery's Django fixup reads this (as CELERY_DB_REUSE_MAX, namespace and all) and otherwise
# closes the database connection before and after every task: a new connection per task.
# config/celery.py still applies CONN_MAX_AGE and drops broken connections around each task.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
# Time limits stay well below the visibility timeout so a task is never delivered twice at once.
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 900
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues split by kind so a slow partner never holds back intake or replanning. Every task must
# land on a queue a Procfile worker consumes (tests/config/test_production.py checks it).
CELERY_TASK_ROUTES = {
    "integrations.tasks.inbox.*": {"queue": "inbound"},
    # Apps' reactions to events, apart so a burst of them never starves the inbox drains.
    "integrations.tasks.outbox.run_subscriber*": {"queue": "subscribers"},
    "execution.tasks.poll_inventory_snapshot*": {"queue": "inbound"},
    "integrations.tasks.delivery.*": {"queue": "outbound"},
    "integrations.tasks.connectors.*": {"queue": "connectors"},
    "procurement.tasks.send_*": {"queue": "outbound"},
    "planning.tasks.*": {"queue": "planning"},
}
CELERY_BEAT_SCHEDULE: dict = {
    # Net change keeps the plan current all day; the nightly full run regenerates it whole.
    "planning-nightly-full-runs": {
        "task": "planning.tasks.nightly_full_runs",
        "schedule": crontab(hour=1, minute=30),
    },
    # Reminds once per SLA period per line, so a sweep every 15 minutes never repeats itself.
    "procurement-remind-stale-acknowledgements": {
        "task": "procurement.tasks.remind_stale_acknowledgements",
        "schedule": 900.0,
    },
    # A net-change drain whose task was lost is queued again within about two minutes.
    "planning-requeue-stale-net-changes": {
        "task": "planning.tasks.requeue_stale_net_changes",
        "schedule": 60.0,
    },
    "inbox-requeue-stale": {
        "task": "integrations.tasks.inbox.requeue_stale_inbound_messages",
        "schedule": 60.0,
    },
    "outbox-dispatch-stale": {
        "task": "integrations.tasks.outbox.dispatch_stale_events",
        "schedule": 30.0,
    },
    # On the default queue with a short expiry, so a backlog of deliveries cannot hold it back.
    "outbox-enqueue-due-deliveries": {
        "task": "integrations.tasks.delivery.enqueue_due_outbound_messages",
        "schedule": 5.0,
        "options": {"queue": "default", "expires": 10},
    },
    # Connectors run on their own schedules; the beat only looks which are due.
    "connectors-run-due": {
        "task": "integrations.tasks.connectors.run_due_connectors",
        "schedule": 30.0,
        "options": {"queue": "default", "expires": 25},
    },
    "connectors-enqueue-due-api-calls": {
        "task": "integrations.tasks.connectors.enqueue_due_api_calls",
        "schedule": 10.0,
        "options": {"queue": "default", "expires": 9},
    },
    # Finished messages older than the retention go to archive files; one pass a night.
    "integrations-purge-expired-messages": {
        "task": "integrations.tasks.retention.purge_expired_messages",
        "schedule": crontab(hour=2, minute=30),
        "options": {"queue": "default"},
    },
    # Each system's snapshot URL is polled at its own interval; the beat only looks who is due.
    # Detectors re-check every object that may hold their condition; events catch most sooner.
    "planning-sweep-exceptions": {
        "task": "planning.exceptions.tasks.sweep_exceptions",
        "schedule": 300.0,
        "options": {"expires": 280},
    },
    "planning-wake-snoozed-exceptions": {
        "task": "planning.exceptions.tasks.wake_snoozed_exceptions",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    "execution-poll-inventory-snapshots": {
        "task": "execution.tasks.poll_inventory_snapshots",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
    # Periods end at midnight; once an hour keeps the KPI page within the day's orders.
    "planning-refresh-forecast-accuracy": {
        "task": "planning.accuracy.refresh_forecast_accuracy",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "integrations.correlation.CorrelationIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["correlation"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One line per task is noise at INFO, above all with eager tasks in the dev server.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# A batch of 1,000 envelopes is a few megabytes; larger bodies are refused before they are read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=20 * 1024 * 1024)

# Throttle counters and other shared short-lived state: Redis when configured, so every process
# on every machine counts together; the laptop default keeps them in process memory.
CACHE_URL = env("CACHE_URL", default="locmemcache://")
CACHES = {"default": env.cache_url_config(CACHE_URL)}

WEFT = {
    "INBOUND_BATCH_LIMIT": 1000,
    # Finished messages older than this are archived (gzip JSON Lines) and purged.
    "RETENTION_DAYS": env.int("WEFT_RETENTION_DAYS", default=90),
    "RETENTION_BATCH": env.int("WEFT_RETENTION_BATCH", default=1000),
    "ARCHIVE_DIR": env("WEFT_ARCHIVE_DIR", default=str(BASE_DIR / "var" / "archive")),
    # Larger bodies answer 413 before they are read (a batch of 1,000 envelopes is a few MB).
    "MAX_REQUEST_BYTES": env.int("WEFT_MAX_REQUEST_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE),
    # Canonical messages nest a handful of levels; far deeper JSON is an attack, refused with 400.
    "MAX_JSON_DEPTH": env.int("WEFT_MAX_JSON_DEPTH", default=32),
    # Per API key (or signed-in user), counted in the cache; "" turns throttling off.
    "API_RATE": env("WEFT_API_RATE", default="6000/min"),
    # What a 503 asks the caller to wait when the database is gone.
    "UNAVAILABLE_RETRY_AFTER_SECONDS": env.int("WEFT_UNAVAILABLE_RETRY_AFTER", default=5),
    # /metrics: a scraper's bearer token, or addresses allowed without one (see config/metrics.py).
    "METRICS_TOKEN": env("WEFT_METRICS_TOKEN", default=""),
    "METRICS_ALLOWED_IPS": env.list("WEFT_METRICS_ALLOWED_IPS", default=[]),
    # Received messages are applied by this many drains at most at once (see inbox_queue).
    "INBOX_PARTITIONS": env.int("WEFT_INBOX_PARTITIONS", default=4),
}
