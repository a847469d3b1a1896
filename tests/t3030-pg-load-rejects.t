#!/bin/bash
# Rows the database refuses: each is found alone, kept in the rejects
# file (or released) and acked; the others load; nothing from a row
# reaches stderr.  A trigger function that fails for every row is no
# row's fault: the load stops, nothing acked.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg
pgl_user_logins

# A bad variant of row record $1 (its ids kept): $2 is the JSON to put
# in place of one column's value.
spoil() {
	perl -MJSON::PP -ne '
		BEGIN { ($col, $val) = splice @ARGV, 0, 2 }
		chomp; my $p = JSON::PP->new->canonical;
		my $j = $p->decode($_);
		$j->{$col} = $p->allow_nonref->decode($val);
		print $p->encode($j), "\n";' "$2" "$3" "$1"
}

test_expect_success 'a batch with refused rows at its start, middle and end' '
	pgl_rows 1000 >good &&
	sed -n 1p good >g1 && sed -n 500p good >g500 && sed -n 501p good >g501 &&
	sed -n 1000p good >g1000 &&
	spoil g1 locale "\"SECRET-LOCALE-FAR-TOO-LONG-FOR-VARCHAR-32\"" >b1 &&
	spoil g500 app_version "\"SECRET-NOT-AN-INTEGER\"" >b500 &&
	spoil g501 create_date "\"2023-02-30\"" >b501 &&
	spoil g1000 device_type "\"SECRET-DEVICE-TYPE-MUCH-LONGER-THAN-32\"" >b1000 &&
	{ cat b1; sed -n 2,499p good; cat b500 b501; sed -n 502,999p good; cat b1000; } >in &&
	test "$(wc -l <in)" = 1000
'

test_expect_success 'the good rows load, the refused ones go to the rejects file' '
	pg-load -t user_logins -r rej.ndjson --batch-rows 5000 <in >acks 2>err &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 996 &&
	test "$(pgl_acks acks loaded)" = 996 && test "$(pgl_acks acks rejected)" = 4 &&
	test "$(wc -l <rej.ndjson)" = 4
'

test_expect_success 'acks stay in input order, refused ones in their place' '
	pgl_ids in >want && pgl_ids acks >got && test_cmp want got &&
	pgl_field acks status | grep -n rejected | cut -d: -f1 | tr "\n" " " >got &&
	printf "1 500 501 1000 " >want && test_cmp want got
'

test_expect_success 'the refused rows are not in the table, nor in the ledger' '
	for f in b1 b500 b501 b1000; do
		id=$(pgl_ids $f) &&
		test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id = \$\$$id\$\$")" = 0 ||
		return 1
	done &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE locale LIKE \$\$SECRET%\$\$
	    OR device_type LIKE \$\$SECRET%\$\$")" = 0
'

test_expect_success 'the rejects file is private: mode 0600' '
	test "$(stat -c %a rej.ndjson)" = 600
'

test_expect_success 'a reject line is the input record plus reason and stage' '
	perl -MJSON::PP -e "
		my \$p = JSON::PP->new->canonical;
		open my \$r, q(<), q(rej.ndjson) or die;
		my @in = map { my \$f = \$_; open my \$h, q(<), \$f or die;
		    \$p->decode(scalar <\$h>) } qw(b1 b500 b501 b1000);
		while (my \$l = <\$r>) {
			my \$j = \$p->decode(\$l);
			my \$want = shift @in;
			die qq(stage\n) unless delete \$j->{stage} eq q(pg-load);
			my \$why = delete \$j->{reason} // die qq(reason\n);
			die qq(record differs\n) unless \$p->encode(\$j) eq \$p->encode(\$want);
			print \$why, qq(\n---\n);
		}" >reasons &&
	grep -q "22001: value too long for type character varying(32)" reasons &&
	grep -q "22P02: invalid input syntax for type integer" reasons &&
	grep -q "22008: date/time field value out of range" reasons &&
	grep -q "CONTEXT:  COPY user_logins, line 1, column locale" reasons
'

test_expect_success 'stderr names the message, the column and the SQLSTATE, never a value' '
	grep -q "message $(pgl_ids b1): column locale: refused by the database: SQLSTATE 22001" err &&
	grep -q "message $(pgl_ids b500): column app_version: .*SQLSTATE 22P02" err &&
	grep -q "message $(pgl_ids b501): column create_date: .*SQLSTATE 22008" err &&
	grep -q "message $(pgl_ids b1000): column device_type: .*SQLSTATE 22001" err &&
	test_must_not_contain err SECRET &&
	test_must_not_contain err 2023-02-30 &&
	test_must_not_contain err CONTEXT
