#!/bin/sh
# make bench: the Client Accounts page (GET /portals, 10,000 portals in one
# organisation) against nginx serving a static copy of the same page, with
# wrk -t2 -c64 -d10s --latency.  Starts and stops its own stack (see
# tests/bench/portals_page.py); prints a Markdown table for README's
# Performance section, then a database profile of the page.
#   tests/bench/portals_page.sh [--runs N] [--seconds S] [--no-profile] [--strict] [--keep]
#   tests/bench/portals_page.sh --fcgi-instructions OLD_BINARY NEW_BINARY [--requests N]
#     (callgrind: instructions per page cache hit of each build as the FastCGI program)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v wrk >/dev/null 2>&1 || "$ROOT/scripts/deps.sh" wrk
command -v curl >/dev/null 2>&1 || "$ROOT/scripts/deps.sh" curl
[ -f "$ROOT/build/libjetstack.a" ] || make -s -C "$ROOT" all
exec /usr/bin/python3 "$ROOT/tests/bench/portals_page.py" "$@"
