#!/bin/sh
# Worker refresh throughput (not a test; run by hand or from `make bench`):
# 10,000 due portals, 100 ms simulated HubSpot latency, one worker then two
# (16 threads each).  Starts and stops its own stack.  Extra arguments go to
# tests/bench/worker_refresh.py (--portals N --latency-ms M --concurrency C).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# the bench encrypts seeded tokens in the product's format (AES-256-GCM)
scripts/deps.sh python3-cryptography
make all >/dev/null
exec /usr/bin/python3 tests/bench/worker_refresh.py "$@"
