#!/bin/bash
# The public sample through the whole ring: 30 logins and one malformed
# message sent to a queue, `etl --drain` leaves the 30 rows the field
# rules promise, the malformed one in the rejects file, and the queue
# empty.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
url=$(etl_queue login-queue "$SAMPLE") || { echo "Bail out! no queue"; exit 1; }

# The dump hides its messages for a second; the ring's receives wait
# longer than that, so its drain sees them again.
test_expect_success 'a dump first: it deletes nothing and tells each SentTimestamp' '
	sqs-read --drain --wait 1 --visibility 1 login-queue </dev/null >saved 2>err &&
	test "$(wc -l <saved)" = 31 &&
	c=$(sqs_count "$url") && test $((${c% *} + ${c#* })) = 31
'

test_expect_success 'etl --drain moves the queue and ends by itself, exit 0' '
	umask 022 &&
	etl -v --drain -k key -r rejects.ndjson --read=--wait=3 login-queue >out 2>err &&
	test ! -s out
'

test_expect_success 'the queue is empty: nothing left, nothing in flight' '
	etl_empty "$url"
'

test_expect_success 'the table holds the 30 logins, once each' '
	etl_check_rows user_logins "$SAMPLE" &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 30
'

# The rows the field rules make of each saved message: app_version
# MAJOR.MINOR.PATCH as MAJOR*1000000 + MINOR*1000 + PATCH, a null locale
# as NULL, create_date the UTC date of the message SentTimestamp.
test_expect_success 'each row has the fields the rules make of its message' '
	perl -MJSON::PP -MPOSIX=strftime -ne "
		my \$m = decode_json(\$_);
		my \$b = eval { decode_json(\$m->{body}) } or next;
		next unless defined \$b->{user_id};
		my (\$x, \$y, \$z) = split /\\./, \$b->{app_version};
		print join(q(|), \$b->{user_id}, \$b->{device_type},
		    \$b->{locale} // q(NULL), \$x * 1000000 + (\$y // 0) * 1000 + (\$z // 0),
		    strftime(q(%Y-%m-%d), gmtime(\$m->{sent_timestamp} / 1000))), qq(\n);
	" saved | LC_ALL=C sort >want &&
	test "$(wc -l <want)" = 30 &&
	psql -X -q -At -P null=NULL -c "SELECT user_id, device_type, locale,
	    app_version, create_date FROM user_logins" | LC_ALL=C sort >got &&
	test_cmp want got
'

test_expect_success 'the sample has what the rules are about: nulls, 2.3.0, 0.96' '
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE locale IS NULL")" -gt 0 &&
	grep -q "\"app_version\": \"2.3.0\"" "$SAMPLE" && grep -q "|2003000|" got &&
	grep -q "\"app_version\": \"0.96\"" "$SAMPLE" && grep -q "|96000|" got
'

test_expect_success 'ips and device ids are masked with the key, one mask per value' '
	kid=$(login-mask --key-id -k key | cut -d" " -f1) &&
	psql -X -q -At -F " " -c "SELECT masked_ip, masked_device_id FROM user_logins" >masks &&
	test "$(grep -Ec "^h1\.ip\.$kid\.[A-Za-z0-9_-]{43} h1\.dev\.$kid\.[A-Za-z0-9_-]{43}$" masks)" = 30 &&
	test "$(cut -d" " -f1 masks | sort -u | wc -l)" = 30 &&
	test "$(cut -d" " -f2 masks | sort -u | wc -l)" = 30
'

test_expect_success 'no ip or device id of the sample is in the table or the logs' '
	psql -X -At -c "SELECT * FROM user_logins" >dump &&
	sed -n "s/.*\"ip\": \"\\([^\"]*\\)\".*\"device_id\": \"\\([^\"]*\\)\".*/\\1\\n\\2/p" "$SAMPLE" >pii &&
	test "$(wc -l <pii)" = 60 &&
	! grep -F -f pii dump err
'

test_expect_success 'exactly one reject, the malformed message, with its reason' '
	test "$(wc -l <rejects.ndjson)" = 1 &&
	lm_field stage rejects.ndjson >stage && echo login-mask >want && test_cmp want stage &&
	lm_field reason rejects.ndjson >reason && echo "user_id: missing" >want &&
	test_cmp want reason &&
	etl_check_rejects rejects.ndjson "$SAMPLE"
'

test_expect_success 'the rejects file is private (0600): it holds the message as sent' '
	test "$(stat -c %a rejects.ndjson)" = 600
'

test_expect_success 'the stages said what they did (-v): 31 read, 30 loaded, 1 rejected' '
	grep -q "^login-mask: read 31, written 30, rejected 1$" err &&
	grep -q "^pg-load: 31 records: 30 loaded, 0 duplicates, 1 rejected, 0 released" err &&
	grep -q "^sqs-read: the queue is drained$" err
'

test_expect_success 'a second drain of the empty queue changes nothing' '
	etl --drain -k key -r rejects.ndjson --read=--wait=1 login-queue 2>err2 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 30 &&
	test "$(wc -l <rejects.ndjson)" = 1
'

test_done
