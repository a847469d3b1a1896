#!/bin/bash
# pg-load's command line, its ledger DDL against scripts/schema.sql, and
# the exit statuses a supervisor acts on.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_expect_success 'usage is the man page SYNOPSIS, word for word' '
	pg-load --help >help &&
	sed "s/^usage://" help | tr -s " \n" "\n\n" | sed "/^$/d" >got &&
	mandoc -T ascii -O width=300 "$TOP/man/pg-load.1" | sed "s/.\x08//g" |
	    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
	    tr -s " \n" "\n\n" | sed "/^$/d" >want &&
	test_cmp want got
'

test_expect_success '--version names the program and the version' '
	pg-load --version >out &&
	grep -Eq "^pg-load [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'without -t: usage error naming it' '
	test_must_fail --code 64 pg-load </dev/null 2>err &&
	grep -q "missing -t" err && grep -q "^usage: pg-load" err
'

test_expect_success 'numbers are checked, naming the option and the input' '
	test_must_fail --code 64 pg-load -t t --batch-rows 0 2>err &&
	grep -q "pg-load: --batch-rows 0: too small" err &&
	test_must_fail --code 64 pg-load -t t --batch-ms 12x 2>err &&
	grep -q "pg-load: --batch-ms 12x: not a number" err &&
	test_must_fail --code 64 pg-load -t t --batch-rows 99999999999 2>err &&
	grep -q "pg-load: --batch-rows 99999999999: too large" err &&
	test_must_fail --code 64 pg-load -t t --retention -1 2>err &&
	grep -q "too small" err
'

test_expect_success 'options that contradict each other are refused' '
	test_must_fail --code 64 pg-load -t t --no-dedupe --ledger x 2>err &&
	grep -q "no-dedupe" err &&
	test_must_fail --code 64 pg-load -t t extra 2>err &&
	grep -q "too many arguments" err &&
	test_must_fail --code 64 pg-load --ledger-ddl -t t 2>err &&
	grep -q "ledger-ddl" err
'

test_expect_success 'a table name that is not an SQL name is a usage error' '
	test_must_fail --code 64 pg-load -t "User Logins" </dev/null 2>err &&
	grep -q "^pg-load: -t User Logins: not a table name" err &&
	test_must_fail --code 64 pg-load -t a.b.c.d </dev/null 2>err &&
	grep -q "^pg-load: -t a.b.c.d: not a table name" err &&
	test_must_fail --code 64 pg-load -t "t; DROP TABLE t" </dev/null 2>err &&
	test_must_fail --code 64 pg-load -t t --ledger "a b" </dev/null 2>err &&
	grep -q "^pg-load: --ledger a b: not a table name" err
'

test_expect_success '--prune-interval is checked, and needs the ledger' '
	test_must_fail --code 64 pg-load -t t --prune-interval 0 2>err &&
	grep -q "pg-load: --prune-interval 0: too small" err &&
	test_must_fail --code 64 pg-load -t t --prune-interval 86401 2>err &&
	grep -q "too large" err &&
	test_must_fail --code 64 pg-load -t t --no-dedupe --prune-interval 60 2>err &&
	grep -q "no-dedupe" err
'

test_expect_success 'a malformed connection string is a usage error' '
	test_must_fail --code 64 pg-load -t t -d "host=x bogus_option=1" 2>err &&
	grep -q "^pg-load: -d: " err
'

test_expect_success '--ledger-ddl prints the ledger scripts/schema.sql creates' '
	pg-load --ledger-ddl >ddl &&
	grep -q "PRIMARY KEY (target, sent_timestamp, message_id)" ddl &&
	perl -e "
		local \$/; open my \$f, q(<), \$ARGV[0] or die; my \$s = <\$f>;
		open my \$d, q(<), \$ARGV[1] or die; my \$ddl = <\$d>;
		exit(index(\$s, \$ddl) >= 0 ? 0 : 1)" "$TOP/scripts/schema.sql" ddl
'

test_expect_success 'and the man page shows the same DDL' '
	sed -n "/^CREATE TABLE IF NOT EXISTS login_etl_ledger/,/PRIMARY KEY/p" \
	    "$TOP/man/pg-load.1" >man-ddl &&
	test_cmp ddl man-ddl
