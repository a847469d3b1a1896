#!/bin/bash
# Faults: the server restarts (cleanly, then by crash) in the middle of
# a 100,000-row stream, and every row ends up in the table exactly once;
# a server that stays away ends pg-load with EX_TEMPFAIL, nothing
# uncommitted acked.  A link lost just after a refused row, a COMMIT
# lost on the way, a lock that a session never lets go, a link lost
# late in a long search for a refused row; a COMMIT lost on the way to a
# server that another one replaces, or as the server restarts or crashes
# (its transaction id handed out again); statements after a signal.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins

acked() {
	test "$(wc -l <acks)" -ge "$1"
}

# How many of the rows of file $1 are in the table.
loaded_of() {
	pgl_sql "SELECT count(*) FROM user_logins WHERE user_id IN
	    ($(pgl_field "$1" user_id | sed "s/.*/'&'/" | paste -sd,))"
}

# Ends pg-load's session on the server, as a crash or a network would.
terminate_loader() {
	pgl_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'pg-load'" >/dev/null
}

# Whether a session sleeps in pg_sleep(600), holding what it took.
holding() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE query = 'SELECT pg_sleep(600)'")" = 1
}

# Ends that session.
release_held() {
	pgl_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
}

# Whether pg-load's session has $1 in pg_stat_activity's column $2
# (state if not given).
loader_is() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'pg-load' AND ${2:-state} = '$1'")" = 1
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

test_expect_success 'a link lost just after a refused row: the row is kept, its value off stderr' '
	pgl_proxy cut 22P02 &&
	printf "%s\n" "{\"message_id\":\"cut1\",\"receipt_handle\":\"h1\",\"user_id\":\"u-cut1\"}" \
	    "{\"message_id\":\"cut2\",\"receipt_handle\":\"h2\",\"user_id\":\"u-cut2\",\"app_version\":\"SECRET-CUT\"}" \
	    "{\"message_id\":\"cut3\",\"receipt_handle\":\"h3\",\"user_id\":\"u-cut3\"}" >cut.in &&
	pg-load -t user_logins -d "host=127.0.0.1 port=$pgl_port" -r rej-cut.ndjson \
	    <cut.in >acks-cut 2>err-cut &&
	cat err-cut &&
	test -e "$TMP/proxy.cut.done" &&
	grep -q "connection lost, reconnecting for up to 60 s: " err-cut &&
	test_must_not_contain err-cut SECRET &&
	test_must_not_contain err-cut "invalid input syntax" &&
	test "$(pgl_field acks-cut status | tr "\n" " ")" = "loaded rejected loaded " &&
	grep -q SECRET-CUT rej-cut.ndjson
'

test_expect_success 'a COMMIT lost on the way: its idle session is ended, the batch loads once' '
	pgl_proxy swallow &&
	pgl_rows 20 9 >lost &&
	t0=$(date +%s) &&
	pg-load -t user_logins --no-dedupe --retry-seconds 40 \
	    -d "host=127.0.0.1 port=$pgl_port" <lost >acks-lost 2>err-lost &&
	cat err-lost &&
	test -e "$TMP/proxy.swallow.done" &&
	grep -q "reconnected; asking whether the batch committed" err-lost &&
	grep -q "its COMMIT never reached the server: ending the session" err-lost &&
	test $(( $(date +%s) - t0 )) -lt 30 &&
	test "$(pgl_acks acks-lost loaded)" = 20 &&
	test "$(loaded_of lost)" = 20 &&
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE state LIKE \$\$idle in transaction%\$\$")" = 0
'

