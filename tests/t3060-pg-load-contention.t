#!/bin/bash
# Another session that holds ledger entries pg-load needs: a deadlock
# with it is retried, on the fast path and on the careful one, and the
# rows still load once, acked only after they commit.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins
pg-load --ledger-ddl | psql -X -q -v ON_ERROR_STOP=1 || exit 1

count() {
	pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins"
}

# How many locks others wait for: on the rival's transaction itself
# (its first insert) or on one of its subtransactions (its savepoints).
waits_on_top() {
	pgl_sql "SELECT count(*) FROM pg_locks WHERE NOT granted
	    AND pid <> $rival_pid AND transactionid::text = '$rival_xid'"
}
waits_on_sub() {
	pgl_sql "SELECT count(*) FROM pg_locks WHERE NOT granted
	    AND pid <> $rival_pid AND transactionid::text <> '$rival_xid'"
}

# rival_start: a psql session fed through a FIFO, standing in for a
# second loader; it finds deadlocks only after a minute, so pg-load is
# always the one that does.  rival SQL... sends statements; rival_sync
# waits until the session has run everything sent so far.
rival_start() {
	rm -f rival.in rival.out && mkfifo rival.in || return 1
	psql -X -q -At -v ON_ERROR_STOP=1 <rival.in >rival.out 2>&1 &
	rival_psql=$!
	exec 8>rival.in
	rival "SET deadlock_timeout = '60s'; SELECT 'pid', pg_backend_pid();" &&
	rival_sync &&
	rival_pid=$(sed -n 's/^pid|//p' rival.out) && test -n "$rival_pid"
}
rival() {
	echo "$*" >&8
}
rival_sync() {
	rival_n=$(( ${rival_n:-0} + 1 ))
	rival "SELECT 'sync $rival_n';" &&
	test_wait_for "grep -q '^sync $rival_n\$' rival.out" 30
}
rival_stop() {
	exec 8>&-
	wait $rival_psql
}

# claim first|second FILE: the ledger row, as SQL values, of the record
# of the two in FILE that pg-load claims first (it claims in key order)
# or second.
claim() {
	perl -MJSON::PP -e '
		my $which = shift;
		my @k = sort { $a->[0] <=> $b->[0] || $a->[1] cmp $b->[1] }
		    map { my $j = decode_json($_); [$j->{sent_timestamp}, $j->{message_id}] } <>;
		my $k = $k[$which eq "first" ? 0 : 1];
		print "INSERT INTO login_etl_ledger(target, sent_timestamp, message_id) ",
		    "VALUES (\$\$public.user_logins\$\$, $k->[0], \$\$$k->[1]\$\$);";
	' "$1" "$2"
}

# rival_begin FILE: the rival takes the second entry pg-load will want.
rival_begin() {
	rival "BEGIN; $(claim second "$1") SELECT 'xid', pg_current_xact_id();" &&
	rival_sync &&
	rival_xid=$(sed -n 's/^xid|//p' rival.out) && test -n "$rival_xid"
}

# A waiting backend looks for a deadlock once, deadlock_timeout after it
# began to wait.  pg-load waits first, for the rival, and looks after
# 4 s, by when the rival waits for it too: pg-load finds the deadlock
# and is the one to fail.  The rival would look only after a minute.
export PGOPTIONS="-c deadlock_timeout=4s"

test_expect_success 'a deadlock in the ledger COPY is retried and the rows load once' '
	pgl_rows 2 1 >two &&
	rival_start && rival_begin two &&
	{ pg-load -t user_logins <two >acks 2>err & } &&
	load=$! &&
	# pg-load has the first entry and waits for the second; the rival
	# now wants the first: a deadlock, which pg-load detects
	test_wait_for "test \$(waits_on_top) = 1" 30 &&
	test ! -s acks &&
	rival "SAVEPOINT s; $(claim first two)" && rival_sync &&
	# pg-load tries again and waits for the rival, which gives way
	test_wait_for "test \$(waits_on_sub) = 1" 30 &&
	test ! -s acks && test "$(count)" = "0|0" &&
	rival "ROLLBACK;" && rival_sync && rival_stop &&
	wait $load &&
	test "$(count)" = "2|2" &&
	test "$(pgl_acks acks loaded)" = 2
'

test_expect_success 'a deadlock on the careful path is retried and named on stderr' '
	# A batch of duplicates sends pg-load down the careful path (claims
	# first) for the next one.
	pgl_rows 2 2 >dups && pg-load -t user_logins <dups >/dev/null &&
	pgl_rows 2 3 >two && cat dups two >input &&
	rival_start && rival_begin two &&
	{ pg-load -t user_logins --batch-rows 2 <input >acks 2>err & } &&
	load=$! &&
	test_wait_for "test \$(waits_on_top) = 1" 30 &&
	test "$(pgl_acks acks duplicate)" = 2 &&
	rival "SAVEPOINT s; $(claim first two)" && rival_sync &&
	test_wait_for "test \$(waits_on_sub) = 1" 30 &&
	test "$(count)" = "4|4" &&
	rival "ROLLBACK;" && rival_sync && rival_stop &&
	wait $load &&
	test "$(count)" = "6|6" &&
	test "$(pgl_acks acks loaded)" = 2 &&
	grep -q "batch from line 3: SQLSTATE 40P01 (deadlock detected): trying it again" err
'

test_expect_success 'a rival that commits first wins: pg-load acks duplicates' '
	pgl_rows 2 4 >two &&
	rival_start && rival_begin two &&
	{ pg-load -t user_logins <two >acks 2>err & } &&
	load=$! &&
	test_wait_for "test \$(waits_on_top) = 1" 30 &&
	rival "$(claim first two)" && rival_sync &&
	rival "COMMIT;" && rival_sync && rival_stop &&
	wait $load &&
	test "$(count)" = "6|6" &&
	test "$(pgl_acks acks duplicate)" = 2
'

test_expect_success 'a deadlock met after SIGTERM is still retried, and the rows commit' '
	# Duplicates first, for the careful path, whose retries pause.
	pgl_rows 2 5 >two && cat dups two >input &&
	rival_start && rival_begin two &&
	{ pg-load -t user_logins --batch-rows 2 <input >acks 2>err & } &&
	load=$! &&
	test_wait_for "test \$(waits_on_top) = 1" 30 &&
	kill -TERM $load &&
	rival "SAVEPOINT s; $(claim first two)" && rival_sync &&
	test_wait_for "test \$(waits_on_sub) = 1" 30 &&
	rival "ROLLBACK;" && rival_sync && rival_stop &&
	{ wait $load; st=$?; } ; test "$st" = 143 &&
	test "$(count)" = "8|8" &&
	test "$(pgl_acks acks loaded)" = 2 && test "$(pgl_acks acks duplicate)" = 2 &&
	grep -q "batch from line 3: SQLSTATE 40P01 (deadlock detected): trying it again" err
'

test_done
