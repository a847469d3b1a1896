#!/bin/bash
# etl's hold on its ring: the stages hold no stray pipe ends, SIGINT and
# SIGHUP drain the ring as SIGTERM does, a replay stops on a signal and
# a second replay finishes it, a stage that fails on its own is named
# with its status, and etl's private directory is gone whatever ended
# the run.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
"$TOOLS/gen-logins" -s 4060 -b 40 6000 >sent ||
	{ echo "Bail out! gen-logins failed"; exit 1; }
mkdir etl-tmp
export TMPDIR=$TMP/etl-tmp

# A shell started in the background ignores SIGINT, and so would etl;
# sigint_default CMD... runs CMD with SIGINT back to its default, as a
# terminal's shell would.
sigint_default() {
	exec perl -e '$SIG{INT} = "DEFAULT"; exec @ARGV or die "$ARGV[0]: $!\n"' "$@"
}

# slow_table NAME WHEN MS: a table like the users' one, whose every row
# takes MS milliseconds more to insert (WHEN "insert") or to commit
# (WHEN "commit", a deferred trigger).
slow_table() {
	local trigger="TRIGGER slow BEFORE INSERT"
	[ "$2" = commit ] && trigger="CONSTRAINT TRIGGER slow AFTER INSERT"
	[ "$2" = commit ] && trigger="$trigger ON $1 DEFERRABLE INITIALLY DEFERRED" ||
	    trigger="$trigger ON $1"
	etl_table "$1" &&
	pgl_sql "CREATE FUNCTION $1_slow() RETURNS trigger LANGUAGE plpgsql AS
	    \$\$BEGIN PERFORM pg_sleep($3 / 1000.0); RETURN NEW; END\$\$;
	    CREATE $trigger FOR EACH ROW EXECUTE FUNCTION $1_slow()" >/dev/null
}

# holding RUN [ETL-OPTION...]: a ring on its own queue and table t_RUN
# (made beforehand, or now), started with options that keep 1,500
# messages in flight and none committed.
holding() {
	local run=$1
	shift
	{ pgl_sql "SELECT to_regclass('t_$run') IS NOT NULL" | grep -q t ||
	    etl_table "t_$run"; } &&
	url=$(etl_queue "q-$run" sent) &&
	etl_bg out "err-$run" -k key -r "rej-$run" -t "t_$run" --read=--wait=1 \
	    --read=--max-inflight=1500 --load=--batch-rows=5000 \
	    --load=--batch-ms=3600000 "$@" "q-$run" &&
	test_wait_for "test \"\$(sqs_count $url)\" = \"4500 1500\"" 120
}

# drained RUN: what the ring held is loaded or rejected, and deleted.
drained() {
	test "$(sqs_count "$url")" = "4500 0" &&
	rows=$(pgl_sql "SELECT count(*) FROM t_$1") &&
	test $((rows + $(wc -l <"rej-$1"))) = 1500
}

# end PID FD: what descriptor FD of PID is open on (pipe:[inode] or a path).
end() {
	readlink "/proc/$1/fd/$2"
}

# holders END: every descriptor, of any process, open on END, sorted.
holders() {
	local f
	for f in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$f" 2>/dev/null)" = "$1" ] && echo "$f"
	done | sort
}

# Shutdown travels down the ring as end of file, so a pipe's write end
# held anywhere else would keep the ring alive for ever.
test_expect_success 'each pipe of the ring joins two stages, and nothing else holds it' '
	holding fds &&
	r=$(etl_stage "$ETL_PID" sqs-read) && m=$(etl_stage "$ETL_PID" login-mask) &&
	l=$(etl_stage "$ETL_PID" pg-load) &&
	for link in "$r 1 $m 0" "$m 1 $l 0" "$l 1 $r 0"; do
		set -- $link &&
		e=$(end $1 $2) && echo "$1:$2 -> $e" &&
		test "$(end $3 $4)" = "$e" &&
		printf "/proc/%s/fd/%s\n" $1 $2 $3 $4 | sort >want &&
		holders "$e" >got && test_cmp want got || return 1
	done &&
	case $(end "$r" 0) in */acks) ;; *) false ;; esac
'

test_expect_success 'each stage runs in a process group of its own' '
	for s in sqs-read login-mask pg-load; do
		p=$(etl_stage "$ETL_PID" "$s") &&
		test "$(ps -o pgid= -p "$p" | tr -d " ")" = "$p" || return 1
	done
'

