#!/usr/bin/env bash
# Installs or starts what the tests need on a fresh machine, so that `npm test` is the only command a
# newcomer runs. Idempotent, quiet when everything is already there, and every path ends with a message:
# exit 0 when everything is in place, exit 1 with one line saying what is missing and how to get it.
#
#   --npm-only   only the npm packages (what `npm run test:unit` needs; no root, no services)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "ensure-deps: $*"; }
fail() {
  echo "ensure-deps: ERROR $*" >&2
  exit 1
}

# npm packages: a fresh clone has none; a changed lockfile needs a new install.
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci failed (see npm's message above)"
fi
[ "${1:-}" = "--npm-only" ] && exit 0

# PostgreSQL at 127.0.0.1:5432 backs the tenant store tests. This machine kind starts it; restart it if it
# stopped. Another server can be named with TEST_DATABASE_URL, in which case it is not our business.
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! command -v pg_isready >/dev/null 2>&1; then
    fail "PostgreSQL client tools are missing: install PostgreSQL (apt-get install postgresql) or set TEST_DATABASE_URL"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    cluster=$(ls /etc/postgresql 2>/dev/null | head -n1 || true)
    [ -n "$cluster" ] || fail "PostgreSQL is not running on 127.0.0.1:5432 and no local cluster was found; start one or set TEST_DATABASE_URL"
    pg_ctlcluster --skip-systemctl-redirect "$cluster" main start || fail "could not start PostgreSQL $cluster/main (pg_ctlcluster failed)"
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
    pg_isready -q -h 127.0.0.1 -p 5432 || fail "PostgreSQL $cluster/main started but does not answer on 127.0.0.1:5432 after 10 s"
  fi
fi

# Debian packages: prometheus (with promtool) for the Prometheus tests, chromium for the browser tests.
# Each entry is "command package".
missing=()
for need in "prometheus prometheus" "promtool prometheus" "chromium chromium"; do
  set -- $need
  if ! command -v "$1" >/dev/null 2>&1; then
    case " ${missing[*]:-} " in *" $2 "*) ;; *) missing+=("$2") ;; esac
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  fail "missing ${missing[*]}; install them once as root (apt-get install ${missing[*]}) and run again"
fi

say "installing ${missing[*]} from Debian packages"
# prometheus' post-install would start a system-wide server on :9090; a policy-rc.d that denies service starts
# keeps the machine clean. An existing policy (container images ship one) is left exactly as it was.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq || fail "apt-get update failed; check the machine's Debian sources"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  fail "apt-get install ${missing[*]} failed (see apt's message above)"
for cmd in prometheus promtool chromium; do
  command -v "$cmd" >/dev/null 2>&1 || fail "$cmd is still not on PATH after installing ${missing[*]}"
done
say "installed ${missing[*]}"
exit 0
