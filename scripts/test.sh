#!/bin/sh
# make test: unit tests (Check, under valgrind), the libFuzzer targets for a
# fixed number of runs each (scripts/fuzz.sh), then the simulator's own
# tests, integration tests (real PostgreSQL, nginx, FastCGI, simulator) and
# browser tests (headless Chromium) in one pytest session.  Prints one
# summary; exits non-zero on any failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
mkdir -p tests/output
unit_ok=0
unit_fail=0
unit_checks=0
failed=""
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	log=tests/output/$name.log
	if CK_FORK=no valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t" >"$log" 2>&1; then
		unit_ok=$((unit_ok + 1))
	else
		unit_fail=$((unit_fail + 1))
		failed="$failed $name"
		tail -20 "$log"
	fi
	n=$(sed -n 's/.*Checks: \([0-9]*\).*/\1/p' "$log" | tail -1)
	unit_checks=$((unit_checks + ${n:-0}))
done

layers_line=$(/usr/bin/python3 scripts/check-layers.py 2>&1)
layers_rc=$?
echo "$layers_line"

scripts/fuzz.sh >tests/output/fuzz.log 2>&1
fuzz_rc=$?
cat tests/output/fuzz.log
fuzz_line=$(sed -n 's/^fuzz: \([0-9]*\) passed/\1 targets passed/p' tests/output/fuzz.log | tail -1)

/usr/bin/python3 -m pytest -p no:cacheprovider -q -r fE --junitxml=tests/output/pytest.xml \
	tests/unit_py tests/integration tests/e2e "$@" >tests/output/pytest.log 2>&1
py_rc=$?
cat tests/output/pytest.log
py_line=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|no tests ran|error' tests/output/pytest.log | tail -1)

echo
echo "================================ summary ================================"
echo "unit (Check under valgrind): $unit_ok suites passed, $unit_fail failed, $unit_checks checks${failed:+ (failed:$failed)}"
echo "layers (ARCHITECTURE.md rules): $(echo "$layers_line" | tail -1 | sed 's/^layer check: //')"
echo "fuzz (libFuzzer, ${FUZZ_RUNS:-20000} runs each): ${fuzz_line:-no result}"
echo "pytest (simulator, integration, browser): ${py_line:-no result}"
if [ "$unit_fail" -eq 0 ] && [ "$layers_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ] && [ "$py_rc" -eq 0 ]; then
	echo "RESULT: PASS"
	exit 0
fi
echo "RESULT: FAIL"
exit 1
