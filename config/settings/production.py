"""Production: PostgreSQL, Redis, gunicorn; refuses to start with development secrets or DEBUG."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEFAULT_SECRET_KEY, LOGGING, MIDDLEWARE, SECRET_KEY, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of at least 40 characters.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("Set DATABASE_URL to a PostgreSQL database in production.")

# No laptop defaults: a deployment names the hosts it answers for.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False

# Throttle counters must be shared by every process: Redis (the broker's, unless told otherwise).
if "CACHE_URL" in env:
    CACHES = {"default": env.cache_url_config(env("CACHE_URL"))}
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CELERY_BROKER_URL,
            "KEY_PREFIX": "weft-cache",
        }
    }
else:
    raise ImproperlyConfigured("Set CACHE_URL to a Redis cache (rediscache://...) in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# gunicorn serves the hashed static files itself (WhiteNoise), so no other web server is needed.
MIDDLEWARE = [
    *MIDDLEWARE[:2],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[2:],
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Workers log through Django's LOGGING too, so web and worker lines share one JSON shape.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

LOGGING["formatters"]["json"] = {"()": "integrations.correlation.JsonLogFormatter"}
LOGGING["handlers"]["console"]["formatter"] = "json"
