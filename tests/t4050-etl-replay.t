#!/bin/bash
# etl --replay: a saved file instead of a queue.  Message records carry
# their identity, so a file replayed twice loads once; a rejects file
# replayed once its cause is fixed gives the rows the first run would
# have, and what is still refused goes to the new rejects file.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/etl.sh"

etl_services
# The sample, generated logins with one in ten malformed, and a login
# whose app_version is too large for the column unless NULL is allowed.
{ cat "$SAMPLE" && "$TOOLS/gen-logins" -s 4050 -b 10 200 &&
  lm_body user_id='"big-app-version"' app_version='"3000.1.2"'; } >bodies ||
	{ echo "Bail out! no bodies"; exit 1; }
url=$(etl_queue saved-q bodies) || { echo "Bail out! could not fill the queue"; exit 1; }

# ids_reasons FILE: message id, stage and reason of each reject, sorted.
ids_reasons() {
	perl -MJSON::PP -ne '
		my $r = decode_json($_);
		print join(" ", $r->{message_id}, $r->{stage}, $r->{reason}), "\n";
	' "$1" | LC_ALL=C sort
}

test_expect_success 'sqs-read saves the queue without a ring, deleting nothing' '
	sqs-read --drain --wait 1 saved-q </dev/null >saved 2>err &&
	test "$(wc -l <saved)" = 232 &&
	c=$(sqs_count "$url") && test $((${c% *} + ${c#* })) = 232
'

test_expect_success 'a replay loads the valid ones, rejects the rest, exit 0' '
	etl -k key -r rej1 --replay saved 2>err &&
	etl_check_rows user_logins bodies &&
	etl_check_rejects rej1 bodies &&
	test "$(wc -l <rej1)" = 22 &&
	test "$(stat -c %a rej1)" = 600
'

test_expect_success 'a second replay of the same file loads nothing more' '
	pgl_sql "SELECT * FROM user_logins" | sort >rows1 &&
	etl -v -k key -r rej1b --replay saved 2>err &&
	grep -q "^pg-load: 232 records: 0 loaded, 210 duplicates, 22 rejected" err &&
	pgl_sql "SELECT * FROM user_logins" | sort >rows2 &&
	test_cmp rows1 rows2
'

test_expect_success 'and refuses the same messages for the same reasons' '
	ids_reasons rej1 >want && ids_reasons rej1b >got &&
	test_cmp want got
'

test_expect_success 'a replay of the rejects file: no row, the same rejects again' '
	etl -k key -r rej2 --replay rej1 2>err &&
	pgl_sql "SELECT * FROM user_logins" | sort >rows3 &&
	test_cmp rows1 rows3 &&
	ids_reasons rej2 >got && test_cmp want got
'

test_expect_success 'once login-mask is told to allow it, the refused login loads' '
	grep -q "\"reason\":\"app_version: out of range\"" rej1 &&
	etl -k key -r rej3 --mask=--null-app-version --replay rej1 2>err &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins
	    WHERE user_id = \$\$big-app-version\$\$ AND app_version IS NULL")" = 1 &&
	grep -v "app_version: out of range" want >want3 && ids_reasons rej3 >got3 &&
	test_cmp want3 got3 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 211
'

test_expect_success 'rows the database refused are kept by pg-load, masked' '
	etl_table t_android &&
	pgl_sql "ALTER TABLE t_android ADD CHECK (device_type <> \$\$ios\$\$)" &&
	etl -k key -t t_android -r rej4 --replay saved 2>err &&
	ios=$(grep "^{\"user_id\": \"[0-9a-f-]\{36\}\", " bodies | grep -c "\"device_type\": \"ios\"") &&
	test "$ios" -gt 0 &&
	test "$(grep -c "\"stage\":\"pg-load\"}$" rej4)" = "$ios" &&
	grep "\"stage\":\"pg-load\"}$" rej4 >refused &&
	test_must_not_contain refused "\"ip\"" &&
	test "$(pgl_sql "SELECT count(*) FROM t_android WHERE device_type = \$\$ios\$\$")" = 0
'

test_expect_success 'replayed once the table takes them: the rows the first run would have made' '
	pgl_sql "ALTER TABLE t_android DROP CONSTRAINT t_android_device_type_check" &&
	etl -k key -t t_android -r rej5 --replay rej4 2>err &&
	pgl_sql "SELECT * FROM user_logins WHERE user_id <> \$\$big-app-version\$\$" | sort >want.rows &&
	pgl_sql "SELECT * FROM t_android" | sort >got.rows &&
	test_cmp want.rows got.rows &&
	test_must_not_contain rej5 "\"stage\":\"pg-load\"" &&
	etl_check_rejects rej5 bodies
'

test_expect_success 'and a second replay of those rejects loads nothing more' '
	etl -k key -t t_android -r rej6 --replay rej4 2>err &&
	pgl_sql "SELECT * FROM t_android" | sort >got2.rows &&
	test_cmp got.rows got2.rows
'

test_expect_success 'without a rejects file: the valid ones load, exit 65 names the file' '
	etl_table t_norej &&
	test_must_fail --code 65 etl -k key -t t_norej --replay saved 2>err &&
	grep -q "^etl: 22 records could not be loaded and, with no rejects file, are kept only in saved$" err &&
	etl_check_rows t_norej bodies
'

test_expect_success 'create_date is the day the message was sent, not the day of the replay' '
	"$TOOLS/gen-logins" -f message -s 4051 -b 10 100 >old &&
	etl_table t_old &&
	etl -k key -t t_old -r rej-old --load=--retention=36500 --replay old 2>err &&
	test "$(pgl_sql "SELECT count(*), min(create_date), max(create_date) FROM t_old")" = \
	    "90|2023-10-02|2023-10-02"
'

test_expect_success 'an old file replayed twice, with a retention that covers it, loads once' '
	etl -k key -t t_old -r rej-old2 --load=--retention=36500 --replay old 2>err &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM t_old")" = "90|90"
'

test_expect_success 'bare bodies load with the replay day, and are not deduplicated' '
	etl_table t_bare &&
	before=$(date -u +%F) &&
	etl -k key -t t_bare -r rej-bare --replay bodies 2>err &&
	after=$(date -u +%F) &&
	etl_check_rows t_bare bodies &&
	pgl_sql "SELECT DISTINCT create_date FROM t_bare" >days &&
	{ test "$(cat days)" = "$before" || test "$(cat days)" = "$after"; } &&
	etl -k key -t t_bare -r rej-bare --replay bodies 2>err &&
	test "$(pgl_sql "SELECT count(*), count(DISTINCT user_id) FROM t_bare")" = "420|210"
'

test_expect_success 'a replay reads no queue: the saved one still holds every message' '
	c=$(sqs_count "$url") && test $((${c% *} + ${c#* })) = 232
'

test_done
