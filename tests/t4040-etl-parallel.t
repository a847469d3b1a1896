#!/bin/bash
# Three rings at once on one queue, one table, one ledger and one rejects
# file, as etl@.service runs them: each message is loaded, or rejected,
# by exactly one of them.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
"$TOOLS/gen-logins" -s 4040 -b 25 -i 500 -d 500 30000 >sent ||
	{ echo "Bail out! gen-logins failed"; exit 1; }
url=$(sqs_create logins) || { echo "Bail out! no queue"; exit 1; }

# The rings run as services do, until stopped; they are all receiving
# before the messages come.
test_expect_success 'three rings on one queue take its messages as they come' '
	for i in 1 2 3; do
		etl_bg out$i err$i -v -k key -r rejects --read=--wait=2 \
		    --load=--batch-rows=2000 logins &&
		eval "pid$i=\$ETL_PID" &&
		test_wait_for "etl_stage \$ETL_PID sqs-read >/dev/null" 30 || return 1
	done &&
	test "$(sqs_send "$url" sent)" = 30000 &&
	test_wait_for "etl_empty $url" 120
'

test_expect_success 'SIGTERM stops each cleanly, exit 0' '
	kill -TERM $pid1 $pid2 $pid3 &&
	wait $pid1 && wait $pid2 && wait $pid3
'

test_expect_success 'each ring took part' '
	for i in 1 2 3; do
		n=$(sed -n "s/^pg-load: \([0-9]*\) records: .*/\1/p" err$i) &&
		test "$n" -gt 0 || return 1
	done
'

test_expect_success 'the queue is empty' '
	etl_empty "$url"
'

test_expect_success 'every valid login is in the table exactly once' '
	etl_check_rows user_logins sent &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins")" = "28800|28800"
'

test_expect_success 'every invalid one is in the shared rejects file once, each line whole' '
	test "$(wc -l <rejects)" = 1200 &&
	etl_check_rejects rejects sent
'

test_expect_success 'the rings counts add up to the messages sent' '
	cat err1 err2 err3 | sed -n "s/^pg-load: \([0-9]*\) records: \([0-9]*\) loaded, \([0-9]*\) duplicates, \([0-9]*\) rejected, .*/\1 \2 \3 \4/p" |
	    awk "{ r += \$1; l += \$2; d += \$3; j += \$4 } END { print r, l, d, j }" >sum &&
	echo "30000 28800 0 1200" >want &&
	test_cmp want sum
'

# The same with --drain: a ring whose receive comes back empty ends
# while the others still hold messages, and loses none of them.  A new
# queue: a long poll that a stopped ring left open may still take
# messages sent to the old one, which then come back only after their
# visibility timeout.
test_expect_success 'three drains at once on one queue, into the same table' '
	"$TOOLS/gen-logins" -s 4041 -b 25 -i 500 -d 500 30000 >sent2 &&
	url=$(etl_queue logins2 sent2) &&
	for i in 4 5 6; do
		etl_bg out$i err$i --drain -k key -r rejects --read=--wait=2 logins2 &&
		eval "pid$i=\$ETL_PID" || return 1
	done &&
	wait $pid4 && wait $pid5 && wait $pid6 &&
	etl_empty "$url"
'

test_expect_success 'and every message of both rounds is loaded or rejected once' '
	cat sent sent2 >both &&
	etl_check_rows user_logins both &&
	test "$(wc -l <rejects)" = 2400 &&
	etl_check_rejects rejects both
'

test_done
