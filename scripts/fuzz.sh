#!/bin/sh
# The libFuzzer targets (tests/fuzz/): `make fuzz`, then each
# build/fuzz/fuzz_NAME for a fixed number of runs with a fixed seed, so that
# a run is repeatable (same coverage, same verdict), over a temporary copy of
# tests/fuzz/corpus/fuzz_NAME/ (the committed seeds are never written).  A
# target that crashes, leaks, trips a sanitizer or a contract check, or is
# missing, fails.  Logs and the inputs that failed go to tests/output/fuzz/
# (replay one with: build/fuzz/fuzz_NAME tests/output/fuzz/fuzz_NAME-crash-...).
# Prints one line per target, then "fuzz: N passed, N failed"; exits
# non-zero on any failure.
#   scripts/fuzz.sh [fuzz_NAME...]   all targets, or only these
#   FUZZ_RUNS  executions per target (default 20000)
#   FUZZ_SEED  libFuzzer's -seed (default 1)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
RUNS=${FUZZ_RUNS:-20000}
SEED=${FUZZ_SEED:-1}
OUT=tests/output/fuzz
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jetstack-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi
# libFuzzer keys its comparison tables by code address: without address
# randomisation the same seed gives the same run.
NORAND=""
if setarch "$(uname -m)" -R true 2>/dev/null; then
	NORAND="setarch $(uname -m) -R"
fi
# Up to date binaries (no-op after `make all unit fuzz`).
${MAKE:-make} --no-print-directory -s fuzz >"$OUT/build.log" 2>&1 || cat "$OUT/build.log"

ok=0
fail=0
failed=""
for name in $names; do
	bin=build/fuzz/$name
	log=$OUT/$name.log
	if [ ! -x "$bin" ] || [ ! -d "tests/fuzz/corpus/$name" ]; then
		echo "$name: FAIL (no binary or no corpus)"
		fail=$((fail + 1))
		failed="$failed $name"
		continue
	fi
	rm -rf "${TMP:?}/$name" "$OUT/$name-"*
	cp -R "tests/fuzz/corpus/$name" "$TMP/$name"
	start=$(date +%s)
	if $NORAND "$bin" -runs="$RUNS" -seed="$SEED" -timeout=10 -rss_limit_mb=2048 -reload=0 \
		-print_final_stats=1 -artifact_prefix="$OUT/$name-" "$TMP/$name" >"$log" 2>&1; then
		rc=0
	else
		rc=$?
	fi
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(sed -n 's/^#[0-9]*.*DONE *cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		ok=$((ok + 1))
		echo "$name: ok, ${execs:-?} runs, cov ${cov:-?}, ${secs}s"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "$name: FAIL (exit $rc after ${secs}s; log $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*contract broken|.*runtime error|artifact_prefix|Test unit written)' \
			"$log" | head -10
	fi
done
echo "fuzz: $ok passed, $fail failed${failed:+ (failed:$failed)}"
[ "$fail" -eq 0 ]
