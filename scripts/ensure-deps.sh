#!/usr/bin/env bash
# Installs or starts what the tests need on a fresh machine, so that `npm test` is the only command a
# newcomer runs. Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: a fresh clone has none.
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# PostgreSQL at 127.0.0.1:5432 backs the tenant store tests; this machine kind starts it, but restart it if it stopped.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "ensure-deps: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi

# Prometheus (Debian package) for the canary end-to-end test. The package's post-install would start a
# system-wide Prometheus on :9090; a policy-rc.d that denies service starts keeps the machine clean.
if ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing prometheus from Debian packages"
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1; fi
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) || echo "ensure-deps: WARNING could not install prometheus"
    [ "$created_policy" = 1 ] && rm -f "$policy"
  else
    echo "ensure-deps: WARNING prometheus is not installed and this user cannot apt-get it; the Prometheus tests will fail"
  fi
fi
