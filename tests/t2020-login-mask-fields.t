#!/bin/bash
# The field rules, one test each, through the whole program: each bad
# line is rejected with its reason and the good lines around it still
# become rows.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key
lm_body user_id='"before"' >good1
lm_body user_id='"after"' >good2

# rejected_as REASON: the line in file "bad", between two good lines, is
# rejected for REASON (in the rejects file and the summary) and only it.
rejected_as() {
	rm -f rej && cat good1 bad good2 >in &&
	login-mask -k key -r rej <in >out 2>err &&
	test "$(grep "\"user_id\":" out | lm_field user_id | tr "\n" " ")" = \
	    "before after " &&
	test "$(wc -l <rej)" = 1 &&
	test "$(lm_field reason rej)" = "$1" &&
	grep -q "rejected 1: $1\$" err
}

# accepted FIELD VALUE: the line in "bad" is a row with FIELD = VALUE.
accepted() {
	cat good1 bad good2 >in &&
	login-mask -k key -r rej2 <in >out 2>err &&
	test "$(wc -l <out)" = 3 && test ! -s rej2 &&
	test "$(sed -n 2p out | lm_field "$1")" = "$2"
}

grep -v -e oops_wrong_msg_type "$SAMPLE" >valid

test_expect_success 'the real sample: 30 rows and its one malformed body' '
	test "$(wc -l <valid)" = 30 &&
	login-mask -k key -r rej <"$SAMPLE" >out 2>err &&
	test "$(wc -l <out)" = 30 && test "$(wc -l <rej)" = 1 &&
	test "$(lm_field reason rej)" = "user_id: missing" &&
	grep -q "oops_wrong_msg_type" rej &&
	grep -q "read 31, written 30, rejected 1$" err
'

test_expect_success 'rows carry user_logins columns, user_id and device_type as read' '
	lm_field user_id valid >want &&
	lm_field user_id out >got && test_cmp want got &&
	lm_field device_type valid >want &&
	lm_field device_type out >got && test_cmp want got &&
	perl -MJSON::PP -ne "print join(q(,), sort keys %{decode_json(\$_)}), qq(\n)" \
	    out | sort -u >keys &&
	echo "app_version,create_date,device_type,locale,masked_device_id,masked_ip,user_id" >want &&
	test_cmp want keys
'

