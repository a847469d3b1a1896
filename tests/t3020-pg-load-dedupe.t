#!/bin/bash
# The ledger: a message is loaded once however often it comes, by one
# pg-load or by several at once, and old entries are pruned.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins

count() {
	pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM user_logins"
}

# Whether the ledger still holds the entry the periodic prune test adds.
periodic() {
	pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id = 'periodic'"
}

test_expect_success 'a file loads, and each record with a handle is acked loaded' '
	pgl_rows 3000 >rows &&
	pg-load -t user_logins --batch-rows 700 <rows >acks &&
	test "$(count)" = "3000|3000" &&
	test "$(wc -l <acks)" = 3000 && test "$(pgl_acks acks loaded)" = 3000
'

test_expect_success 'acks name each message in input order' '
	pgl_ids rows >want &&
	pgl_ids acks >got &&
	test_cmp want got &&
	pgl_field rows receipt_handle >want &&
	pgl_field acks receipt_handle >got &&
	test_cmp want got
'

test_expect_success 'replaying the same file loads nothing and acks duplicates' '
	pg-load -t user_logins --batch-rows 700 <rows >acks2 2>err &&
	test "$(count)" = "3000|3000" &&
	test "$(pgl_acks acks2 duplicate)" = 3000 &&
	grep -q "0 loaded, 3000 duplicates" err
'

test_expect_success 'a file half old, half new loads the new half' '
	{ head -n 500 rows; pgl_rows 500 2; } >half &&
	pg-load -t user_logins --batch-rows 300 <half >acks3 &&
	test "$(count)" = "3500|3500" &&
	test "$(pgl_acks acks3 duplicate)" = 500 &&
	test "$(pgl_acks acks3 loaded)" = 500
'

test_expect_success 'a message twice in one batch loads once' '
	pgl_rows 3 3 >three &&
	{ cat three; head -n 1 three; } >twice &&
	pg-load -t user_logins <twice >acks4 &&
	test "$(count)" = "3503|3503" &&
	test "$(pgl_field acks4 status | tr "\n" " ")" = "loaded loaded loaded duplicate "
'

test_expect_success 'the ledger is keyed by table, sent_timestamp and message id' '
	pgl_sql "SELECT count(*) FROM login_etl_ledger
	    WHERE target = \$\$public.user_logins\$\$" >got &&
	echo 3503 >want && test_cmp want got &&
	head -n 1 rows | perl -MJSON::PP -ne "my \$j = decode_json(\$_);
	    print qq(public.user_logins|\$j->{sent_timestamp}|\$j->{message_id}\n)" >want &&
	pgl_sql "SELECT target, sent_timestamp, message_id FROM login_etl_ledger
	    WHERE message_id = \$\$$(pgl_field rows message_id | head -n 1)\$\$" >got &&
	test_cmp want got
'

test_expect_success 'a redelivery with another receipt handle is still a duplicate' '
	head -n 1 rows | sed "s/\"receipt_handle\":\"[^\"]*\"/\"receipt_handle\":\"second-delivery\"/" >again &&
	pg-load -t user_logins <again >acks5 &&
	grep -q "{\"receipt_handle\":\"second-delivery\",\"message_id\":\"[^\"]*\",\"status\":\"duplicate\"}" acks5 &&
	test "$(count)" = "3503|3503"
'

test_expect_success 'the same id at another sent_timestamp is another message' '
	head -n 1 rows | sed "s/\"sent_timestamp\":[0-9]*/\"sent_timestamp\":$(date +%s000)7/" >later &&
	pg-load -t user_logins <later >acks6 &&
	test "$(pgl_acks acks6 loaded)" = 1
'

test_expect_success 'without sent_timestamp a message is keyed with 0, and still once' '
	printf "%s\n" "{\"message_id\":\"no-ts\",\"receipt_handle\":\"h\",\"user_id\":\"u-no-ts\"}" >nots &&
	pg-load -t user_logins <nots >a1 && pg-load -t user_logins <nots >a2 &&
	test "$(pgl_acks a1 loaded)$(pgl_acks a2 duplicate)" = 11 &&
	test "$(pgl_sql "SELECT sent_timestamp FROM login_etl_ledger WHERE message_id = \$\$no-ts\$\$")" = 0 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id = \$\$u-no-ts\$\$")" = 1
'

test_expect_success 'without message_id a record is loaded every time, not acked without a handle' '
	printf "%s\n" "{\"user_id\":\"u-anon\"}" >anon &&
	pg-load -t user_logins <anon >a1 && pg-load -t user_logins <anon >a2 &&
	test ! -s a1 && test ! -s a2 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id = \$\$u-anon\$\$")" = 2
'

test_expect_success '--no-dedupe loads a replay again and leaves the ledger alone' '
	pgl_sql "DELETE FROM login_etl_ledger" &&
	head -n 100 rows >hundred &&
	pg-load -t user_logins --no-dedupe <hundred >a1 &&
	test "$(pgl_acks a1 loaded)" = 100 &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 0 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id IN
	    (SELECT user_id FROM user_logins GROUP BY 1 HAVING count(*) = 2)")" = 200
'

