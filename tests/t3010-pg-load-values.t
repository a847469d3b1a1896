#!/bin/bash
# Values reach the table byte for byte, whatever they hold; columns come
# from the catalog, for any table, schema-qualified and quoted.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg

# Hostile values, as Perl strings: each is sent as JSON (once with raw
# UTF-8, once with every non-ASCII character \u-escaped) and must come
# back from the server as exactly these bytes.
cat >hostile.pl <<'PERL'
(
	"", "plain", "tab\there", "new\nline", "carriage\rreturn", "crlf\r\n",
	"back\\slash", "\\", "\\\\", "\\.", "\\N", "N", "NULL", "null",
	"\\x41\\101", "trailing\\", "quote\" and 'single'", "\t", "\n",
	" leading and trailing ", "caf\x{e9} \x{65e5}\x{672c} \x{1F600}",
	"\x{2028}\x{2029}\x{FEFF}", join("", map { chr } 1 .. 31, 127),
	"\x{7FF}\x{800}\x{FFFF}\x{10000}\x{10FFFF}", "a" x 5000 . "\t\\\n" x 100,
	"{\"not\": \"json\"}", "\\u0041 is not unescaped twice",
)
PERL

test_expect_success 'hostile strings in NDJSON' '
	pgl_sql "CREATE TABLE h(id int, val text, vc varchar(20000))" &&
	perl -MJSON::PP -e "
		my @v = do \$ARGV[0];
		for my \$ascii (0, 1) {
			my \$js = JSON::PP->new->canonical->ascii(\$ascii);
			for my \$i (0 .. \$#v) {
				print \$js->encode({ id => \$i + \$ascii * 1000,
				    val => \$v[\$i], vc => \$v[\$i] }), qq(\n);
			}
		}" ./hostile.pl >in.ndjson &&
	perl -e "
		my @v = do \$ARGV[0];
		for my \$ascii (0, 1) {
			for my \$i (0 .. \$#v) {
				my \$b = \$v[\$i]; utf8::encode(\$b);
				printf qq(%d|%s|%s\n), \$i + \$ascii * 1000,
				    unpack(q(H*), \$b), unpack(q(H*), \$b);
			}
		}" ./hostile.pl >want &&
	test "$(wc -l <in.ndjson)" -gt 50
'

test_expect_success 'round-trip byte for byte: SELECTed back, they are the same' '
	pg-load -t h --no-dedupe <in.ndjson >acks 2>err &&
	test ! -s acks &&
	pgl_sql "SELECT id, encode(convert_to(val, \$\$UTF8\$\$), \$\$hex\$\$),
	    encode(convert_to(vc, \$\$UTF8\$\$), \$\$hex\$\$) FROM h ORDER BY id" >got &&
	test "$(wc -l <got)" = "$(wc -l <in.ndjson)" &&
	test_cmp want got
'

test_expect_success 'the empty string stays a string; null and missing keys are NULL' '
	pgl_sql "CREATE TABLE n(id int, a text, b text)" &&
	printf "%s\n" "{\"id\":1,\"a\":\"\",\"b\":null}" "{\"id\":2,\"a\":\"x\"}" |
	    pg-load -t n --no-dedupe &&
	pgl_sql "SELECT id, a IS NULL, quote_nullable(a), b IS NULL FROM n ORDER BY id" >got &&
	printf "%s\n" "1|f|\$\$\$\$|t" "2|f|'\''x'\''|t" | sed "s/\\\$\\\$\\\$\\\$/'\'''\''/" >want &&
	test_cmp want got
'

test_expect_success 'numbers and booleans load as their JSON text into typed columns' '
	pgl_sql "CREATE TABLE typed(i int, b bigint, r double precision, n numeric,
	    t boolean, f boolean, s text)" &&
	echo "{\"i\":-2147483648,\"b\":9223372036854775807,\"r\":-1.5e-3,\"n\":123456789012345678901234567890.5,\"t\":true,\"f\":false,\"s\":1e3}" |
	    pg-load -t typed --no-dedupe &&
	pgl_sql "SELECT i, b, r, n, t, f, s FROM typed" >got &&
	echo "-2147483648|9223372036854775807|-0.0015|123456789012345678901234567890.5|t|f|1e3" >want &&
	test_cmp want got
'