test_expect_success 'app_version becomes MAJOR*1000000 + MINOR*1000 + PATCH' '
	lm_field app_version valid | perl -ne "chomp;
	    my @p = split /\./; print \$p[0] * 1000000 + (\$p[1] // 0) * 1000 +
	    (\$p[2] // 0), qq(\n)" >want &&
	lm_field app_version out >got && test_cmp want got &&
	grep -q "\"app_version\":60000," out
'

test_expect_success 'a null locale is NULL, others as read' '
	lm_field locale valid >want &&
	lm_field locale out >got && test_cmp want got &&
	grep -q "\"locale\":null," out
'

# Time zones where the UTC date is seldom the local one: UTC+14, and
# UTC-10 (UTC-9 in summer).
for tz in Pacific/Kiritimati America/Adak; do
	test_expect_success "create_date is the UTC date of sent_timestamp (TZ=$tz)" '
		lm_body | lm_message m >bad &&
		TZ=$tz accepted create_date 2023-10-02 &&
		lm_body | lm_message m |
		    sed "s/\"sent_timestamp\":[0-9]*/\"sent_timestamp\":1696293000000/" >bad &&
		TZ=$tz accepted create_date 2023-10-03
	'

	test_expect_success "create_date of a bare body is the UTC day it is processed (TZ=$tz)" '
		lm_body >bad && today=$(date -u +%F) &&
		{ TZ=$tz accepted create_date "$today" ||
		  TZ=$tz accepted create_date "$(date -u +%F)"; }
	'
done

test_expect_success 'equal ips mask alike, and IPv6 spellings of one address too' '
	{ lm_body ip="\"2001:DB8::0:1\"" && lm_body ip="\"2001:db8::1\"" &&
	  lm_body ip="\"2001:0db8:0:0:0:0:0:0001\"" &&
	  lm_body ip="\"10.1.2.3\"" && lm_body ip="\"::ffff:10.1.2.3\"" &&
	  lm_body ip="\"10.1.2.3\"" && lm_body ip="\"10.1.2.4\""; } >ips &&
	login-mask -k key <ips >out 2>/dev/null &&
	lm_field masked_ip out >m &&
	test "$(sed -n 1,3p m | sort -u | wc -l)" = 1 &&
	test "$(sed -n 4,6p m | sort -u | wc -l)" = 1 &&
	test "$(sort -u m | wc -l)" = 3
'

test_expect_success 'equal device ids mask alike, different ones differently' '
	{ lm_body device_id="\"111-22-3333\"" && lm_body device_id="\"111-22-3333\"" &&
	  lm_body device_id="\"111-22-3334\""; } >devs &&
	login-mask -k key <devs >out 2>/dev/null &&
	lm_field masked_device_id out >m &&
	test "$(sed -n 1p m)" = "$(sed -n 2p m)" &&
	test "$(sed -n 2p m)" != "$(sed -n 3p m)"
'

test_expect_success 'extra keys are ignored, nested ones too' '
	lm_body extra="{\"a\": [1, {\"b\": null}]}" more="\"x\"" >bad &&
	accepted user_id u-1
'

test_expect_success 'not JSON is rejected' '
	echo "user_id=u-1, ip=1.2.3.4" >bad && rejected_as "line: not JSON"
'

test_expect_success 'JSON that is not an object is rejected' '
	echo "[\"u-1\", \"1.2.3.4\"]" >bad && rejected_as "line: not an object"
'

for f in user_id app_version device_type ip locale device_id; do
	test_expect_success "a missing $f is rejected" '
		lm_body $f >bad && rejected_as "$f: missing"
	'
done

test_expect_success 'a user_id that is not a string is rejected' '
	lm_body user_id=12345 >bad && rejected_as "user_id: not a string"
'

test_expect_success 'an app_version that is a number is rejected' '
	lm_body app_version=2.3 >bad && rejected_as "app_version: not a string"
'

test_expect_success 'a locale that is an object is rejected' '
	lm_body locale="{}" >bad && rejected_as "locale: not a string"
'

test_expect_success 'a key twice is rejected' '
	lm_body ip="\"1.1.1.1\"" >bad && sed -i "s/}\$/, \"ip\": \"2.2.2.2\"}/" bad &&
	rejected_as "ip: duplicate key"
'

test_expect_success 'a key twice, once spelled with an escape, is rejected' '
	lm_body device_id="\"d1\"" >bad &&
	sed -i "s/}\$/, \"device\\\\u005fid\": \"d2\"}/" bad && grep -q u005f bad &&
	rejected_as "device_id: duplicate key"
'

test_expect_success 'invalid UTF-8 is rejected' '
	lm_body user_id="$(printf "\"caf\\xe9\"")" >bad &&
	rejected_as "line: invalid UTF-8"
'

test_expect_success 'a lone surrogate is rejected' '
	lm_body user_id="\"\\ud83d\"" >bad && rejected_as "user_id: lone surrogate"
'

test_expect_success 'a surrogate pair is a character' '
	lm_body user_id="\"\\ud83d\\ude00\"" >bad &&
	accepted user_id "$(printf "\\xf0\\x9f\\x98\\x80")"
'

test_expect_success 'an escaped NUL is rejected' '
	lm_body device_id="\"a\\u0000b\"" >bad && rejected_as "device_id: NUL character"
'

test_expect_success 'a raw NUL is rejected' '
	lm_body device_id="$(printf "\"a\\\\x00b\"")" | perl -pe "s/\\\\x00/\\0/" >bad &&
	test "$(tr -d "\\0" <bad | wc -c)" -lt "$(wc -c <bad)" &&
	rejected_as "line: NUL character"
'

test_expect_success 'a raw control character is rejected' '
	lm_body user_id="$(printf "\"a\\tb\"")" >bad &&
	rejected_as "line: control character"
'

test_expect_success 'nesting however deep is rejected, without a crash' '
	perl -e "print q({\"x\": ), q([) x 1000000, q(]) x 1000000, qq(}\n)" >bad &&
	rejected_as "line: too many JSON tokens"
'

test_expect_success 'too many keys are rejected' '
	perl -e "print q({), join(q(,), map { qq(\"k\$_\": \$_) } 1 .. 2000), qq(}\n)" >bad &&
	rejected_as "line: too many JSON tokens"
'

test_expect_success 'a line however long is rejected, and memory stays bounded' '
	perl -e "print q({\"user_id\": \"), q(x) x (9 << 20), qq(\"}\n)" >bad &&
	rejected_as "line: too long" &&
	grep -q "\"length\":9437199," rej &&
	/usr/bin/time -f %M -o rss login-mask -k key -r rej3 <in >/dev/null 2>&1 &&
	test "$(cat rss)" -lt 65536
'

