#!/bin/bash
# Faults: the server restarts (cleanly, then by crash) in the middle of
# a 100,000-row stream, and every row ends up in the table exactly once;
# a server that stays away ends pg-load with EX_TEMPFAIL, nothing
# uncommitted acked.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins

acked() {
	test "$(wc -l <acks)" -ge "$1"
}

test_expect_success 'a 100,000-row stream survives two server restarts' '
	pgl_rows 100000 >rows &&
	rm -f in && mkfifo in &&
	{ pg-load -t user_logins --batch-rows 5000 --batch-ms 60000 <in >acks 2>err &
	  pid=$!; } &&
	exec 7>in &&
	# Four batches commit; 2500 rows wait in an open COPY.
	sed -n 1,22500p rows >&7 &&
	test_wait_for "acked 20000" 60 &&
	pgl_ctl restart -m fast &&
	sed -n 22501,60000p rows >&7 &&
	test_wait_for "acked 55000" 60 &&
	pgl_ctl restart -m immediate &&
	sed -n 60001,100000p rows >&7 &&
	exec 7>&- &&
	wait $pid
'

test_expect_success 'pg-load saw the connection go and came back' '
	cat err &&
	test "$(grep -c "connection lost, reconnecting" err)" -ge 2 &&
	grep -q "reconnected" err
'

test_expect_success 'every row is in the table exactly once' '
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins")" = "100000|100000" &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 100000
'

test_expect_success 'every message is acked once, loaded or duplicate' '
	test "$(wc -l <acks)" = 100000 &&
	test $(( $(pgl_acks acks loaded) + $(pgl_acks acks duplicate) )) = 100000 &&
	pgl_ids acks | sort | uniq -d >twice && test ! -s twice &&
	pgl_ids acks >got && pgl_ids rows >want && test_cmp want got
'

test_expect_success 'a server that stays away: EX_TEMPFAIL after --retry-seconds' '
	pgl_rows 3000 2 >more &&
	rm -f in2 && mkfifo in2 &&
	{ pg-load -t user_logins --batch-rows 1000 --batch-ms 60000 --retry-seconds 2 \
	    <in2 >acks2 2>err2 & pid=$!; } &&
	exec 8>in2 &&
	sed -n 1,2500p more >&8 &&
	test_wait_for "test \$(wc -l <acks2) -ge 2000" 60 &&
	pgl_ctl stop -m fast &&
	sed -n 2501,3000p more >&8 &&
	exec 8>&- &&
	{ wait $pid; st=$?; } ; test "$st" = 75 &&
	grep -q "giving up; nothing uncommitted was acknowledged" err2
'

test_expect_success 'and what it acked is exactly what was committed' '
	pgl_ctl restart &&
	test "$(wc -l <acks2)" = 2000 &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 102000 &&
	pgl_ids acks2 | sed "s/.*/\$\$&\$\$/" | paste -sd, >idlist &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id IN ($(cat idlist))")" = 2000
'

test_expect_success 'the rest loads on the next run, the committed part as duplicates' '
	pg-load -t user_logins <more >acks3 &&
	test "$(pgl_acks acks3 duplicate)" = 2000 && test "$(pgl_acks acks3 loaded)" = 1000 &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins")" = "103000|103000"
'

test_done