test_expect_success 'and --no-dedupe never creates a ledger' '
	pgl_sql "CREATE TABLE other(v text)" &&
	echo "{\"v\":\"x\",\"message_id\":\"m\"}" |
	    pg-load -t other --no-dedupe &&
	test "$(pgl_sql "SELECT count(*) FROM other")" = 1 &&
	pgl_sql "DROP TABLE login_etl_ledger" &&
	echo "{\"v\":\"y\",\"message_id\":\"m\"}" | pg-load -t other --no-dedupe &&
	test -z "$(pgl_sql "SELECT to_regclass(\$\$login_etl_ledger\$\$)")"
'

# aged DAYS: makes every ledger entry look loaded DAYS ago.
aged() {
	pgl_sql "UPDATE login_etl_ledger
	    SET loaded_at = now() - $1 * interval \$\$1 day\$\$"
}

test_expect_success 'an old file loaded now is remembered: a replay loads it once' '
	now=$(date +%s000) &&
	day=86400000 &&
	"$TOOLS/gen-logins" -f row -s 9 -t $((now - 20 * day)) 5 >old &&
	pg-load -t user_logins --retention 10 <old >/dev/null &&
	pg-load -t user_logins --retention 10 <old >acks-old &&
	test "$(pgl_acks acks-old duplicate)" = 5 &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 5
'

test_expect_success 'entries sent and loaded longer ago than the retention are pruned at start' '
	"$TOOLS/gen-logins" -f row -s 10 -t $((now - 2 * day)) 5 >young &&
	pg-load -t user_logins --retention 30 <young >/dev/null &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 10 &&
	aged 20 &&
	pg-load -t user_logins --retention 10 </dev/null &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 5 &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger
	    WHERE sent_timestamp < $now - 3 * $day")" = 0
'

test_expect_success 'entries keyed with 0 are pruned by when they were loaded' '
	printf "%s\n" "{\"message_id\":\"zero-old\",\"user_id\":\"z\"}" |
	    pg-load -t user_logins &&
	pgl_sql "UPDATE login_etl_ledger SET loaded_at = now() - interval \$\$20 days\$\$
	    WHERE message_id = \$\$zero-old\$\$" &&
	printf "%s\n" "{\"message_id\":\"zero-new\",\"user_id\":\"z\"}" |
	    pg-load -t user_logins --retention 10 &&
	pgl_sql "SELECT message_id FROM login_etl_ledger WHERE sent_timestamp = 0" >got &&
	echo zero-new >want && test_cmp want got
'

test_expect_success 'pruning touches only its own table'"'"'s entries' '
	pgl_sql "INSERT INTO login_etl_ledger(target, sent_timestamp, message_id, loaded_at)
	    VALUES (\$\$public.elsewhere\$\$, 1, \$\$ancient\$\$, \$\$2000-01-01\$\$)" &&
	pg-load -t user_logins </dev/null &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id = \$\$ancient\$\$")" = 1
'

test_expect_success 'and every --prune-interval seconds after a commit' '
	rm -f inp && mkfifo inp &&
	{ pg-load -t user_logins --prune-interval 1 --batch-ms 100 <inp >acks-p 2>err-p &
	  pid=$!; } &&
	exec 7>inp &&
	pgl_rows 2 31 >p2 &&
	sed -n 1p p2 >&7 &&
	test_wait_for "test -s acks-p" 30 &&
	# The prune at start is done: this one is for the periodic prune.
	pgl_sql "INSERT INTO login_etl_ledger(target, sent_timestamp, message_id, loaded_at)
	    VALUES (\$\$public.user_logins\$\$, 1, \$\$periodic\$\$, \$\$2000-01-01\$\$)" &&
	sleep 1.5 &&
	sed -n 2p p2 >&7 &&
	test_wait_for "test \$(periodic) = 0" 30 &&
	exec 7>&- && wait $pid &&
	test "$(pgl_acks acks-p loaded)" = 2
'

test_expect_success 'two pg-loads on one ledger load each message once' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	pgl_rows 20000 21 >many &&
	# The second gets the same messages in another order and batching.
	{ tail -n 10000 many; head -n 10000 many; } >many2 &&
	{ pg-load -t user_logins --batch-rows 500 <many >c1 2>e1 & p1=$!; } &&
	{ pg-load -t user_logins --batch-rows 777 <many2 >c2 2>e2 & p2=$!; } &&
	wait $p1 && wait $p2 &&
	test "$(count)" = "20000|20000" &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger")" = 20000 &&
	test $(( $(pgl_acks c1 loaded) + $(pgl_acks c2 loaded) )) = 20000 &&
	test $(( $(pgl_acks c1 duplicate) + $(pgl_acks c2 duplicate) )) = 20000
'

test_expect_success 'every message acked loaded by one and duplicate by the other' '
	test -s c1 && test -s c2 &&
	grep -h "\"status\":\"loaded\"" c1 c2 >loaded-acks &&
	pgl_ids loaded-acks | sort >loaded &&
	sort -u loaded >uniq && test_cmp uniq loaded &&
	pgl_ids many | sort >want && test_cmp want loaded
'

test_done