'

test_expect_success 'schema.sql keeps the users table exactly as they have it' '
	cat >want <<-\EOF &&
	CREATE TABLE IF NOT EXISTS user_logins(
	    user_id varchar(128), device_type varchar(32),
	    masked_ip varchar(256), masked_device_id varchar(256),
	    locale varchar(32), app_version integer, create_date date);
	EOF
	sed -n "/^CREATE TABLE IF NOT EXISTS user_logins/,/;\$/p" \
	    "$TOP/scripts/schema.sql" >got &&
	test_cmp want got
'

test_expect_success '--ledger-ddl takes a qualified name, and only a name' '
	pg-load --ledger-ddl --ledger "etl.\"My Ledger\"" >ddl2 &&
	head -n 1 ddl2 >got &&
	echo "CREATE TABLE IF NOT EXISTS etl.\"My Ledger\"(" >want &&
	test_cmp want got &&
	test_must_fail --code 64 pg-load --ledger-ddl --ledger "x; DROP TABLE y" 2>err &&
	grep -q "not a table name" err
'

test_services pg

test_expect_success 'a database made from schema.sql is the one pg-load makes' '
	psql -X -q -c "CREATE DATABASE made" -c "CREATE DATABASE byhand" &&
	psql -X -q -v ON_ERROR_STOP=1 -d byhand -f "$TOP/scripts/schema.sql" &&
	sed -n "/^CREATE TABLE IF NOT EXISTS user_logins/,/;\$/p" \
	    "$TOP/scripts/schema.sql" | psql -X -q -d made &&
	pg-load -t user_logins -d "dbname=made" --check &&
	pg_dump -s -d made | grep -Ev "^(--|\\\\(un)?restrict)" | sed "/^\$/d" >made.sql &&
	pg_dump -s -d byhand | grep -Ev "^(--|\\\\(un)?restrict)" | sed "/^\$/d" >byhand.sql &&
	test_cmp byhand.sql made.sql
'

test_expect_success 'and pg-load loads into a database made from schema.sql' '
	pgl_rows 20 >rows &&
	pg-load -t user_logins -d "dbname=byhand" <rows >acks &&
	test "$(pgl_acks acks loaded)" = 20 &&
	test "$(psql -X -At -d byhand -c "select count(*) from login_etl_ledger")" = 20
'

test_expect_success 'the database as a URI, and from a libpq service file' '
	pgl_sql "CREATE DATABASE viauri" && pgl_sql "CREATE DATABASE viaservice" &&
	psql -X -q -d viauri -c "CREATE TABLE t(v text)" &&
	psql -X -q -d viaservice -c "CREATE TABLE t(v text)" &&
	echo "{\"v\":\"uri\"}" | pg-load -t t --no-dedupe \
	    -d "postgresql://postgres@/viauri?host=$PGHOST&port=$PGPORT" &&
	test "$(psql -X -At -d viauri -c "SELECT v FROM t")" = uri &&
	printf "[etl]\nhost=%s\nport=%s\nuser=postgres\ndbname=viaservice\n" \
	    "$PGHOST" "$PGPORT" >services.conf &&
	echo "{\"v\":\"service\"}" | env -u PGHOST -u PGPORT -u PGDATABASE \
	    PGSERVICEFILE=$PWD/services.conf PGSERVICE=etl pg-load -t t --no-dedupe &&
	test "$(psql -X -At -d viaservice -c "SELECT v FROM t")" = service
'

test_expect_success 'a server that does not answer: EX_TEMPFAIL, with libpq saying why' '
	test_must_fail --code 75 pg-load -t user_logins \
	    -d "host=127.0.0.1 port=1 connect_timeout=5" </dev/null 2>err &&
	grep -q "^pg-load: cannot connect: " err
'

test_expect_success 'a table that does not exist: EX_NOINPUT' '
	test_must_fail --code 66 pg-load -t no_such_table </dev/null 2>err &&
	grep -q "table no_such_table: does not exist" err &&
	test_must_fail --code 66 pg-load -t no_such_table --check 2>err
'

