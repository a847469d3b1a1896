#!/bin/bash
# login-mask's rows fit the users' table as it is: every value at the
# limit the field rules allow loads into user_logins on a real
# PostgreSQL, and one past it would not.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

test_services pg
lm_key key

psql -X -q -v ON_ERROR_STOP=1 <<'SQL' || exit 1
CREATE TABLE user_logins(
    user_id varchar(128), device_type varchar(32),
    masked_ip varchar(256), masked_device_id varchar(256),
    locale varchar(32), app_version integer, create_date date);
CREATE TABLE lines(line text);
SQL

# load FILE: each row record of FILE into user_logins, as PostgreSQL
# itself reads the JSON (json_populate_record), in one transaction.
load() {
	psql -X -q -v ON_ERROR_STOP=1 <<SQL
BEGIN;
TRUNCATE lines, user_logins;
\copy lines from '$1' with (format csv, quote e'\x01', delimiter e'\x02')
INSERT INTO user_logins SELECT (json_populate_record(null::user_logins,
    line::json)).* FROM lines WHERE line::jsonb ? 'masked_ip';
COMMIT;
SQL
}

u128=$(perl -e 'print "\xc3\xa9" x 128')
{
	lm_body user_id="\"$u128\"" device_type="\"$(printf "%032d" 1)\"" \
	    locale="\"$(printf "%032d" 2)\"" device_id="\"$(printf "%0164d" 3)\"" \
	    app_version='"2147.483.647"' ip='"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"'
	lm_body locale=null app_version='"0.0.0"' ip='"0.0.0.0"' device_id='"x"'
} | lm_message edge >edge
perl -pe 's/"sent_timestamp":\d+/"sent_timestamp":253402300799999/ if $. == 1' edge >edge2

test_expect_success 'HMAC rows at every limit load into user_logins' '
	login-mask -k key <edge2 >rows 2>/dev/null && test "$(wc -l <rows)" = 2 &&
	load rows &&
	test "$(psql -X -Atc "select count(*) from user_logins")" = 2
'

test_expect_success 'reversible rows at every limit load too, masks of 256 characters' '
	login-mask --reversible -k key <edge2 >rrows 2>/dev/null && load rrows &&
	test "$(psql -X -Atc "select max(length(masked_device_id)) from user_logins")" = 256
'

test_expect_success 'and the table holds what the rules say' '
	psql -X -At -F " " -c "select length(user_id), length(device_type),
	    coalesce(length(locale), -1), app_version, create_date
	    from user_logins order by app_version desc" >got &&
	printf "%s\n" "128 32 32 2147483647 9999-12-31" "3 7 -1 0 2023-10-02" >want &&
	test_cmp want got
'

test_expect_success 'the real sample loads whole' '
	login-mask -k key <"$SAMPLE" >srows 2>/dev/null; load srows &&
	test "$(psql -X -Atc "select count(*), count(locale), count(distinct masked_ip)
	    from user_logins")" = "30|18|30"
'

test_expect_success 'one character past a column limit would not have loaded' '
	perl -MJSON::PP -e "print JSON::PP->new->encode({user_id => q(x) x 129,
	    device_type => q(t), masked_ip => q(m), masked_device_id => q(m),
	    locale => undef, app_version => 1, create_date => q(2023-10-02)}), qq(\n)" >toolong &&
	test_must_fail load toolong 2>err && grep -q "too long for type character varying(128)" err
'
test_done
