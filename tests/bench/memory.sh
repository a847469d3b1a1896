#!/bin/bash
# memory: each stage's peak RSS with a tenth of its input and with all of
# it, streamed.  A stage holds a batch, a window or a buffer, never the
# input, so the two must be within 10% (full / tenth at most 1.10).
#
#   login-mask  2,000,000 message records, masked into /dev/null
#   pg-load     2,000,000 row records into user_logins, with the ledger
#   sqs-read    200,000 messages from the emulator, in a ring whose acks
#               come back at once (held messages, deletes, the lot)
#
# Run by tests/bench/run (BENCH_STAGES=memory runs it alone, without the
# limits).  BENCH_MEMORY_SCALE (default 1) scales the counts, e.g. 0.01
# for a quick try.  Peak RSS is /usr/bin/time's %M, in KiB.
set -u
. "$TOP/tests/bench/lib.sh"
. "$TOP/tests/lib/sqs.sh"

scale=${BENCH_MEMORY_SCALE:-1}
count() { awk -v n="$1" -v s="$scale" 'BEGIN { n = int(n * s); print n < 10 ? 10 : n }'; }
rows=$(count 2000000)
msgs=$(count 200000)
# pg-load's default batch, scaled alike, so that even a tenth of the
# input fills batches and the memory compared is a full batch's.
batch=$(count 50000)
key=$BENCH_TMP/memory-key
openssl rand -hex 32 >"$key" && chmod 600 "$key" || exit 1
# The peak RSS of a command, in KiB, goes to memory.rss.
rss="/usr/bin/time -f %M -o $BENCH_TMP/memory.rss"
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "memory: peak RSS with a tenth of the input and with all of it (scale $scale)"

status=0
ok() { [ "$(echo "$1 <= 1.10" | bc -l)" = 1 ] && echo meets || echo EXCEEDS; }
# verdict STAGE WHAT RSS_TENTH RSS_FULL
verdict() {
	local ratio
	ratio=$(bench_ratio "$4" "$3")
	printf '%s: %s: peak RSS %s KiB for a tenth, %s KiB for all; ratio %s, target at most 1.10: %s\n' \
	    "$1" "$2" "$3" "$4" "$ratio" "$(ok "$ratio")"
	[ "$(ok "$ratio")" = meets ] || status=1
}

# --- login-mask ----------------------------------------------------------

# mask N: peak RSS of login-mask masking N generated message records.
mask() {
	"$TOOLS/gen-logins" -f message "$1" |
	    $rss "$BIN/login-mask" -k "$key" >/dev/null 2>"$BENCH_TMP/memory.err" || {
		echo "login-mask failed:" >&2
		cat "$BENCH_TMP/memory.err" >&2
		return 1
	}
	grep -q "written $1, rejected 0\$" "$BENCH_TMP/memory.err" ||
		{ echo "login-mask did not write every row" >&2; return 1; }
	tail -n 1 "$BENCH_TMP/memory.rss"
}
small=$(mask $((rows / 10))) && full=$(mask "$rows") || exit 1
verdict login-mask "$(bench_si "$rows") message records" "$small" "$full"

# --- pg-load -------------------------------------------------------------

q -c "$USER_LOGINS_DDL" || exit 1
"$BIN/pg-load" --ledger-ddl | q || exit 1

# load N: peak RSS of pg-load loading N generated row records.
load() {
	q -c 'TRUNCATE user_logins, login_etl_ledger' -c 'CHECKPOINT' || return 1
	"$TOOLS/gen-logins" -f row -t "$(date +%s000)" "$1" |
	    $rss "$BIN/pg-load" -t user_logins --batch-rows "$batch" >/dev/null 2>"$BENCH_TMP/memory.err" || {
		echo "pg-load failed:" >&2
		cat "$BENCH_TMP/memory.err" >&2
		return 1
	}
	[ "$(psql -X -Atc 'SELECT count(*) FROM user_logins')" = "$1" ] ||
		{ echo "pg-load did not load every row" >&2; return 1; }
	tail -n 1 "$BENCH_TMP/memory.rss"
}
small=$(load $((rows / 10))) && full=$(load "$rows") || exit 1
q -c 'TRUNCATE user_logins, login_etl_ledger' || exit 1
verdict pg-load "$(bench_si "$rows") row records" "$small" "$full"

# --- sqs-read ------------------------------------------------------------

# ring N: peak RSS of sqs-read draining N messages in a ring; the acks
# are made from the records as they come, as fast as pg-load's could.
ring() {
	local url st acks=$BENCH_TMP/memory-acks recs=$BENCH_TMP/memory-recs name=memory-$1
	url=$(sqs_create "$name") || return 1
	"$TOOLS/gen-logins" "$1" >"$BENCH_TMP/memory-bodies" || return 1
	sqs_send "$url" "$BENCH_TMP/memory-bodies" 16 >/dev/null || return 1
	rm -f "$BENCH_TMP/memory-bodies" "$acks" "$recs"
	mkfifo "$acks" "$recs" || return 1
	# The ring ends when sqs-read's output does, so time(1) must hold
	# no copy of it: the stage's own shell opens the FIFOs.
	sed -u 's/^\({"message_id":"[^"]*","receipt_handle":"[^"]*"\).*/\1,"status":"loaded"}/' \
	    >"$acks" <"$recs" &
	acks=$acks recs=$recs $rss sh -c 'exec "$0" "$@" <"$acks" >"$recs"' "$BIN/sqs-read" \
	    -c "$BENCH_CONCURRENCY" --wait 0 --drain "$name" \
	    </dev/null >/dev/null 2>"$BENCH_TMP/memory.err"
	st=$?
	wait $!
	rm -f "$acks" "$recs"
	[ "$st" = 0 ] || { echo "sqs-read failed:" >&2; cat "$BENCH_TMP/memory.err" >&2; return 1; }
	[ "$(sqs_count "$url")" = "0 0" ] ||
		{ echo "sqs-read left messages in the queue: $(sqs_count "$url")" >&2; return 1; }
	tail -n 1 "$BENCH_TMP/memory.rss"
}
small=$(ring $((msgs / 10))) && full=$(ring "$msgs") || exit 1
verdict sqs-read "$(bench_si "$msgs") messages in a ring" "$small" "$full"

rm -f "$key"
exit $status
