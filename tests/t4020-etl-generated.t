#!/bin/bash
# 50,000 generated messages, one in 50 malformed, ips and devices shared
# between logins: one `etl --drain` loads every valid one exactly once,
# keeps every invalid one in the rejects file and empties the queue.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
"$TOOLS/gen-logins" -s 4020 -b 50 -i 3000 -d 4000 50000 >sent ||
	{ echo "Bail out! gen-logins failed"; exit 1; }
url=$(etl_queue logins sent) || { echo "Bail out! could not fill the queue"; exit 1; }

test_expect_success 'the messages are what the test is about: 49,000 valid, 1,000 not' '
	test "$(etl_valid_ids sent | wc -l)" = 49000 &&
	test "$(etl_valid_ids sent | uniq | wc -l)" = 49000 &&
	test "$(etl_invalid_bodies sent | wc -l)" = 1000 &&
	test "$(sqs_count "$url")" = "50000 0"
'

test_expect_success 'etl --drain ends by itself, exit 0' '
	etl -v --drain -k key -r rejects --read=--wait=1 --read=-c8 logins >out 2>err &&
	test ! -s out
'

test_expect_success 'the queue is empty' '
	etl_empty "$url"
'

test_expect_success 'every valid login is in the table exactly once, and nothing else' '
	etl_check_rows user_logins sent &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins")" = "49000|49000"
'

test_expect_success 'the ledger holds one entry per row' '
	test "$(pgl_sql "SELECT count(*), count(DISTINCT target) FROM login_etl_ledger")" = "49000|1"
'

test_expect_success 'every invalid message is in the rejects file, once' '
	test "$(wc -l <rejects)" = 1000 &&
	etl_check_rejects rejects sent &&
	test "$(stat -c %a rejects)" = 600
'

test_expect_success 'logins that share an ip or a device share its mask, and only they' '
	sed -n "s/^{\"user_id\": \"[0-9a-f-]\{36\}\", .*\"ip\": \"\([^\"]*\)\".*\"device_id\": \"\([^\"]*\)\"}$/\1 \2/p" sent >pii &&
	test "$(wc -l <pii)" = 49000 &&
	test "$(pgl_sql "SELECT count(DISTINCT masked_ip), count(DISTINCT masked_device_id) FROM user_logins")" = \
	    "$(cut -d" " -f1 pii | sort -u | wc -l)|$(cut -d" " -f2 pii | sort -u | wc -l)" &&
	test "$(cut -d" " -f1 pii | sort -u | wc -l)" -lt 49000
'

test_expect_success 'the summaries add up: 50,000 read, 49,000 loaded, 1,000 rejected' '
	grep -q "^login-mask: read 50000, written 49000, rejected 1000$" err &&
	grep -q "^pg-load: 50000 records: 49000 loaded, 0 duplicates, 1000 rejected, 0 released" err
'

test_done
