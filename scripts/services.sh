#!/usr/bin/env bash
# PostgreSQL and Redis on 127.0.0.1 for the test suite: use them when running, start them when
# installed, install them with apt when missing. Idempotent; prints what it did.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

postgres_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

trust_local_connections() {
  # A fresh apt install asks for passwords on 127.0.0.1; the test suite connects as postgres.
  local hba
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n 1)
  if ! grep -q "weft: trust loopback" "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust # weft: trust loopback\nhost all all ::1/128 trust # weft: trust loopback' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main reload
  fi
}

if postgres_up; then
  echo "services: PostgreSQL is running on 127.0.0.1:5432"
else
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "services: installing PostgreSQL with apt"
    apt_install postgresql
    trust_local_connections
  fi
  echo "services: starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 30); do postgres_up && break; sleep 1; done
  postgres_up || { echo "services: PostgreSQL did not start" >&2; exit 1; }
fi

if redis_up; then
  echo "services: Redis is running on 127.0.0.1:6379"
else
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis with apt"
    apt_install redis-server redis-tools
  fi
  echo "services: starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/weft.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "services: Redis did not start" >&2; exit 1; }
fi