# A line too long to read keeps nothing of itself: its reject must not
# be made from memory that was never set (first thing read, so no line
# before it has set it either).
test_expect_success 'and its reject reads no uninitialised memory (valgrind)' '
	echo "{\"length\":9437199,\"line\":2,\"reason\":\"line: too long\",\"stage\":\"login-mask\"}" >want &&
	test_cmp want rej &&
	if command -v valgrind >/dev/null &&
	    ! grep -q __asan_init "$BIN/login-mask"; then
		sed "s/\"line\":2/\"line\":1/" want >want1 &&
		valgrind -q --error-exitcode=99 login-mask -k key -r rejv \
		    <bad >/dev/null 2>verr &&
		test_cmp want1 rejv
	fi
'

test_expect_success 'a user_id of 129 characters is rejected' '
	lm_body user_id="\"$(printf "%0129d" 0)\"" >bad && rejected_as "user_id: too long"
'

test_expect_success 'a user_id of 128 two-byte characters is accepted' '
	u=$(perl -e "print qq(\\xc3\\xa9) x 128") &&
	lm_body user_id="\"$u\"" >bad && accepted user_id "$u"
'

test_expect_success 'a device_type of 33 characters is rejected' '
	lm_body device_type="\"$(printf "%033d" 0)\"" >bad &&
	rejected_as "device_type: too long"
'

test_expect_success 'a locale of 33 characters is rejected' '
	lm_body locale="\"$(printf "%033d" 0)\"" >bad && rejected_as "locale: too long"
'

test_expect_success 'an ip that is not an address is rejected' '
	lm_body ip="\"300.1.2.3\"" >bad && rejected_as "ip: invalid"
'

test_expect_success 'an ip with a zone or blanks is rejected' '
	lm_body ip="\"fe80::1%eth0\"" >bad && rejected_as "ip: invalid" &&
	lm_body ip="\" 10.0.0.1\"" >bad && rejected_as "ip: invalid"
'

test_expect_success 'an empty device_id is rejected' '
	lm_body device_id="\"\"" >bad && rejected_as "device_id: empty"
'

test_expect_success 'a device_id too long for its reversible mask is rejected' '
	lm_body device_id="\"$(printf "%0165d" 0)\"" >bad &&
	rejected_as "device_id: too long" &&
	lm_body device_id="\"$(printf "%0164d" 0)\"" >bad &&
	accepted user_id u-1
'

test_expect_success 'a malformed app_version is rejected' '
	lm_body app_version="\"2.x\"" >bad && rejected_as "app_version: invalid"
'

test_expect_success 'each app_version part is a number: 6.02 is 6.2, 6.20 is not' '
	lm_body app_version="\"6.02\"" >bad && accepted app_version 6002000 &&
	lm_body app_version="\"01.2.3\"" >bad && accepted app_version 1002003 &&
	lm_body app_version="\"0.0.0\"" >bad && accepted app_version 0 &&
	lm_body app_version="\"6.20\"" >bad && accepted app_version 6020000
'

test_expect_success 'an app_version beyond an integer is rejected' '
	lm_body app_version="\"2147.483.648\"" >bad &&
	rejected_as "app_version: out of range" &&
	lm_body app_version="\"2147.483.647\"" >bad &&
	accepted app_version 2147483647
'

test_expect_success '--null-app-version stores NULL for one out of range' '
	lm_body app_version="\"1.1000.0\"" >bad && cat good1 bad good2 >in &&
	login-mask -k key --null-app-version -r rej4 <in >out 2>/dev/null &&
	test "$(lm_field app_version out | tr "\n" " ")" = "2003000 null 2003000 " &&
	test ! -s rej4
'

test_expect_success 'but not for a malformed one' '
	lm_body app_version="\"1.x\"" >bad && cat good1 bad good2 >in &&
	login-mask -k key --null-app-version -r rej5 <in >out 2>/dev/null &&
	test "$(wc -l <out)" = 2 && test "$(lm_field reason rej5)" = "app_version: invalid"
'

test_expect_success 'a message whose body is not JSON is rejected, with its identity' '
	echo "{\"message_id\":\"m-9\",\"receipt_handle\":\"rh-9\",\"body\":\"not json\"}" >bad &&
	rejected_as "body: not JSON" && test "$(lm_field message_id rej)" = m-9 &&
	grep -q "\"message_id\":\"m-9\",\"receipt_handle\":\"rh-9\",\"ack_only\":true" out
'

test_expect_success 'a message without a body is rejected' '
	echo "{\"message_id\":\"m-9\",\"receipt_handle\":\"rh-9\"}" >bad &&
	rejected_as "body: missing"
'

test_expect_success 'a message with a bad sent_timestamp is rejected' '
	echo "{\"message_id\":\"m-9\",\"sent_timestamp\":\"x\",\"body\":\"{}\"}" >bad &&
	rejected_as "sent_timestamp: not an integer"
'
test_done
