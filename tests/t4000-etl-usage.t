#!/bin/bash
# etl's command line, and the errors it stops on before the ring starts:
# a bad option, no key, a database or queue that is not there.  None of
# them may take a message from the queue.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

test_expect_success '--help prints the usage on stdout and exits 0' '
	etl --help >out 2>err &&
	grep -q "^usage: etl \[-v\]" out && test ! -s err &&
	etl -h >out2 && test_cmp out out2
'

test_expect_success 'the usage is the man page SYNOPSIS, word for word' '
	etl --help | sed "s/^ *usage://" | tr -s " \n" "\n\n" | sed "/^$/d" >got &&
	mandoc -T ascii -O width=300 "$TOP/man/etl.1" | sed "s/.\x08//g" |
	    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
	    tr -s " \n" "\n\n" | sed "/^$/d" >want &&
	test_cmp want got
'

test_expect_success '--version prints the version the programs have' '
	etl --version >out &&
	sqs-read --version | sed "s/^sqs-read/etl/" >want &&
	test_cmp want out
'

test_expect_success 'a bad option, no queue or two queues: 64 and the usage' '
	test_must_fail --code 64 etl -k key --bogus q 2>err &&
	grep -q "^etl: unrecognized option .--bogus" err && grep -q "^usage: etl" err &&
	test_must_fail --code 64 env -u ETL_QUEUE etl -k key 2>err &&
	grep -q "^etl: no queue given" err &&
	test_must_fail --code 64 etl -k key q1 q2 2>err &&
	grep -q "^etl: one queue at a time" err
'

test_expect_success '--replay takes no queue, and no option for SQS' '
	echo "{}" >saved &&
	test_must_fail --code 64 etl -k key --replay saved q 2>err &&
	grep -q "^etl: --replay takes no queue" err &&
	test_must_fail --code 64 etl -k key --drain --replay saved 2>err &&
	grep -q "^etl: --drain: --replay does not read from SQS" err &&
	test_must_fail --code 64 etl -k key --read=--wait=1 --replay saved 2>err &&
	grep -q "^etl: --read: --replay does not read from SQS" err &&
	test_must_fail --code 64 etl -k key -e http://127.0.0.1:9/ --replay saved 2>err &&
	grep -q "^etl: -e: --replay does not read from SQS" err
'

test_expect_success 'a replay never appends its rejects to the file it reads' '
	cp saved saved.orig &&
	test_must_fail --code 64 etl -k key -r ./saved --replay saved 2>err &&
	grep -q "give --replay a new rejects file" err &&
	test_cmp saved.orig saved
'

test_expect_success 'without programs beside it or on PATH: 69, naming the one missing' '
	mkdir lone && cp "$BIN/etl" lone/ &&
	test_must_fail --code 69 env PATH=/usr/bin:/bin lone/etl -k key q 2>err &&
	grep -q "^etl: sqs-read: not found beside" err
'

etl_services
etl_queue q "$SAMPLE" >url || { echo "Bail out! no queue"; exit 1; }
url=$(cat url)

# untouched: the queue still holds its 31 messages, none in flight.
untouched() {
	test "$(sqs_count "$url")" = "31 0"
}

test_expect_success 'no key file: 78 and a clear message, the queue untouched' '
	test_must_fail --code 78 env -u LOGIN_MASK_KEY_FILE etl --drain q 2>err &&
	test "$(cat err)" = "etl: no key file: give -k or set LOGIN_MASK_KEY_FILE" &&
	untouched
'

test_expect_success 'a missing or readable key file: login-mask says why, 78' '
	test_must_fail --code 78 etl -k no-such-key --drain q 2>err &&
	grep -q "^login-mask: key file no-such-key: No such file" err &&
	cp key key644 && chmod 644 key644 &&
	test_must_fail --code 78 etl -k key644 --drain q 2>err &&
	grep -q "^login-mask: key file key644: mode 0644" err &&
	untouched
'

test_expect_success 'a database that does not answer: 75 from pg-load, the queue untouched' '
	test_must_fail --code 75 etl -k key -d "host=127.0.0.1 port=1 connect_timeout=5" \
	    --drain q 2>err &&
	grep -q "^pg-load: cannot connect" err &&
	untouched