test_expect_success 'objects and arrays load as their JSON text into json and jsonb' '
	pgl_sql "CREATE TABLE docs(id int, j json, jb jsonb, a text)" &&
	printf "%s\n" "{\"id\":1,\"j\":{\"k\": [1, \"x\\ty\", {\"n\":null}]},\"jb\":[true, {\"b\": 2, \"a\": 1}],\"a\":[1,2]}" |
	    pg-load -t docs --no-dedupe &&
	pgl_sql "SELECT j::text, jb::text, a FROM docs" >got &&
	echo "{\"k\": [1, \"x\\ty\", {\"n\":null}]}|[true, {\"a\": 1, \"b\": 2}]|[1,2]" >want &&
	test_cmp want got
'

test_expect_success 'a NUL in a value refuses that row alone, naming the column' '
	pgl_sql "CREATE TABLE z(id int, val text)" &&
	printf "%s\n" "{\"id\":1,\"val\":\"ok\"}" \
	    "{\"id\":2,\"val\":\"SECRET\\u0000tail\",\"message_id\":\"m-nul\",\"receipt_handle\":\"rh\"}" \
	    "{\"id\":3,\"val\":\"ok\"}" |
	    pg-load -t z --no-dedupe >acks 2>err &&
	test "$(pgl_sql "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM z")" = "1,3" &&
	grep -q "message m-nul: column val: a NUL character" err &&
	test_must_not_contain err SECRET &&
	grep -q "\"status\":\"released\"" acks
'

test_expect_success 'a schema-qualified table with quoted mixed-case names' '
	pgl_sql "CREATE SCHEMA \"Etl Data\"" &&
	pgl_sql "CREATE TABLE \"Etl Data\".\"User Logins\"(\"UserId\" text,
	    \"select\" int, \"we\"\"ird\" text, lower text)" &&
	printf "%s\n" \
	    "{\"message_id\":\"q1\",\"receipt_handle\":\"h1\",\"sent_timestamp\":$(date +%s000),\"UserId\":\"Ab\",\"select\":7,\"we\\\"ird\":\"w\",\"lower\":\"l\"}" \
	    "{\"message_id\":\"q2\",\"receipt_handle\":\"h2\",\"userid\":\"not a column\",\"lower\":\"m\"}" \
	    >mixed.ndjson &&
	pg-load -t "\"Etl Data\".\"User Logins\"" --ledger "\"Etl Data\".\"Ledger\"" \
	    <mixed.ndjson >acks &&
	pgl_sql "SELECT \"UserId\", \"select\", \"we\"\"ird\", lower
	    FROM \"Etl Data\".\"User Logins\" ORDER BY lower" >got &&
	printf "%s\n" "Ab|7|w|l" "|||m" >want &&
	test_cmp want got &&
	pgl_sql "SELECT target, message_id FROM \"Etl Data\".\"Ledger\" ORDER BY 2" >got &&
	printf "%s\n" "\"Etl Data\".\"User Logins\"|q1" "\"Etl Data\".\"User Logins\"|q2" >want &&
	test_cmp want got
'

test_expect_success 'the same records replayed into it are duplicates' '
	pg-load -t "\"Etl Data\".\"User Logins\"" --ledger "\"Etl Data\".\"Ledger\"" \
	    <mixed.ndjson >acks2 &&
	test "$(pgl_acks acks2 duplicate)" = 2 &&
	test "$(pgl_sql "SELECT count(*) FROM \"Etl Data\".\"User Logins\"")" = 2
'

test_expect_success 'a name is SQL: unquoted, it folds to lower case as SQL does' '
	pgl_sql "CREATE TABLE lowered(v text)" &&
	echo "{\"v\":\"x\"}" | pg-load -t LOWERED --no-dedupe &&
	test "$(pgl_sql "SELECT v FROM lowered")" = x
'

test_expect_success '--columns loads only those; the defaults fill the rest' '
	pgl_sql "CREATE TABLE d(id int, v text, made timestamptz NOT NULL DEFAULT now(),
	    n int GENERATED ALWAYS AS (id * 2) STORED)" &&
	echo "{\"id\":4,\"v\":\"x\",\"made\":null}" | pg-load -t d -c id,v --no-dedupe &&
	test "$(pgl_sql "SELECT id, v, made IS NOT NULL, n FROM d")" = "4|x|t|8"
'

test_expect_success 'without --columns a generated column is left to the server' '
	echo "{\"id\":5,\"v\":\"y\",\"made\":\"2023-10-02 00:00:00+00\",\"n\":99}" |
	    pg-load -t d --no-dedupe &&
	test "$(pgl_sql "SELECT n FROM d WHERE id = 5")" = 10
'

test_done
