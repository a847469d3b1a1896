#!/bin/bash
# stage-sqs-read: drain BENCH_MESSAGES messages from the emulator with
# sqs-read --drain, twice: with --delete-after-write, and in a ring that
# acks each record as it comes back (any object with a receipt_handle is
# an ack, so sqs-read's own records, echoed to its standard input
# through a FIFO, make the simplest ring: no stage costs anything but
# sqs-read and the emulator).  Each is stated against the emulator's
# capacity measured just before by the minimal client (LIMIT_SQS_PER_S),
# and its CPU time beside that client's (LIMIT_SQS_CPU): the emulator is
# one Node thread on a shared machine, so a client that burns CPU slows
# it.  --wait 0, as the minimal client polls.  Targets: at least 0.8 of
# the limit, peak RSS under 20 MB.
. "$TOP/tests/bench/lib.sh"
. "$TOP/tests/lib/sqs.sh"

n=$BENCH_MESSAGES

# drain MODE: a fresh queue of n messages drained in MODE (delete or
# ring); prints the figures.
drain() {
	local mode=$1 q=bench-sqs-read-$1 url st t0 t1 got left rss user sys secs rate \
	    ratio cpu limit_cpu how
	url=$(sqs_create "$q") || return 1
	"$TOOLS/gen-logins" "$n" >"$BENCH_TMP/bodies" || return 1
	sqs_send "$url" "$BENCH_TMP/bodies" 16 >/dev/null || return 1
	rm -f "$BENCH_TMP/bodies" "$BENCH_TMP/recs" "$BENCH_TMP/acks"
	t0=$(date +%s.%N)
	if [ "$mode" = delete ]; then
		how="--delete-after-write"
		/usr/bin/time -f '%M %U %S' -o "$BENCH_TMP/sqs-read.time" \
		    "$BIN/sqs-read" -c "$BENCH_CONCURRENCY" --wait 0 --drain \
		    --delete-after-write "$q" >"$BENCH_TMP/sqs-read.out" \
		    2>"$BENCH_TMP/sqs-read.err"
		st=$?
	else
		how="a ring of its own records as acks"
		mkfifo "$BENCH_TMP/recs" "$BENCH_TMP/acks" || return 1
		# sqs-read opens its FIFOs itself, so that time(1), its parent,
		# keeps no copy of the records' write end: the echo would never
		# see end of file.  Both sides open records first, then acks.
		/usr/bin/time -f '%M %U %S' -o "$BENCH_TMP/sqs-read.time" \
		    sh -c 'r=$1 a=$2; shift 2; exec "$@" >"$r" <"$a"' sh \
		    "$BENCH_TMP/recs" "$BENCH_TMP/acks" \
		    "$BIN/sqs-read" -c "$BENCH_CONCURRENCY" --wait 0 --drain "$q" \
		    2>"$BENCH_TMP/sqs-read.err" &
		tee "$BENCH_TMP/sqs-read.out" <"$BENCH_TMP/recs" >"$BENCH_TMP/acks"
		wait $!
		st=$?
	fi
	t1=$(date +%s.%N)
	if [ "$st" != 0 ]; then
		echo "bench sqs-read ($mode): exit status $st" >&2
		cat "$BENCH_TMP/sqs-read.err" >&2
		return 1
	fi
	got=$(wc -l <"$BENCH_TMP/sqs-read.out")
	left=$(sqs_count "$url")
	rm -f "$BENCH_TMP/sqs-read.out" "$BENCH_TMP/recs" "$BENCH_TMP/acks"
	[ "$got" = "$n" ] || { echo "bench sqs-read ($mode): drained $got of $n" >&2; return 1; }

	read -r rss user sys <"$BENCH_TMP/sqs-read.time"
	secs=$(echo "$t1 - $t0" | bc -l)
	rate=$(echo "$n / $secs" | bc)
	ratio=$(bench_ratio "$rate" "$LIMIT_SQS_PER_S")
	cpu=$(echo "($user + $sys) * 100000 / $n" | bc -l)
	limit_cpu=$(echo "$LIMIT_SQS_CPU * 100000 / $n" | bc -l)
	printf 'sqs-read: drained %s messages (%s, -c %s) in %.2f s = %s messages/s; queue left "%s"\n' \
	    "$(bench_si "$n")" "$how" "$BENCH_CONCURRENCY" "$secs" "$(bench_si "$rate")" "$left"
	printf '  limit %s messages/s (minimal client), ratio %s, target 0.8: %s\n' \
	    "$(bench_si "$LIMIT_SQS_PER_S")" "$ratio" "$(bench_verdict "$ratio" 0.8)"
	printf '  peak RSS %.1f MB, target < 20 MB: %s\n' "$(echo "$rss / 1024" | bc -l)" \
	    "$([ "$rss" -lt 20480 ] && echo meets || echo ABOVE)"
	printf '  CPU %.2f s per 100k messages (minimal client %.2f s per 100k)\n' "$cpu" "$limit_cpu"
}

status=0
drain delete || status=1
drain ring || status=1
exit $status