'

test_expect_success 'nor does the progress line, with -v' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	# In four parts over two seconds, for a progress line to fall due.
	{ for p in 1 2 3 4; do
		sed -n "$(( (p - 1) * 250 + 1 )),$(( p * 250 ))p" in && sleep 0.6
	  done; } |
	    pg-load -v -t user_logins -r rej-v.ndjson --batch-ms 100 >/dev/null 2>err-v &&
	grep -Eq "^pg-load: [0-9]+ loaded, [0-9]+ duplicates, [0-9]+ rejected, [0-9]+ released, [0-9]+ rows/s$" err-v &&
	test_must_not_contain err-v SECRET
'

test_expect_success 'replaying the rejects after a fix loads them as the first run would' '
	pgl_sql "ALTER TABLE user_logins ALTER locale TYPE varchar(64),
	    ALTER device_type TYPE varchar(64)" &&
	pg-load -t user_logins -r rej-2.ndjson <rej.ndjson >acks-2 2>err-2 &&
	test "$(pgl_acks acks-2 loaded)" = 2 && test "$(pgl_acks acks-2 rejected)" = 2 &&
	test "$(wc -l <rej-2.ndjson)" = 2 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE locale LIKE \$\$SECRET%\$\$")" = 1 &&
	spoil g1 locale "\"SECRET-LOCALE-FAR-TOO-LONG-FOR-VARCHAR-32\"" |
	    pg-load -t user_logins >acks-3 &&
	test "$(pgl_acks acks-3 duplicate)" = 1
'

test_expect_success 'and a record refused twice carries one reason, the latest' '
	head -n 1 rej-2.ndjson | grep -o "\"reason\"" | wc -l >got &&
	echo 1 >want && test_cmp want got
'

test_expect_success 'one refused row per batch never stops the stream' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	pgl_rows 300 7 >g300 &&
	for i in $(seq 1 30); do
		sed -n "$(( (i - 1) * 10 + 1 )),$(( i * 10 - 1 ))p" g300 &&
		sed -n "$(( i * 10 ))p" g300 >one &&
		spoil one app_version "\"x$i\"" || return 1
	done >mixed &&
	pg-load -t user_logins -r rej-m.ndjson --batch-rows 10 <mixed >acks-m &&
	test "$(pgl_acks acks-m loaded)" = 270 && test "$(pgl_acks acks-m rejected)" = 30 &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 270
'

test_expect_success 'constraints are refusals too: check and unique violations' '
	pgl_sql "CREATE TABLE c(id int UNIQUE, n int CHECK (n > 0))" &&
	printf "%s\n" "{\"message_id\":\"c1\",\"receipt_handle\":\"h1\",\"id\":1,\"n\":1}" \
	    "{\"message_id\":\"c2\",\"receipt_handle\":\"h2\",\"id\":2,\"n\":-5}" \
	    "{\"message_id\":\"c3\",\"receipt_handle\":\"h3\",\"id\":1,\"n\":3}" \
	    "{\"message_id\":\"c4\",\"receipt_handle\":\"h4\",\"id\":4,\"n\":4}" >cin &&
	pg-load -t c -r rej-c.ndjson <cin >acks-c 2>err-c &&
	test "$(pgl_field acks-c status | tr "\n" " ")" = "loaded rejected rejected loaded " &&
	grep -q "message c2: .*SQLSTATE 23514 (check violation)" err-c &&
	grep -q "message c3: .*SQLSTATE 23505 (unique violation)" err-c &&
	test "$(pgl_sql "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM c")" = "1,4"
'

test_expect_success 'without -r a refused record with a handle is released' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	pg-load -t user_logins <in >acks-rel 2>err-rel &&
	test "$(pgl_acks acks-rel released)" = 2 && test "$(pgl_acks acks-rel loaded)" = 998 &&
	grep -q "message $(pgl_ids b500): .*released to the queue" err-rel &&
	test_must_not_contain err-rel SECRET
'

test_expect_success 'without -r and without a handle, it is reported and the exit is 65' '
	printf "%s\n" "{\"user_id\":\"fine\"}" "{\"user_id\":\"bad\",\"app_version\":\"SECRET\"}" \
	    "{\"user_id\":\"fine too\"}" >nohandle &&
	test_must_fail --code 65 pg-load -t user_logins <nohandle >acks-n 2>err-n &&
	grep -q "line 2: column app_version: .*not loaded" err-n &&
	grep -q "1 not loaded" err-n &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id LIKE \$\$fine%\$\$")" = 2