test_expect_success 'SIGTERM ends a wait on a lock that another session holds' '
	pgl_sql "CREATE TABLE held(id int PRIMARY KEY)" &&
	# A session that holds a key and never ends, as a lost one would.
	{ psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN" -c "INSERT INTO held VALUES (1)" \
	    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 & holder=$!; } &&
	test_cleanup "kill $holder 2>/dev/null; release_held" &&
	test_wait_for holding 30 &&
	echo "{\"message_id\":\"held1\",\"receipt_handle\":\"h-held\",\"id\":1}" >held.in &&
	{ pg-load -t held <held.in >acks-held 2>err-held & pid=$!; } &&
	test_cleanup "kill -9 $pid 2>/dev/null" &&
	test_wait_for "loader_is Lock wait_event_type" 30 &&
	t0=$(date +%s) && kill -TERM $pid &&
	test_wait_for "test_process_gone $pid" 30 &&
	{ wait $pid; st=$?; } ; release_held &&
	cat err-held && test "$st" = 75 &&
	test $(( $(date +%s) - t0 )) -lt 30 &&
	grep -q "interrupted: a statement still running 5 s after the signal was cancelled" err-held &&
	test ! -s acks-held &&
	test "$(pgl_sql "SELECT count(*) FROM held")" = 0
'

test_expect_success 'a long search for a refused row leaves a lost link all of --retry-seconds' '
	pgl_sql "CREATE TABLE slow(id int, v text)" &&
	# The first slow row to come sleeps long enough to be cut, however
	# slow the machine; the search after the link is lost is quick.
	pgl_sql "CREATE SEQUENCE slow_once" &&
	pgl_sql "CREATE FUNCTION slow_check() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN
		IF NEW.v = \$\$bad\$\$ THEN RAISE EXCEPTION \$\$refused\$\$; END IF;
		IF NEW.v = \$\$slow\$\$ AND nextval(\$\$slow_once\$\$) = 1 THEN
			PERFORM pg_sleep(60);
		END IF;
		RETURN NEW;
	    END \$f\$" &&
	pgl_sql "CREATE TRIGGER slow_check BEFORE INSERT ON slow
	    FOR EACH ROW EXECUTE FUNCTION slow_check()" &&
	{ echo "{\"message_id\":\"s0\",\"receipt_handle\":\"h0\",\"id\":0,\"v\":\"bad\"}" &&
	  for i in 1 2 3; do
		echo "{\"message_id\":\"s$i\",\"receipt_handle\":\"h$i\",\"id\":$i,\"v\":\"slow\"}"
	  done; } >slow.in &&
	{ pg-load -t slow --retry-seconds 1 -r rej-slow.ndjson <slow.in >acks-slow 2>err-slow &
	  pid=$!; } &&
	test_cleanup "kill $pid 2>/dev/null" &&
	# Past the refused row, and more than --retry-seconds after it.
	test_wait_for "loader_is PgSleep wait_event" 30 && sleep 2 &&
	terminate_loader &&
	{ wait $pid; st=$?; } ; cat err-slow && test "$st" = 0 &&
	grep -q "connection lost, reconnecting" err-slow &&
	test "$(pgl_field acks-slow status | tr "\n" " ")" = "rejected loaded loaded loaded " &&
	test "$(pgl_sql "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM slow")" = "1,2,3"
'

test_expect_success 'after a COMMIT lost on the way, another server is not asked about it' '
	env2=$("$TOP/scripts/services" start --owner $$ pg) &&
	dir2=$(eval "$env2" && echo "$LOGIN_ETL_SERVICES") &&
	port2=$(eval "$env2" && echo "$PGPORT") &&
	echo "second server: port $port2" &&
	test_cleanup "\"\$TOP/scripts/services\" stop $dir2 >/dev/null 2>&1" &&
	pgl_proxy swallow-gone &&
	pgl_rows 10 11 >other &&
	test_must_fail --code 75 pg-load -t user_logins --no-dedupe --retry-seconds 10 \
	    -d "host=127.0.0.1,127.0.0.1 port=$pgl_port,$port2" <other >acks-other 2>err-other;
	st=$?; cat err-other; test "$st" = 0 &&
	test -e "$TMP/proxy.swallow-gone.done" &&
	grep -q "another server answered (system identifier [0-9]*), not the one the batch.s COMMIT went to" err-other &&
	test ! -s acks-other
'

# Whether pg-load has a COPY open (it has read rows and sent them).
copy_open() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'pg-load' AND query LIKE 'BEGIN%COPY%'")" = 1
}

# Statements that take the ids a lost transaction had, were they handed
# out again.
take_ids() {
	for i in $(seq 20); do echo "SELECT txid_current();"; done |
	    psql -X -q -At >/dev/null
}

test_expect_success 'a COMMIT lost as the server restarts: loaded again, not taken for another' '
	{ echo ". \"\$TOP/tests/lib/pg-load.sh\"" &&
	  echo "pgl_ctl restart -m immediate" &&
	  declare -f take_ids && echo take_ids; } >restart.sh &&
	pgl_proxy swallow-run "bash $TMP/restart.sh" &&
	pgl_rows 1 13 >restarted &&
	pg-load -t user_logins --retry-seconds 60 -d "host=127.0.0.1 port=$pgl_port" \
	    <restarted >acks-restarted 2>err-restarted;
	st=$?; cat err-restarted; test "$st" = 0 &&
	test -e "$TMP/proxy.swallow-run.done" &&
	grep -q "the server restarted or crashed since its COMMIT was sent" err-restarted &&
	test "$(pgl_acks acks-restarted loaded)" = 1 &&
	test "$(loaded_of restarted)" = 1
