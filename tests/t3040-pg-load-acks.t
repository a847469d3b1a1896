#!/bin/bash
# Acks: never before the commit, in time for a trickle, and on the way
# out after a signal.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins
pg-load -t user_logins --check || exit 1

committed() {
	pgl_sql "SELECT count(*) FROM user_logins"
}

# Whether pg-load's COMMIT waits for a synchronous standby (none comes).
commit_waits() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'pg-load' AND wait_event = 'SyncRep'
	    AND query = 'COMMIT'")" = 1
}

# Whether pg-load has a COPY open (it has read rows and sent them).
copy_open() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'pg-load' AND query LIKE 'BEGIN%COPY%'")" = 1
}

# Ends pg-load's session on the server, as a crash or a network would.
terminate_loader() {
	pgl_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'pg-load'" >/dev/null
}

# How many of the rows of file $1 are in the table.
loaded_of() {
	pgl_sql "SELECT count(*) FROM user_logins WHERE user_id IN
	    ($(pgl_field "$1" user_id | sed "s/.*/'&'/" | paste -sd,))"
}

sync_standby() {
	if [ "$1" = on ]; then
		pgl_sql "ALTER SYSTEM SET synchronous_standby_names = 'nobody'"
	else
		pgl_sql "ALTER SYSTEM RESET synchronous_standby_names"
	fi && pgl_sql "SELECT pg_reload_conf()" >/dev/null
}
test_cleanup 'sync_standby off 2>/dev/null'

test_expect_success 'while the commit waits, nothing is acked and nothing is visible' '
	pgl_rows 10 >rows10 &&
	sync_standby on &&
	{ pg-load -t user_logins <rows10 >acks 2>err & pid=$!; } &&
	test_wait_for commit_waits 30 &&
	test ! -s acks &&
	test "$(committed)" = 0
'

test_expect_success 'once it commits, every record is acked loaded' '
	sync_standby off &&
	wait $pid &&
	test "$(pgl_acks acks loaded)" = 10 &&
	test "$(committed)" = 10
'

test_expect_success 'killed while the commit waits: no ack; the replay acks duplicates' '
	pgl_rows 10 2 >rows10b &&
	sync_standby on &&
	{ pg-load -t user_logins <rows10b >acks-b 2>err-b & pid=$!; } &&
	test_wait_for commit_waits 30 &&
	# Signals sent together merge into one: let the first arrive.
	kill -TERM $pid && sleep 1 && kill -TERM $pid &&
	{ wait $pid; st=$?; } ; test "$st" = 143 &&
	test ! -s acks-b &&
	sync_standby off &&
	test_wait_for "test \$(committed) = 20" 30 &&
	pg-load -t user_logins <rows10b >acks-b2 &&
	test "$(pgl_acks acks-b2 duplicate)" = 10
'

test_expect_success 'a COMMIT cut off by a lost connection is asked about, not redone' '
	pgl_rows 10 6 >rows10f &&
	sync_standby on &&
	{ pg-load -t user_logins --no-dedupe <rows10f >acks-f 2>err-f & pid=$!; } &&
	test_wait_for commit_waits 30 &&
	# Committed here, and waiting for a standby: the connection goes.
	terminate_loader &&
	{ test_wait_for "test -s acks-f" 20; st=$?; } ;
	sync_standby off; wait $pid &&
	test "$st" = 0 &&
	test "$(loaded_of rows10f)" = 10 &&
	test "$(pgl_acks acks-f loaded)" = 10 &&
	grep -q "reconnected; asking whether the batch committed" err-f &&
	grep -q "batch from line 1: committed before the connection was lost; not loading it again" err-f
'

test_expect_success 'and one that did not commit is loaded again' '
	pgl_rows 10 7 >rows10g &&
	rm -f ing && mkfifo ing &&
	{ pg-load -t user_logins --no-dedupe --batch-ms 3600000 <ing >acks-g 2>err-g &
	  pid=$!; } &&
	exec 6>ing && cat rows10g >&6 &&
	test_wait_for copy_open 30 &&
	terminate_loader && exec 6>&- && wait $pid &&
	test "$(loaded_of rows10g)" = 10 &&
	test "$(pgl_acks acks-g loaded)" = 10 &&
	grep -q "reconnected; loading the batch again" err-g
'

test_expect_success '-v: a progress line every second, while input is awaited too' '
	rm -f inv && mkfifo inv &&
	{ pg-load -v -t user_logins <inv >/dev/null 2>err-v & pid=$!; } &&
	exec 6>inv && sleep 3.5 && exec 6>&- && wait $pid &&
	grep "^pg-load: [0-9]* loaded, " err-v >lines &&
	test "$(wc -l <lines)" -ge 2
'

test_expect_success 'each ack, the moment it is read, names a committed row' '
	pgl_rows 60 3 >rows60 &&
	rm -f ackfifo && mkfifo ackfifo &&
	{ while read -r l; do echo "$l"; sleep 0.05; done <rows60 |
	    pg-load -t user_logins --batch-rows 7 --batch-ms 60000 >ackfifo 2>err-c & } &&
	n=0 &&
	while IFS= read -r ack; do
		id=$(echo "$ack" | sed -n "s/.*\"message_id\":\"\\([^\"]*\\)\".*/\\1/p") &&
		uid=$(grep -F "\"message_id\":\"$id\"" rows60 | pgl_field /dev/stdin user_id) &&
		test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id = \$\$$uid\$\$")" = 1 &&
		test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id = \$\$$id\$\$")" = 1 ||
		{ echo "acked before commit: $id"; return 1; }
		n=$((n + 1))
	done <ackfifo &&
	test "$n" = 60
'

test_expect_success 'a trickle is committed by the age of its oldest row' '
	pgl_rows 80 4 >rows80 &&
	rm -f in && mkfifo in &&
	{ pg-load -t user_logins --batch-ms 1000 --batch-rows 100000 <in >acks-t 2>err-t &
	  pid=$!; } &&
	exec 5>in &&
	# A row every 0.2 s: the input is never idle for --batch-ms, so only
	# the age of the oldest row can make pg-load commit.
	i=0 &&
	while [ "$i" -lt 80 ] && ! [ -s acks-t ]; do
		i=$((i + 1)) && sed -n "${i}p" rows80 >&5 && sleep 0.2
	done &&
	written=$i &&
	exec 5>&- &&
	wait $pid &&
	echo "first ack after $written rows" &&
	test "$written" -lt 80 &&
	test "$(pgl_acks acks-t loaded)" = "$written"
'

test_expect_success 'SIGTERM: what was read is committed and acked, then it ends by the signal' '
	pgl_rows 30 5 >rows30 &&
	rm -f in2 && mkfifo in2 &&
	{ pg-load -t user_logins --batch-ms 3600000 <in2 >acks-s 2>err-s & pid=$!; } &&
	exec 6>in2 &&
	cat rows30 >&6 &&
	test_wait_for copy_open 30 &&
	kill -TERM $pid &&
	{ wait $pid; st=$?; } ; exec 6>&- ; test "$st" = 143 &&
	test "$(pgl_acks acks-s loaded)" = 30 &&
	grep -q "30 records: 30 loaded" err-s
'

test_done