'

test_expect_success 'ack_only and release records are acked in their place' '
	pgl_rows 2 8 >two &&
	{ head -n 1 two;
	  echo "{\"message_id\":\"up\",\"receipt_handle\":\"h-up\",\"sent_timestamp\":1,\"ack_only\":true}";
	  echo "{\"message_id\":\"back\",\"receipt_handle\":\"h-back\",\"release\":true}";
	  tail -n 1 two; } >passing &&
	pg-load -t user_logins <passing >acks-p &&
	test "$(pgl_field acks-p status | tr "\n" " ")" = "loaded rejected released loaded " &&
	grep -q "{\"receipt_handle\":\"h-up\",\"message_id\":\"up\",\"status\":\"rejected\"}" acks-p &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id IN (\$\$up\$\$, \$\$back\$\$)")" = 0
'

test_expect_success 'lines that are not records are kept whole' '
	{ echo "not json at all"; echo "[1,2]"; printf "{\"user_id\":\"\\\\u0000\"}\n";
	  echo; echo "{\"other\":1}"; } >junk &&
	pg-load -t user_logins -r rej-j.ndjson <junk >acks-j 2>err-j &&
	test ! -s acks-j &&
	test "$(wc -l <rej-j.ndjson)" = 4 &&
	test "$(pgl_field rej-j.ndjson line | head -n 2 | tr "\n" " ")" = "not json at all [1,2] " &&
	grep -q "line 3: column user_id: a NUL character" err-j &&
	grep -q "line 5: no key names a column" err-j
'

test_expect_success 'a line too long is refused with its length, and the rest loads' '
	{ printf "{\"user_id\":\""; head -c 9000000 /dev/zero | tr "\0" a; echo "\"}";
	  echo "{\"user_id\":\"after the long one\"}"; } >long &&
	pg-load -t user_logins -r rej-l.ndjson <long >/dev/null 2>err-l &&
	grep -q "line 1: a line of 9000014 bytes, longer than" err-l &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id = \$\$after the long one\$\$")" = 1
'

if command -v strace >/dev/null; then
	test_expect_success 'the rejects file is synced before the acks are written' '
		pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
		# LeakSanitizer cannot run under a tracer, if pg-load has it.
		ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=fsync,fdatasync,write \
		    -o trace pg-load -t user_logins -r rej-s.ndjson <in >acks-s 2>/dev/null &&
		test "$(wc -l <rej-s.ndjson)" = 2 &&
		grep -E "fsync\(|write\(1, " trace | head -n 1 | grep -q fsync
	'
else
	pgl_skip "no strace: the order of fsync and acks not checked"
fi

