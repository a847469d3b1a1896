#!/bin/bash
# Connecting: a refused login and a missing database are told from a
# server that is away by the exit status, and settings that are not
# valid (an address, a service that is not there) from both; the
# server's notices stay off stderr; a server that does not answer is
# given up after connect_timeout (the user's, or pg-load's default), for
# the next host if there is one, and a signal ends the wait; TCP
# keepalives are on with short defaults, where the kernel allows.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins

# Seconds since the epoch, with a fraction.
now() {
	perl -MTime::HiRes=time -e 'printf "%.2f\n", time'
}

# Whether $1 - $2 (seconds) is between $3 and $4.
took() {
	perl -e 'my $d = $ARGV[0] - $ARGV[1];
		print "took $d s\n"; exit($d >= $ARGV[2] && $d <= $ARGV[3] ? 0 : 1)' "$@"
}

test_expect_success 'a role that may not log in: EX_NOPERM, with the SQLSTATE' '
	pgl_sql "CREATE ROLE cannot_login NOLOGIN" &&
	test_must_fail --code 77 pg-load -t user_logins -d "user=cannot_login" \
	    </dev/null >out 2>err &&
	grep -q "^pg-load: cannot connect: .*28000: role \"cannot_login\" is not permitted to log in" err &&
	test_must_not_contain err LOCATION && test ! -s out
'

test_expect_success 'a database that does not exist: EX_NOINPUT' '
	test_must_fail --code 66 pg-load -t user_logins -d "dbname=no_such_db" \
	    </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: .*3D000: database \"no_such_db\" does not exist" err
'

test_expect_success 'a server that is not there: EX_TEMPFAIL' '
	test_must_fail --code 75 pg-load -t user_logins -d "host=127.0.0.1 port=1" \
	    </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: " err
'

test_expect_success 'settings that are not valid: EX_USAGE in -d, EX_CONFIG from elsewhere' '
	test_must_fail --code 64 pg-load -t user_logins \
	    -d "host=127.0.0.1 connect_timeout=abc" </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: invalid connection setting connect_timeout=\"abc\"" err &&
	test_must_fail --code 64 pg-load -t user_logins -d "sslmode=maybe" </dev/null 2>err &&
	grep -q "invalid connection setting sslmode=\"maybe\"" err &&
	test_must_fail --code 64 pg-load -t user_logins -d "port=5432,5433" </dev/null 2>err &&
	grep -q "invalid connection setting port=" err &&
	PGSSLMODE=maybe test_must_fail --code 78 pg-load -t user_logins </dev/null 2>err &&
	grep -q "invalid connection setting sslmode=\"maybe\"" err &&
	PGCONNECT_TIMEOUT=soon test_must_fail --code 78 pg-load -t user_logins </dev/null 2>err &&
	PGPORT=99999 test_must_fail --code 78 pg-load -t user_logins </dev/null 2>err
'

test_expect_success 'an address or a service that cannot work: EX_USAGE in -d, EX_CONFIG from elsewhere' '
	test_must_fail --code 64 pg-load -t user_logins -d "hostaddr=abc" </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: invalid connection setting hostaddr=\"abc\"" err &&
	test_must_fail --code 64 pg-load -t user_logins \
	    -d "host=a,b hostaddr=127.0.0.1,abc" </dev/null 2>err &&
	grep -q "invalid connection setting hostaddr=" err &&
	test_must_fail --code 64 pg-load -t user_logins -d "service=nosuch" </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: definition of service \"nosuch\" not found" err &&
	PGHOSTADDR=abc test_must_fail --code 78 pg-load -t user_logins </dev/null 2>err &&
	grep -q "invalid connection setting hostaddr=\"abc\"" err &&
	PGSERVICE=nosuch test_must_fail --code 78 pg-load -t user_logins </dev/null 2>err &&
	grep -q "definition of service \"nosuch\" not found" err &&
	PGSERVICEFILE=$TMP/no-such-file test_must_fail --code 78 pg-load -t user_logins \
	    -d "service=nosuch" </dev/null 2>err &&
	grep -q "service file \".*no-such-file\" not found" err &&
	# An address that is valid, and a service that is there, still work.
	pg-load -t user_logins --check -d "hostaddr=127.0.0.1" </dev/null &&
	printf "[here]\nhostaddr=127.0.0.1\n" >services.conf &&
	PGSERVICEFILE=$TMP/services.conf pg-load -t user_logins --check -d "service=here" </dev/null
'

test_expect_success 'notices from the server, while connecting too, stay off stderr' '
	pg-load -t user_logins --check -d "options=-cclient_min_messages=debug5" \
	    </dev/null 2>err &&
	test ! -s err
'

pgl_silent accept
silent=$pgl_port

test_expect_success 'a server that says nothing is given up after 10 s by default' '
	t0=$(now) &&
	test_must_fail --code 75 timeout -k 5 60 pg-load -t user_logins \
	    -d "host=127.0.0.1 port=$silent" </dev/null 2>err &&
	took "$(now)" "$t0" 9 20 &&
	grep -q "port $silent: no answer in 10 s" err
'

test_expect_success 'connect_timeout in the connection string wins' '
	t0=$(now) &&
	test_must_fail --code 75 timeout -k 5 60 pg-load -t user_logins \
	    -d "host=127.0.0.1 port=$silent connect_timeout=2" </dev/null 2>err &&
	took "$(now)" "$t0" 1.5 6 &&
	grep -q "no answer in 2 s" err
'

test_expect_success 'and so does PGCONNECT_TIMEOUT' '
	t0=$(now) &&
	PGCONNECT_TIMEOUT=3 test_must_fail --code 75 timeout -k 5 60 pg-load \
	    -t user_logins -d "host=127.0.0.1 port=$silent" </dev/null 2>err &&
	took "$(now)" "$t0" 2.5 7 &&
	grep -q "no answer in 3 s" err