test_expect_success 'SIGHUP to etl drains the ring as SIGTERM does' '
	kill -HUP "$ETL_PID" &&
	etl_wait 0 &&
	drained fds
'

test_expect_success 'SIGINT to etl drains the ring: exit 0, nothing lost' '
	etl_table t_int &&
	url=$(etl_queue q-int sent) &&
	{ sigint_default etl -k key -r rej-int -t t_int --read=--wait=1 \
	    --read=--max-inflight=1500 --load=--batch-rows=5000 \
	    --load=--batch-ms=3600000 q-int </dev/null >out 2>err-int & } &&
	ETL_PID=$! && etl_pids="$etl_pids $ETL_PID" &&
	test_wait_for "test \"\$(sqs_count $url)\" = \"4500 1500\"" 120 &&
	kill -INT "$ETL_PID" &&
	etl_wait 0 &&
	drained int &&
	test_must_not_contain err-int "^etl:"
'

# The ring commits slowly (10 ms a row at COMMIT), so the second signal
# comes while pg-load commits the 1,500 rows the first one drained.  Only
# if the second signal reaches pg-load too does it cancel that COMMIT
# (after its 5 s grace) and say so; then nothing is in the table, and
# the queue keeps every message.
test_expect_success 'a second signal stops every stage at once' '
	slow_table t_twice commit 10 &&
	holding twice &&
	kill -TERM "$ETL_PID" && sleep 0.5 && kill -TERM "$ETL_PID" &&
	wait "$ETL_PID"; st=$?;
	cat err-twice && echo "etl: exit $st" && test "$st" = 143 &&
	grep -q "^pg-load: interrupted" err-twice &&
	test "$(pgl_sql "SELECT count(*) FROM t_twice")" = 0 &&
	c=$(sqs_count "$url") && echo "queue: $c" &&
	test $((${c% *} + ${c#* })) = 6000
'

test_expect_success 'a replay stops on SIGTERM, and a second one finishes it' '
	slow_table t_replay insert 1 &&
	"$TOOLS/gen-logins" -f message -s 4061 -b 40 -t "$(date +%s000)" 20000 >saved &&
	{ etl -k key -r rej-replay -t t_replay --load=--batch-rows=1000 \
	    --replay saved </dev/null >out 2>err-replay & } &&
	ETL_PID=$! && etl_pids="$etl_pids $ETL_PID" &&
	test_wait_for "test \$(pgl_sql \"SELECT count(*) FROM t_replay\") -gt 0" 60 &&
	job=$(ps -o pgid= -p "$(pgrep -P "$ETL_PID" | head -n 1)" | tr -d " ") &&
	echo "the replay job: process group $job" && pgrep -g "$job" -x pg-load &&
	kill -TERM "$ETL_PID" &&
	wait "$ETL_PID"; st=$?;
	cat err-replay && echo "etl: exit $st" && test "$st" = 143 &&
	test_must_not_contain err-replay "^etl:" &&
	{ ! pgrep -g "$job" || { pgrep -ag "$job"; false; }; } &&
	grep -q "^pg-load: [0-9]* records: " err-replay &&
	n=$(pgl_sql "SELECT count(*) FROM t_replay") && echo "rows: $n" &&
	test "$n" -lt 15000 &&
	pgl_sql "DROP TRIGGER slow ON t_replay" >/dev/null &&
	{ etl -k key -r rej-replay2 -t t_replay --replay saved 2>err-replay2 ||
	    { cat err-replay2; false; }; } &&
	n=$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM t_replay") &&
	test "${n%|*}" = "${n#*|}" &&
	echo "rows: $n, rejects: $(wc -l <rej-replay2)" &&
	test $((${n%|*} + $(wc -l <rej-replay2))) = 20000
'

# Last, as it stops the database: pg-load cannot commit, gives up after
# its retry bound, and etl names it.
test_expect_success 'a stage that fails on its own is named with its status' '
	holding fail --load=--retry-seconds=2 &&
	pgl_ctl stop -m immediate &&
	kill -TERM "$ETL_PID" &&
	wait "$ETL_PID"; st=$?;
	cat err-fail && test "$st" = 75 &&
	grep -q "^etl: pg-load failed (exit 75); the ring stopped$" err-fail &&
	test "$(grep -c "^etl:" err-fail)" = 1
'

test_expect_success 'etl leaves nothing in its temporary directory' '
	ls -A etl-tmp >left && test_diag left && test ! -s left
'

test_done
