#!/bin/bash
# stage-pg-load: pg-load's rows per second against psql \copy of the same
# rows into the same table, without and with the ledger, and its memory.
#
# Run by tests/bench/run after the limits (LIMIT_COPY_ROWS_PER_S is psql
# \copy of these rows).  The limit with the ledger is measured here the
# same way: psql -1 with \copy of the rows and \copy of the matching
# ledger rows, in one transaction.  Every run starts alike: both tables
# truncated and a CHECKPOINT taken.  The machine is shared and noisy, so
# each timed command runs three times and the fastest run counts, for
# pg-load and for the limit measured here alike.
set -u
. "$TOP/tests/bench/lib.sh"

rows=$BENCH_TMP/pg-load-rows.ndjson
tenth=$BENCH_TMP/pg-load-tenth.ndjson
ledger_rows=$BENCH_TMP/pg-load-ledger.copy
copy_rows=$BENCH_TMP/rows.copy	# written by tests/bench/run
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# The rows the copy limit loaded, as row records.
"$TOOLS/gen-logins" -f row "$BENCH_ROWS" >"$rows" || exit 1
head -n $((BENCH_ROWS / 10)) "$rows" >"$tenth" || exit 1
[ -s "$copy_rows" ] || "$TOOLS/gen-logins" -f copy "$BENCH_ROWS" >"$copy_rows" || exit 1
q -c "$USER_LOGINS_DDL" || exit 1
"$BIN/pg-load" --ledger-ddl | q || exit 1
# The ledger rows pg-load writes for them: target, sent_timestamp, id.
sed 's/^{"message_id":"\([^"]*\)".*"sent_timestamp":\([0-9]*\),.*/public.user_logins\t\2\t\1/' \
    "$rows" >"$ledger_rows" || exit 1
[ "$(grep -c "^public.user_logins	[0-9]*	" "$ledger_rows")" = "$BENCH_ROWS" ] ||
	{ echo "stage-pg-load: could not derive the ledger rows" >&2; exit 1; }

fresh() {
	q -c 'TRUNCATE user_logins, login_etl_ledger' -c 'CHECKPOINT' || exit 1
}

# best VAR INPUT CMD...: the fastest of three runs of CMD <INPUT, as
# "seconds peak_rss_kb".
best() {
	local __best=$1 __in=$2 __r __b= __i
	shift 2
	for __i in 1 2 3; do
		fresh
		bench_time __r "$@" <"$__in" || return 1
		if [ -z "$__b" ] || [ "$(echo "${__r% *} < ${__b% *}" | bc)" = 1 ]; then
			__b=$__r
		fi
	done
	printf -v "$__best" '%s' "$__b"
}

mb() { echo "scale=1; $1 / 1024" | bc | sed 's/^\./0./'; }

report() {	# what seconds limit_per_s target rss_kb
	local per=$(echo "$BENCH_ROWS / $2" | bc)
	local ratio=$(bench_ratio "$per" "$3")
	printf '%s: %s rows in %.2f s = %s rows/s; limit %s rows/s; ratio %s (target %s: %s); peak RSS %s MB\n' \
	    "$1" "$(bench_si "$BENCH_ROWS")" "$2" "$(bench_si "$per")" \
	    "$(bench_si "$3")" "$ratio" "$4" "$(bench_verdict "$ratio" "$4")" "$(mb "$5")"
}

default() {	# the default of an option, as the man page states it
	sed -n "/^\.It Fl -$1/,/^\.It/p" "$TOP/man/pg-load.1" |
	    grep -o 'default [0-9]*' | head -n 1 | cut -d' ' -f2
}
echo "stage pg-load: $(bench_si "$BENCH_ROWS") user_logins rows; default batches of" \
    "$(default batch-rows) rows or $(default batch-ms) ms; one commit (fsync) each"

best t "$rows" "$BIN/pg-load" -t user_logins --no-dedupe >/dev/null 2>"$BENCH_TMP/pg-load.err" ||
	{ cat "$BENCH_TMP/pg-load.err" >&2; exit 1; }
[ "$(psql -X -Atc 'SELECT count(*) FROM user_logins')" = "$BENCH_ROWS" ] ||
	{ echo "stage-pg-load: pg-load --no-dedupe did not load every row" >&2; exit 1; }
rss_full=${t#* }
report "pg-load --no-dedupe" "${t% *}" "$LIMIT_COPY_ROWS_PER_S" 0.9 "$rss_full"
# The harness's limit is one run; measured here as pg-load is (the
# fastest of three), the same ratio is not flattered by the noise.
best c /dev/null psql -X -q -c "\\copy user_logins from $copy_rows" || exit 1
limit_copy2=$(echo "$BENCH_ROWS / ${c% *}" | bc)
ratio=$(bench_ratio "$(echo "$BENCH_ROWS / ${t% *}" | bc)" "$limit_copy2")
printf '      against psql \\copy measured the same way here: %s rows/s; ratio %s (target 0.9: %s)\n' \
    "$(bench_si "$limit_copy2")" "$ratio" "$(bench_verdict "$ratio" 0.9)"

best l /dev/null psql -X -q -1 -c "\\copy user_logins from $copy_rows" \
    -c "\\copy login_etl_ledger(target, sent_timestamp, message_id) from $ledger_rows" || exit 1
limit_ledger=$(echo "$BENCH_ROWS / ${l% *}" | bc)
printf 'limit ledger: psql -1 \\copy of the rows and of their ledger rows in %.2f s = %s rows/s\n' \
    "${l% *}" "$(bench_si "$limit_ledger")"

best t "$rows" "$BIN/pg-load" -t user_logins >/dev/null 2>"$BENCH_TMP/pg-load.err" ||
	{ cat "$BENCH_TMP/pg-load.err" >&2; exit 1; }
[ "$(psql -X -Atc 'SELECT count(*) FROM login_etl_ledger')" = "$BENCH_ROWS" ] ||
	{ echo "stage-pg-load: pg-load did not write every ledger row" >&2; exit 1; }
report "pg-load with the ledger" "${t% *}" "$limit_ledger" 0.9 "${t#* }"

fresh
bench_time t "$BIN/pg-load" -t user_logins --no-dedupe <"$tenth" >/dev/null 2>&1 || exit 1
rss_tenth=${t#* }
ratio=$(bench_ratio "$rss_full" "$rss_tenth")
printf 'memory: peak RSS %s MB for all the input, %s MB for a tenth of it: ratio %s (%s)\n' \
    "$(mb "$rss_full")" "$(mb "$rss_tenth")" "$ratio" \
    "$( [ "$(echo "$ratio <= 1.5" | bc)" = 1 ] && echo "bounded by the batch" || echo "GROWS with the input")"
fresh
rm -f "$rows" "$tenth" "$ledger_rows"