'

test_expect_success 'SIGTERM while connecting ends pg-load by the signal at once' '
	{ timeout -k 5 60 pg-load -t user_logins -d "host=127.0.0.1 port=$silent" \
	    </dev/null 2>err & pid=$!; } &&
	sleep 1 && t0=$(now) && kill -TERM $pid &&
	{ wait $pid; st=$?; } ; test "$st" = 143 &&
	took "$(now)" "$t0" 0 2
'

test_expect_success 'a host that takes the connection and then says nothing is passed for the next one' '
	t0=$(now) &&
	pg-load -t user_logins --check \
	    -d "host=127.0.0.1,127.0.0.1 port=$silent,$PGPORT connect_timeout=2" \
	    </dev/null 2>err &&
	took "$(now)" "$t0" 1.5 8 &&
	test_must_fail --code 75 pg-load -t user_logins \
	    -d "host=127.0.0.1,127.0.0.1 port=$silent,$silent connect_timeout=2" \
	    </dev/null 2>err &&
	cat err &&
	grep -q "port $silent: no answer in 2 s: pg-load tried the next host" err &&
	grep -q "port $silent: no answer in 2 s$" err
'

# Whether pg-load has a COPY open (it has read rows and sent them).
copy_open() {
	test "$(pgl_sql "SELECT count(*) FROM pg_stat_activity
	    WHERE application_name = 'pg-load' AND query LIKE 'BEGIN%COPY%'")" = 1
}

test_expect_success 'SIGTERM while reconnecting: the try under way runs its course' '
	pgl_rows 5 31 >five &&
	rm -f in && mkfifo in &&
	# The batch stays open until the session is ended, however slow
	# the machine.
	{ pg-load -t user_logins --batch-ms 5000 \
	    -d "host=127.0.0.1,127.0.0.1 port=$silent,$PGPORT connect_timeout=3" \
	    <in >acks-r 2>err-r & pid=$!; } &&
	exec 7>in && cat five >&7 &&
	test_wait_for copy_open 30 &&
	pgl_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = \$\$pg-load\$\$" >/dev/null &&
	# It waits on the silent host first.
	test_wait_for "grep -q \"connection lost, reconnecting\" err-r" 30 &&
	kill -TERM $pid &&
	{ wait $pid; st=$?; } ; exec 7>&- ;
	cat err-r && test "$st" = 143 &&
	grep -q "reconnected; loading the batch again" err-r &&
	test "$(pgl_acks acks-r loaded)" = 5
'

pgl_silent syn
dropped=$pgl_port

test_expect_success 'a host that drops the handshake is passed for the next one' '
	t0=$(now) &&
	pg-load -t user_logins --check \
	    -d "host=127.0.0.1,127.0.0.1 port=$dropped,$PGPORT connect_timeout=2" \
	    </dev/null 2>err &&
	took "$(now)" "$t0" 1.5 8 &&
	test_must_fail --code 75 pg-load -t user_logins \
	    -d "host=127.0.0.1 port=$dropped connect_timeout=2" </dev/null 2>err &&
	grep -q "no answer from \"127.0.0.1\", port $dropped in 2 s" err
'

if command -v strace >/dev/null; then
	test_expect_success 'TCP keepalives and a user timeout by default' '
		# LeakSanitizer cannot run under a tracer, if pg-load has it.
		ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=setsockopt -o trace \
		    pg-load -t user_logins -d "host=127.0.0.1" --check </dev/null &&
		grep -q "TCP_KEEPIDLE, \[30\]" trace &&
		grep -q "TCP_KEEPINTVL, \[10\]" trace &&
		grep -q "TCP_KEEPCNT, \[3\]" trace &&
		grep -q "TCP_USER_TIMEOUT, \[60000\]" trace
	'
	test_expect_success 'and the connection string says otherwise where it likes' '
		ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=setsockopt -o trace2 \
		    pg-load -t user_logins --check \
		    -d "host=127.0.0.1 keepalives_idle=99 tcp_user_timeout=1234" </dev/null &&
		grep -q "TCP_KEEPIDLE, \[99\]" trace2 &&
		test_must_not_contain trace2 "TCP_KEEPIDLE, \[30\]" &&
		grep -q "TCP_USER_TIMEOUT, \[1234\]" trace2 &&
		test_must_not_contain trace2 "TCP_USER_TIMEOUT, \[60000\]" &&
		grep -q "TCP_KEEPCNT, \[3\]" trace2
	'
	test_expect_success 'a kernel that refuses them costs the connection nothing' '
		# The calls before pg-load'"'"'s own are libpq'"'"'s; each of ours fails.
		first=$(grep -n "TCP_KEEPIDLE, \[30\]" trace | head -n 1 | cut -d: -f1) &&
		test -n "$first" &&
		ASAN_OPTIONS=detect_leaks=0 strace -f -o trace3 -e trace=setsockopt \
		    -e inject=setsockopt:error=ENOPROTOOPT:when=$first+ \
		    pg-load -t user_logins -d "host=127.0.0.1" --check </dev/null &&
		grep -q "TCP_KEEPIDLE, \[30\], 4) = -1 ENOPROTOOPT" trace3 &&
		grep -q "TCP_USER_TIMEOUT, \[60000\], 4) = -1 ENOPROTOOPT" trace3
	'
else
	pgl_skip "no strace: TCP keepalives not checked"
	pgl_skip "no strace: TCP keepalives not checked"
	pgl_skip "no strace: TCP keepalives not checked"
fi

test_done
