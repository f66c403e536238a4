#!/usr/bin/env bash
# `make serve`: the production layout on one machine — gunicorn, a Celery worker per queue and
# beat from the Procfile under honcho, with config.settings.production on PostgreSQL and Redis.
# Settings come from the environment, else from var/serve.env (made once with a random key).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p var
if [ ! -f var/serve.env ]; then
  secret=$(.venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))")
  cat > var/serve.env <<ENV
DJANGO_SECRET_KEY=$secret
DATABASE_URL=postgres://postgres@127.0.0.1:5432/weft
CELERY_BROKER_URL=redis://127.0.0.1:6379/0
DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on this machine; behind a TLS proxy set it to true (and let the proxy send X-Forwarded-Proto).
DJANGO_SECURE_SSL_REDIRECT=false
ENV
  echo "serve: wrote var/serve.env (edit it, or set the same variables in the environment)"
fi
set -a
# The environment wins over the file: only variables not already set are taken from it.
while IFS='=' read -r name value; do
  case "$name" in ''|\#*) continue ;; esac
  if [ -z "${!name:-}" ]; then export "$name=$value"; fi
done < var/serve.env
set +a
export DJANGO_SETTINGS_MODULE=config.settings.production
export PATH="$PWD/.venv/bin:$PATH"

# A first run on this machine creates the database; elsewhere it exists already.
python - <<'PY'
import environ, psycopg
db = environ.Env.db_url_config(__import__("os").environ["DATABASE_URL"])
params = dict(host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
              password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)
with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
        print(f"serve: created database {db['NAME']}")
PY
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
echo "serve: web on http://${HOST:-0.0.0.0}:${PORT:-8000}, workers for inbound, outbound, planning, default, and beat"
exec honcho start --procfile Procfile --port "${PORT:-8000}" "$@"
