#!/usr/bin/env bash
# Debian's chromium for the Playwright tests (never `playwright`'s own browser download).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "browser: installing Debian's chromium with apt"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