'

test_expect_success 'a table that does not exist: 66, naming it' '
	test_must_fail --code 66 etl -k key -t no_such_table --drain q 2>err &&
	grep -q "^pg-load: table no_such_table: does not exist" err &&
	untouched
'

test_expect_success 'a queue that does not exist: 66 from sqs-read, by name or URL' '
	test_must_fail --code 66 etl -k key --drain no-such-queue 2>err &&
	grep -q "^sqs-read: queue no-such-queue: .*does not exist" err &&
	test_must_fail --code 66 etl -k key --drain "${url%/q}/no-such-queue" 2>err &&
	grep -q "^sqs-read: queue .*/no-such-queue: .*does not exist" err &&
	untouched
'

test_expect_success 'a bad option for a stage: that stage says so, 64, nothing taken' '
	test_must_fail --code 64 etl -k key --read=--wait=99 --drain q 2>err &&
	grep -q "^sqs-read: --wait 99: too large" err &&
	untouched
'

test_expect_success 'a replay file that cannot be read: 66' '
	test_must_fail --code 66 etl -k key -r rej --replay no-such-file 2>err &&
	grep -q "^etl: no-such-file: cannot read" err
'

test_expect_success 'it runs the programs beside it, not those on PATH, also through a link' '
	mkdir decoy &&
	for p in sqs-read login-mask pg-load; do
		printf "#!/bin/sh\necho decoy >&2\nexit 99\n" >decoy/$p &&
		chmod +x decoy/$p || return 1
	done &&
	ln -s "$BIN/etl" decoy/etl &&
	PATH=$TMP/decoy:/usr/bin:/bin decoy/etl -k key -r rej --drain \
	    --read=--wait=1 q >out 2>err &&
	test_must_not_contain err decoy &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 30 &&
	etl_empty "$url"
'

# In the ring the three stages share one stderr: a line written in two
# pieces could have another stage's line in between.
test_expect_success 'each stage writes whole lines to stderr' '
	if ! command -v strace >/dev/null; then
		echo "no strace: not checked"
		return 0
	fi
	etl_queue q3 "$SAMPLE" >/dev/null && etl_table t3 &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=write -e signal=none -s 65536 -o tr.read \
	    sqs-read -v --drain --wait 1 q3 </dev/null >dump 2>/dev/null &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=write -e signal=none -s 65536 -o tr.mask \
	    login-mask -v -k key -r rej3 <dump >rows 2>/dev/null &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=write -e signal=none -s 65536 -o tr.load \
	    pg-load -v -t t3 -r rej3 <rows >/dev/null 2>/dev/null &&
	perl -ne "
		next unless /^(?:\d+ +)?write\(2, \"(.*)\", \d+\) += \d+\$/;
		\$n++;
		die qq(\$ARGV: a piece of a line: \$1\n) unless \$1 =~ /\\\\n\$/;
		END { die qq(no write to stderr\n) unless \$n >= 3 }
	" tr.read tr.mask tr.load
'

test_expect_success 'settings from the environment, as a service manager gives them' '
	etl_queue q2 "$SAMPLE" >url2 && etl_table t2 &&
	ETL_QUEUE=q2 ETL_TABLE=t2 ETL_REJECTS=rej2 LOGIN_MASK_KEY_FILE=key \
	    ETL_READ_OPTS="--wait 1  --visibility 30" ETL_LOAD_OPTS="--batch-rows 0" \
	    test_must_fail --code 64 etl --drain 2>err &&
	grep -q "^pg-load: --batch-rows 0: too small" err &&
	ETL_QUEUE=q2 ETL_TABLE=t2 ETL_REJECTS=rej2 LOGIN_MASK_KEY_FILE=key \
	    ETL_READ_OPTS="--wait 1  --visibility 30" etl --drain 2>err &&
	test "$(pgl_sql "SELECT count(*) FROM t2")" = 30 &&
	test "$(wc -l <rej2)" = 1 &&
	etl_empty "$(cat url2)"
'

test_done