test_expect_success '--check creates the ledger and opens the rejects file' '
	pgl_user_logins &&
	test -z "$(pgl_sql "select to_regclass(\$\$login_etl_ledger\$\$)")" &&
	pg-load -t user_logins -r rej --check </dev/null >out &&
	test ! -s out && test -f rej &&
	test -n "$(pgl_sql "select to_regclass(\$\$login_etl_ledger\$\$)")"
'

test_expect_success 'a view is refused up front, not by the first batch' '
	pgl_sql "CREATE VIEW logins_view AS SELECT * FROM user_logins" &&
	test_must_fail --code 64 pg-load -t logins_view --check 2>err &&
	grep -q "table logins_view: a view: only an ordinary or a partitioned table can be loaded" err &&
	pgl_sql "CREATE TABLE parted(v text) PARTITION BY LIST (v)" &&
	pgl_sql "CREATE TABLE parted_x PARTITION OF parted FOR VALUES IN (\$\$x\$\$)" &&
	pg-load -t parted --no-dedupe --check
'

test_expect_success 'so is a role that may not insert into a column: EX_NOPERM' '
	pgl_sql "CREATE ROLE reader LOGIN" &&
	pgl_sql "GRANT SELECT ON user_logins TO reader" &&
	pgl_sql "GRANT INSERT (user_id, locale) ON user_logins TO reader" &&
	test_must_fail --code 77 pg-load -t user_logins -d "user=reader" --no-dedupe \
	    --check 2>err &&
	grep -q "table public.user_logins: no INSERT privilege on column device_type" err &&
	pg-load -t user_logins -c user_id,locale -d "user=reader" --no-dedupe --check
'

test_expect_success 'or on the ledger: EX_NOPERM' '
	pgl_sql "GRANT INSERT ON user_logins TO reader" &&
	test_must_fail --code 77 pg-load -t user_logins -d "user=reader" --check 2>err &&
	grep -q "ledger login_etl_ledger: SELECT, INSERT and DELETE on it are needed" err &&
	pgl_sql "GRANT SELECT, INSERT, DELETE ON login_etl_ledger TO reader" &&
	pg-load -t user_logins -d "user=reader" --check
'

test_expect_success 'a table named like the ledger that is none: EX_CONFIG' '
	pgl_sql "CREATE TABLE fake_ledger(target text, sent_timestamp bigint, message_id text)" &&
	test_must_fail --code 78 pg-load -t user_logins --ledger fake_ledger \
	    </dev/null 2>err &&
	grep -q "not a pg-load ledger" err
'

test_expect_success '--columns must name loadable columns of the table' '
	test_must_fail --code 64 pg-load -t user_logins -c user_id,nope </dev/null 2>err &&
	grep -q "has no column nope" err &&
	test_must_fail --code 64 pg-load -t user_logins -c user_id,user_id </dev/null 2>err &&
	grep -q "named twice" err
'

test_expect_success 'a rejects file others may read is refused: EX_CONFIG' '
	touch open.ndjson && chmod 644 open.ndjson &&
	test_must_fail --code 78 pg-load -t user_logins -r open.ndjson </dev/null 2>err &&
	grep -q "open.ndjson: group or others can access it" err
'

test_expect_success 'a link, a FIFO or a directory as rejects file: EX_CANTCREAT' '
	ln -s rej link.ndjson &&
	test_must_fail --code 73 pg-load -t user_logins -r link.ndjson </dev/null &&
	mkfifo fifo.ndjson &&
	test_must_fail --code 73 timeout 10 pg-load -t user_logins -r fifo.ndjson </dev/null 2>err &&
	grep -q "fifo.ndjson: not a regular file" err &&
	test_must_fail --code 73 pg-load -t user_logins -r . </dev/null 2>err &&
	grep -q "\.: not a regular file" err
'

test_expect_success 'a closed stdout ends pg-load with EX_IOERR, not a signal' '
	pgl_rows 5 3 >rows5 &&
	perl -e "pipe(R, W) or die; close R; open STDOUT, q(>&), \\*W or die;
		exec @ARGV or die" pg-load -t user_logins <rows5 2>err;
	st=$? && test "$st" = 74 &&
	grep -q "stdout: Broken pipe" err
'

test_done
