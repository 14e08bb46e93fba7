#!/bin/sh
# Long fuzzing (not a test; results in README): each libFuzzer target for
# FUZZ_SECONDS (default 600) with ASan and UBSan, two at a time, over a
# working copy of its seeds.  New inputs that add coverage stay in
# tests/output/fuzz-long/corpus/; a crashing input is copied into the
# target's committed corpus (tests/fuzz/corpus/fuzz_NAME/) so `make test`
# replays it from then on.  Prints, per target: executions, coverage,
# features, corpus size and the verdict.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
SECS=${FUZZ_SECONDS:-600}
OUT=tests/output/fuzz-long
mkdir -p "$OUT"
make --no-print-directory -s fuzz >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
run() {
	name=$1
	work=$OUT/corpus/$name
	rm -rf "$work"
	mkdir -p "$work"
	cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	build/fuzz/"$name" -max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$OUT/$name-" \
		"$work" >"$OUT/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$name.log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$OUT/$name.log" | tail -1 | cut -d' ' -f2)
	n=$(ls "$work" | wc -l)
	if [ $rc -eq 0 ]; then
		verdict="no finding"
	else
		verdict="FINDING (exit $rc): see $OUT/$name.log"
		for f in "$OUT/$name"-crash-* "$OUT/$name"-leak-* "$OUT/$name"-timeout-*; do
			[ -f "$f" ] && cp "$f" tests/fuzz/corpus/"$name"/
		done
	fi
	echo "| $name | ${SECS} s | ${execs:-?} | ${cov:-?} | ${ft:-?} | $n | $verdict |"
}
echo "| target | time | executions | coverage | features | corpus | result |"
echo "|---|---:|---:|---:|---:|---:|---|"
set -- $(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
while [ $# -gt 0 ]; do
	run "$1" &
	if [ $# -gt 1 ]; then
		run "$2" &
		shift
	fi
	shift
	wait
done