'

# Kills pg-load's session, so that the server resets every session in
# place: a crash that the postmaster survives.  A session of its own,
# which goes in the reset, tells when it came.
crash_loader() {
	psql -X -q -c "SELECT pg_sleep(61)" >/dev/null 2>&1 &
	local sentinel=$!
	for i in $(seq 100); do
		test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
		    WHERE query = \$\$SELECT pg_sleep(61)\$\$")" = 1 && break
		sleep 0.1
	done
	kill -9 $(pgl_sql "SELECT pid FROM pg_stat_activity
	    WHERE application_name = \$\$pg-load\$\$")
	wait $sentinel
	for i in $(seq 300); do
		pgl_sql "SELECT 1" >/dev/null 2>&1 && break
		sleep 0.1
	done
}

test_expect_success 'and so is one lost in a crash that the postmaster survives' '
	# Unlogged, and no ledger: the transaction writes nothing to the
	# log, and its id is surely lost.
	pgl_sql "CREATE UNLOGGED TABLE crashed(id int, v text)" &&
	{ echo ". \"\$TOP/tests/lib/pg-load.sh\"" &&
	  declare -f crash_loader take_ids && echo "crash_loader; take_ids"; } >crash.sh &&
	pgl_proxy swallow-run "bash $TMP/crash.sh" &&
	for i in 1 2 3 4 5; do
		echo "{\"message_id\":\"c$i\",\"receipt_handle\":\"h$i\",\"id\":$i}"
	done >crashed.in &&
	pg-load -t crashed --no-dedupe --retry-seconds 60 \
	    -d "host=127.0.0.1 port=$pgl_port" <crashed.in >acks-crashed 2>err-crashed;
	st=$?; cat err-crashed; test "$st" = 0 &&
	test -e "$TMP/proxy.swallow-run.done" &&
	grep -q "the server restarted or crashed since its COMMIT was sent" err-crashed &&
	grep -q "without the ledger, it is in the table twice if it did commit" err-crashed &&
	test "$(pgl_acks acks-crashed loaded)" = 5 &&
	test "$(pgl_sql "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM crashed")" = "1,2,3,4,5"
'

test_expect_success 'after a signal, the statements get 5 s in all, not 5 s each' '
	pgl_sql "CREATE TABLE graced(id int)" &&
	pgl_sql "CREATE FUNCTION graced_sleep() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN PERFORM pg_sleep(4); RETURN NULL; END \$f\$" &&
	pgl_sql "CREATE TRIGGER graced_sleep AFTER INSERT ON graced
	    FOR EACH STATEMENT EXECUTE FUNCTION graced_sleep()" &&
	pg-load --ledger-ddl --ledger graced_ledger | psql -X -q -v ON_ERROR_STOP=1 &&
	pgl_sql "CREATE TRIGGER graced_sleep AFTER INSERT ON graced_ledger
	    FOR EACH STATEMENT EXECUTE FUNCTION graced_sleep()" &&
	rm -f in-graced && mkfifo in-graced &&
	{ pg-load -t graced --ledger graced_ledger --batch-ms 60000 \
	    <in-graced >acks-graced 2>err-graced & pid=$!; } &&
	test_cleanup "kill -9 $pid 2>/dev/null" &&
	exec 7>in-graced &&
	echo "{\"message_id\":\"g1\",\"receipt_handle\":\"h-g1\",\"id\":1}" >&7 &&
	test_wait_for copy_open 30 &&
	# Two statements of 4 s each are left: the COPY, the ledger.
	t0=$(date +%s) && kill -TERM $pid &&
	{ wait $pid; st=$?; } ; exec 7>&- ;
	cat err-graced && test "$st" = 75 &&
	test $(( $(date +%s) - t0 )) -lt 8 &&
	grep -q "interrupted: a statement still running 5 s after the signal was cancelled" err-graced &&
	test ! -s acks-graced &&
	test "$(pgl_sql "SELECT count(*) FROM graced")" = 0
'

test_done
