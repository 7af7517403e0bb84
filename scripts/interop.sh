#!/usr/bin/env bash
# Interop tests: real clients (curl, Python requests, Chromium via playwright-core) against a
# running server on 127.0.0.1. Installs the Debian packages they need when run as root, then runs
# the suite with INTEROP_REQUIRED=1 so a missing client fails instead of being skipped.
#   npm run test:interop            (extra jest arguments are passed on, e.g. -t curl)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(curl python3-requests chromium)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
else
  echo "interop: dpkg-query not found (not Debian?); make sure curl, python3 with requests and /usr/bin/chromium exist" >&2
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "interop: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "interop: missing Debian packages: ${missing[*]}" >&2
    echo "interop: install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

INTEROP_REQUIRED=1 exec npx jest -c jest.interop.config.js "$@"