test_expect_success 'a message id too long for the ledger refuses its record alone' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	{ perl -e "print q({\"message_id\":\"), q(m) x 6000,
	      q(\",\"receipt_handle\":\"h-long\",\"user_id\":\"u-long\"}), qq(\n)" &&
	  perl -e "print q({\"message_id\":\"), q(k) x 1024,
	      q(\",\"receipt_handle\":\"h-1024\",\"user_id\":\"u-1024\"}), qq(\n)" &&
	  echo "{\"message_id\":\"after-long\",\"receipt_handle\":\"h-after\",\"user_id\":\"u-after\"}"
	} >longid &&
	pg-load -t user_logins -r rej-id.ndjson <longid >acks-id 2>err-id &&
	test "$(pgl_field acks-id status | tr "\n" " ")" = "rejected loaded loaded " &&
	grep -q "message mmmm.*\.\.\.: message_id: longer than 1024 bytes; kept in the rejects file" err-id &&
	test "$(pgl_field rej-id.ndjson user_id)" = u-long &&
	test "$(pgl_sql "SELECT string_agg(user_id, \$\$,\$\$ ORDER BY user_id) FROM user_logins")" = "u-1024,u-after" &&
	pg-load -t user_logins <longid >acks-id2 &&
	test "$(pgl_field acks-id2 status | tr "\n" " ")" = "released duplicate duplicate "
'

test_expect_success 'a ledger key the server refuses refuses its record alone' '
	pg-load -t user_logins --ledger strict_ledger --check &&
	pgl_sql "ALTER TABLE strict_ledger ADD CHECK (message_id <> \$\$poison\$\$)" &&
	printf "%s\n" "{\"message_id\":\"p1\",\"receipt_handle\":\"h1\",\"user_id\":\"u-p1\"}" \
	    "{\"message_id\":\"poison\",\"receipt_handle\":\"h2\",\"user_id\":\"u-p2\"}" \
	    "{\"message_id\":\"p3\",\"receipt_handle\":\"h3\",\"user_id\":\"u-p3\"}" \
	    "{\"message_id\":\"poison\",\"receipt_handle\":\"h4\",\"user_id\":\"u-p2\"}" >poison &&
	pg-load -t user_logins --ledger strict_ledger -r rej-p.ndjson <poison >acks-p 2>err-p &&
	test "$(pgl_field acks-p status | tr "\n" " ")" = "loaded rejected loaded rejected " &&
	grep -q "message poison: its ledger key: refused by the database: SQLSTATE 23514 (check violation)" err-p &&
	test "$(wc -l <rej-p.ndjson)" = 2 &&
	grep -q "strict_ledger_message_id_check" rej-p.ndjson &&
	test "$(pgl_sql "SELECT string_agg(message_id, \$\$,\$\$ ORDER BY message_id) FROM strict_ledger")" = "p1,p3" &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id LIKE \$\$u-p%\$\$")" = 2
'

test_expect_success 'an exception a trigger raises refuses its row alone, off stderr' '
	pgl_sql "CREATE TABLE tr(id int, v text)" &&
	pgl_sql "CREATE FUNCTION tr_check() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN
		IF NEW.v LIKE \$\$SECRET%\$\$ THEN
			RAISE EXCEPTION \$\$no value like %\$\$, NEW.v;
		END IF;
		RETURN NEW;
	    END \$f\$" &&
	pgl_sql "CREATE TRIGGER tr_check BEFORE INSERT ON tr
	    FOR EACH ROW EXECUTE FUNCTION tr_check()" &&
	printf "%s\n" "{\"message_id\":\"t1\",\"receipt_handle\":\"h1\",\"id\":1,\"v\":\"fine\"}" \
	    "{\"message_id\":\"t2\",\"receipt_handle\":\"h2\",\"id\":2,\"v\":\"SECRET-TRIGGERED\"}" \
	    "{\"message_id\":\"t3\",\"receipt_handle\":\"h3\",\"id\":3,\"v\":\"fine too\"}" >trin &&
	pg-load -t tr -r rej-t.ndjson <trin >acks-t 2>err-t &&
	test "$(pgl_field acks-t status | tr "\n" " ")" = "loaded rejected loaded " &&
	grep -q "^pg-load: message t2: refused by the database: SQLSTATE P0001 (raise exception); kept" err-t &&
	test_must_not_contain err-t SECRET &&
	grep -q "no value like SECRET-TRIGGERED" rej-t.ndjson &&
	test "$(pgl_sql "SELECT string_agg(id::text, \$\$,\$\$ ORDER BY id) FROM tr")" = "1,3"
'

test_expect_success 'a privilege a trigger lacks stops the load, its text off stderr' '
	pgl_sql "CREATE TABLE audit(v text)" &&
	pgl_sql "CREATE TABLE tr2(id int, v text)" &&
	pgl_sql "CREATE FUNCTION tr2_audit() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN INSERT INTO audit VALUES (NEW.v); RETURN NEW; END \$f\$" &&
	pgl_sql "CREATE TRIGGER tr2_audit BEFORE INSERT ON tr2
	    FOR EACH ROW EXECUTE FUNCTION tr2_audit()" &&
	pgl_sql "CREATE ROLE loader LOGIN" &&
	pgl_sql "GRANT SELECT, INSERT ON tr2 TO loader" &&
	test_must_fail --code 77 pg-load -t tr2 --no-dedupe -d "user=loader" \
	    -r rej-t2.ndjson <trin >acks-t2 2>err-t2 &&
	grep -q "^pg-load: cannot load: SQLSTATE 42501 (insufficient privilege); nothing uncommitted was acknowledged" err-t2 &&
	test_must_not_contain err-t2 "permission denied" &&
	test_must_not_contain err-t2 SECRET &&
	test ! -s acks-t2 && test ! -s rej-t2.ndjson &&
	test "$(pgl_sql "SELECT count(*) FROM tr2")" = 0
'

test_expect_success 'an ASSERT in a trigger refuses its row alone too' '
	pgl_sql "CREATE TABLE tr4(id int, v text)" &&
	pgl_sql "CREATE FUNCTION tr4_assert() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN ASSERT NEW.v NOT LIKE \$\$SECRET%\$\$; RETURN NEW; END \$f\$" &&
	pgl_sql "CREATE TRIGGER tr4_assert BEFORE INSERT ON tr4
	    FOR EACH ROW EXECUTE FUNCTION tr4_assert()" &&
	pg-load -t tr4 -r rej-t4.ndjson <trin >acks-t4 2>err-t4 &&
	test "$(pgl_field acks-t4 status | tr "\n" " ")" = "loaded rejected loaded " &&
	grep -q "^pg-load: message t2: refused by the database: SQLSTATE P0004 (assert failure); kept" err-t4
'

test_expect_success 'a trigger function that is broken stops the load: no row is blamed' '
	pgl_sql "CREATE TABLE tr3(id int, v text)" &&
	# No RETURN for most rows: 2F005 for each, whatever the row holds.
	pgl_sql "CREATE FUNCTION tr3_broken() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    BEGIN IF NEW.v = \$\$never\$\$ THEN RETURN NEW; END IF; END \$f\$" &&
	pgl_sql "CREATE TRIGGER tr3_broken BEFORE INSERT ON tr3
	    FOR EACH ROW EXECUTE FUNCTION tr3_broken()" &&
	test_must_fail --code 69 pg-load -t tr3 -r rej-t3.ndjson <trin >acks-t3 2>err-t3 &&
	grep -q "^pg-load: cannot load: SQLSTATE 2F005 (function executed no return statement); nothing uncommitted was acknowledged" err-t3 &&
	test_must_not_contain err-t3 SECRET &&
	test ! -s acks-t3 && test ! -s rej-t3.ndjson &&
	test "$(pgl_sql "SELECT count(*) FROM tr3")" = 0
'

test_expect_success 'and so does one that finds no row where it wants one (P0002)' '
	pgl_sql "CREATE TABLE tr5(id int, v text)" &&
	pgl_sql "CREATE FUNCTION tr5_strict() RETURNS trigger LANGUAGE plpgsql AS \$f\$
	    DECLARE n int;
	    BEGIN SELECT 1 INTO STRICT n WHERE false; RETURN NEW; END \$f\$" &&
	pgl_sql "CREATE TRIGGER tr5_strict BEFORE INSERT ON tr5
	    FOR EACH ROW EXECUTE FUNCTION tr5_strict()" &&
	test_must_fail --code 69 pg-load -t tr5 -r rej-t5.ndjson <trin >acks-t5 2>err-t5 &&
	grep -q "^pg-load: cannot load: SQLSTATE P0002 (no data found); nothing" err-t5 &&
	test ! -s acks-t5 && test ! -s rej-t5.ndjson
'

test_expect_success 'a record refused for a key before its receipt handle is still acked' '
	printf "%s\n" "{\"message_id\":\"m2\\u0000x\",\"receipt_handle\":\"h-nul\",\"sent_timestamp\":7,\"user_id\":\"SECRET\"}" \
	    "{\"sent_timestamp\":\"soon\",\"message_id\":\"m-ts\",\"receipt_handle\":\"h-ts\",\"user_id\":\"SECRET\"}" >keyfirst &&
	pg-load -t user_logins -r rej-k.ndjson <keyfirst >acks-k 2>err-k &&
	test "$(pgl_field acks-k receipt_handle | tr "\n" " ")" = "h-nul h-ts " &&
	test "$(pgl_field acks-k status | tr "\n" " ")" = "rejected rejected " &&
	grep -q "message m2.u0000x: message_id: a NUL" err-k &&
	grep -q "message m-ts: sent_timestamp: not a non-negative integer" err-k &&
	test_must_not_contain err-k SECRET &&
	test "$(wc -l <rej-k.ndjson)" = 2
'

test_expect_success 'a second copy of a refused message shares its fate' '
	pgl_rows 2 40 >g40 &&
	sed -n 2p g40 >g40b &&
	spoil g40b app_version "\"SECRET-x\"" >bad40 &&
	sed "s/\"receipt_handle\":\"[^\"]*\"/\"receipt_handle\":\"again\"/" bad40 >bad40b &&
	{ sed -n 1p g40; cat bad40 bad40b; } >twice-bad &&
	pg-load -t user_logins -r rej-2b.ndjson <twice-bad >acks-2b 2>err-2b &&
	test "$(pgl_field acks-2b status | tr "\n" " ")" = "loaded rejected rejected " &&
	test "$(pgl_field acks-2b receipt_handle | sed -n 3p)" = again &&
	test "$(wc -l <rej-2b.ndjson)" = 2 &&
	pg-load -t user_logins <twice-bad >acks-2c 2>err-2c &&
	test "$(pgl_field acks-2c status | tr "\n" " ")" = "duplicate released released " &&
	test "$(pgl_sql "SELECT count(*) FROM login_etl_ledger WHERE message_id = \$\$$(pgl_ids bad40)\$\$")" = 0
'

test_done
