#!/bin/bash
# A crash anywhere loses nothing and doubles nothing: each stage in turn
# is killed with SIGKILL in the middle of a run, etl stops and names it,
# and a rerun with --drain ends with every valid message in the table
# exactly once and every invalid one in the rejects file.  SIGTERM to etl
# drains the ring cleanly instead, and a rerun finishes the rest.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
"$TOOLS/gen-logins" -s 4030 -b 40 10500 >sent ||
	{ echo "Bail out! gen-logins failed"; exit 1; }

# The killed run: short visibility (2 s) and long polls (1 s), so what
# the crash leaves in flight comes back soon.  pg-load commits every
# 1,000 records and never on time, so the last 500 are always in flight,
# uncommitted or unacknowledged, whenever the kill comes.
KILLED_RUN="--read=--wait=1 --read=--visibility=2 --read=--max-inflight=1500
	--load=--batch-rows=1000 --load=--batch-ms=3600000"
# The rerun's receives wait longer than a message can stay hidden after
# the crash (a receive of the dead sqs-read the emulator still answers,
# 1 s, plus the visibility, 2 s), so its drain cannot end before every
# message has come back.
RERUN="--drain --read=--wait=5"

# kill_stage STAGE: a queue and a table of its own; the ring runs until
# 2,000 rows are in, then STAGE is killed.
kill_stage() {
	local t=t_${1//-/_}
	etl_table "$t" &&
	url=$(etl_queue "q-$1" sent) &&
	etl_bg out err-$1 -k key -r rej-$1 -t "$t" $KILLED_RUN "q-$1" &&
	test_wait_for "test \$(pgl_sql \"SELECT count(*) FROM $t\") -ge 2000" 120 &&
	pid=$(etl_stage "$ETL_PID" "$1") &&
	echo "killing $1, pid $pid" &&
	kill -KILL "$pid"
}

# rerun STAGE: the rerun; then the table, the rejects and the queue.
# A message may be in the rejects twice: login-mask writes and syncs a
# reject before the ack that lets the message go, so a crash between
# the two brings it back and it is rejected again.  So the rejects are
# checked as a set of messages (by message id), and may hold pieces of
# the line a killed stage was writing (see etl_reject_bodies).
rerun() {
	local t=t_${1//-/_}
	etl $RERUN -k key -r rej-$1 -t "$t" "q-$1" >out 2>rerr-$1 &&
	etl_check_rows "$t" sent &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM $t")" = "10238|10238" &&
	etl_check_rejects rej-$1 sent cut &&
	etl_empty "$url"
}

for stage in sqs-read login-mask pg-load; do
	test_expect_success "kill -9 of $stage mid-run: etl fails, naming it" '
		kill_stage $stage &&
		{ wait $ETL_PID; st=$?; cat err-$stage; echo "status $st"; test "$st" = 137; } &&
		grep -q "^etl: $stage was killed by SIGKILL; the ring stopped$" err-$stage &&
		test "$(grep -c "^etl:" err-$stage)" = 1
	'

	# When sqs-read or pg-load dies, the last records are not acked:
	# the rerun has messages to bring back.
	[ $stage = login-mask ] ||
	test_expect_success "and leaves messages in the queue for the next run ($stage)" '
		c=$(sqs_count "$url") && test $((${c% *} + ${c#* })) -gt 0
	'

	test_expect_success "a rerun with --drain: each valid message once, nothing lost ($stage)" '
		rerun $stage
	'
done

test_expect_success 'the valid count the tests use is right' '
	test "$(etl_valid_ids sent | wc -l)" = 10238
'

# The drain after SIGTERM: sqs-read may hold 3,000 messages and pg-load
# would commit at 5,000, so the ring stops with exactly 3,000 in flight,
# none committed; SIGTERM must commit and acknowledge all of them.
test_expect_success 'SIGTERM to etl mid-run: the ring drains what it holds, exit 0' '
	etl_table t_term &&
	url=$(etl_queue q-term sent) &&
	etl_bg out err-term -v -k key -r rej-term -t t_term --read=--wait=1 \
	    --read=--max-inflight=3000 --load=--batch-rows=5000 \
	    --load=--batch-ms=3600000 q-term &&
	test_wait_for "test \"\$(sqs_count $url)\" = \"7500 3000\"" 120 &&
	test "$(pgl_sql "SELECT count(*) FROM t_term")" = 0 &&
	kill -TERM $ETL_PID &&
	etl_wait 0 &&
	test_must_not_contain err-term "^etl:"
'

test_expect_success 'what it held is loaded or rejected once, deleted, the rest untouched' '
	test "$(sqs_count "$url")" = "7500 0" &&
	rows=$(pgl_sql "SELECT count(*) FROM t_term") &&
	test "$(pgl_sql "SELECT count(DISTINCT user_id) FROM t_term")" = "$rows" &&
	test $((rows + $(wc -l <rej-term))) = 3000 &&
	etl_table_ids t_term >got && etl_valid_ids sent >valid &&
	LC_ALL=C comm -23 got valid >extra && test ! -s extra
'

test_expect_success 'a rerun finishes the rest: every message once, no reject twice' '
	etl --drain -k key -r rej-term -t t_term --read=--wait=1 q-term 2>rerr-term &&
	etl_check_rows t_term sent &&
	test "$(wc -l <rej-term)" = 262 &&
	etl_check_rejects rej-term sent &&
	etl_empty "$url"
'

test_done
