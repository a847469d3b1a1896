#!/bin/bash
# Every fuzz target replays its seed corpus (regression inputs included)
# under ASan+UBSan: fast and deterministic; timed fuzzing is make fuzz.
. "$(dirname "$0")/lib/tap.sh"

FUZZ_BIN=${FUZZ_BIN:-$TOP/build-fuzz/fuzz}
set -- "$FUZZ_BIN"/*
[ -x "$1" ] || test_skip_all "no fuzz targets built in $FUZZ_BIN"

for f in "$@"; do
	name=${f##*/}
	test_expect_success "fuzz target $name replays its corpus cleanly" '
		test -d "$TOP/tests/fuzz/corpus/$name" &&
		test -n "$(ls "$TOP/tests/fuzz/corpus/$name")" &&
		"$f" -runs=0 "$TOP/tests/fuzz/corpus/$name"
	'
done
test_done
