#!/bin/bash
# stage-sqs-read: drain BENCH_MESSAGES messages from the emulator with
# sqs-read --delete-after-write --drain, against the emulator's capacity
# measured just before by the minimal client (LIMIT_SQS_PER_S), and its
# CPU time beside that client's (LIMIT_SQS_CPU): the emulator is one
# Node thread on a shared machine, so a client that burns CPU slows it.
# --wait 0, as the minimal client polls.  Targets: at least 0.8 of the
# limit, peak RSS under 20 MB.
. "$TOP/tests/bench/lib.sh"
. "$TOP/tests/lib/sqs.sh"

n=$BENCH_MESSAGES
url=$(sqs_create bench-sqs-read) || exit 1
"$TOOLS/gen-logins" "$n" >"$BENCH_TMP/bodies" || exit 1
sqs_send "$url" "$BENCH_TMP/bodies" 16 >/dev/null || exit 1
rm -f "$BENCH_TMP/bodies"

t0=$(date +%s.%N)
/usr/bin/time -f '%M %U %S' -o "$BENCH_TMP/sqs-read.time" \
    "$BIN/sqs-read" -c "$BENCH_CONCURRENCY" --wait 0 --drain --delete-after-write \
    bench-sqs-read >"$BENCH_TMP/sqs-read.out" 2>"$BENCH_TMP/sqs-read.err"
st=$?
t1=$(date +%s.%N)
if [ "$st" != 0 ]; then
	echo "bench sqs-read: exit status $st" >&2
	cat "$BENCH_TMP/sqs-read.err" >&2
	exit 1
fi
got=$(wc -l <"$BENCH_TMP/sqs-read.out")
left=$(sqs_count "$url")
rm -f "$BENCH_TMP/sqs-read.out"
[ "$got" = "$n" ] || { echo "bench sqs-read: drained $got of $n" >&2; exit 1; }

read -r rss user sys <"$BENCH_TMP/sqs-read.time"
secs=$(echo "$t1 - $t0" | bc -l)
rate=$(echo "$n / $secs" | bc)
ratio=$(bench_ratio "$rate" "$LIMIT_SQS_PER_S")
cpu=$(echo "($user + $sys) * 100000 / $n" | bc -l)
limit_cpu=$(echo "$LIMIT_SQS_CPU * 100000 / $n" | bc -l)
printf 'sqs-read: drained %s messages (--delete-after-write, -c %s) in %.2f s = %s messages/s; queue left "%s"\n' \
    "$(bench_si "$n")" "$BENCH_CONCURRENCY" "$secs" "$(bench_si "$rate")" "$left"
printf '  limit %s messages/s (minimal client), ratio %s, target 0.8: %s\n' \
    "$(bench_si "$LIMIT_SQS_PER_S")" "$ratio" "$(bench_verdict "$ratio" 0.8)"
printf '  peak RSS %.1f MB, target < 20 MB: %s\n' "$(echo "$rss / 1024" | bc -l)" \
    "$([ "$rss" -lt 20480 ] && echo meets || echo ABOVE)"
printf '  CPU %.2f s per 100k messages (minimal client %.2f s per 100k)\n' "$cpu" "$limit_cpu"
