#!/bin/bash
# --unmask: the key holder recovers exactly what --reversible masked,
# across a key rotation with a ring of keys; a mask made under a key not
# given, an altered mask and an HMAC mask are refused clearly.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key
lm_key old
"$TOOLS/gen-logins" -f message 10000 >msgs
lm_field ip msgs >ips
lm_field device_id msgs >devs

test_expect_success '--unmask recovers 10,000 ips and device ids from rows' '
	login-mask --reversible -k key <msgs >rows 2>/dev/null &&
	test "$(wc -l <rows)" = 10000 &&
	login-mask --unmask -k key <rows >plain 2>err &&
	lm_field ip plain >got.ips && test_cmp ips got.ips &&
	lm_field device_id plain >got.devs && test_cmp devs got.devs &&
	grep -q "unmasked 20000 values" err
'

test_expect_success 'the rest of each row is kept as it was' '
	perl -MJSON::PP -ne "my \$r = decode_json(\$_);
	    delete @\$r{qw(masked_ip masked_device_id ip device_id)};
	    print JSON::PP->new->canonical->encode(\$r), qq(\n)" rows >a &&
	perl -MJSON::PP -ne "my \$r = decode_json(\$_);
	    delete @\$r{qw(masked_ip masked_device_id ip device_id)};
	    print JSON::PP->new->canonical->encode(\$r), qq(\n)" plain >b &&
	test_cmp a b && ! grep -q masked_ plain
'

test_expect_success 'bare masks, one per line, unmask to bare values' '
	lm_field masked_device_id rows | sed "s/^/  /" >masks &&
	login-mask --unmask -k key <masks >vals 2>/dev/null &&
	test_cmp devs vals
'

test_expect_success 'values with escapes and UTF-8 come back exactly' '
	{ lm_body device_id="\"tab\\there \\\"quoted\\\" caf\\u00e9 \\ud83d\\ude00\"" &&
	  lm_body device_id="\"$(printf "%0164d" 7)\""; } | lm_message u >odd &&
	login-mask --reversible -k key <odd >orows 2>/dev/null &&
	login-mask --unmask -k key <orows >oplain 2>/dev/null &&
	lm_field device_id odd >want && lm_field device_id oplain >got &&
	test_cmp want got &&
	test "$(lm_field masked_device_id orows | sed -n 2p | wc -c)" = 257
'

test_expect_success 'an IPv6 address comes back in its canonical form' '
	lm_body ip="\"2001:DB8:0:0::0:1\"" | login-mask --reversible -k key 2>/dev/null |
	    login-mask --unmask -k key >v6 2>/dev/null &&
	test "$(lm_field ip v6)" = 2001:db8::1
'

test_expect_success 'after a rotation, a ring of keys unmasks rows of both' '
	head -n 5000 msgs | login-mask --reversible -k old >mixed 2>/dev/null &&
	tail -n 5000 msgs | login-mask --reversible -k key >>mixed 2>/dev/null &&
	test "$(lm_field masked_ip mixed | cut -d. -f3 | sort -u | wc -l)" = 2 &&
	login-mask --unmask -k key -k old <mixed >both 2>/dev/null &&
	lm_field ip both >got && test_cmp ips got
'

test_expect_success 'a mask made under a key not given is refused, naming its key id' '
	oldid=$(login-mask --key-id -k old | cut -d" " -f1) &&
	test_must_fail --code 78 login-mask --unmask -k key <mixed >some 2>err &&
	test "$(wc -l <some)" = 5000 &&
	grep -q "^login-mask: line 1: masked_ip: made under a key that no -k file holds (key id $oldid)$" err &&
	test "$(grep -c "key id $oldid" err)" = 5000
'

test_expect_success 'an HMAC mask cannot be unmasked, and the error says so' '
	head -n 3 msgs | login-mask -k key >hrows 2>/dev/null &&
	test_must_fail --code 65 login-mask --unmask -k key <hrows >out 2>err &&
	test ! -s out &&
	grep -q "line 1: masked_ip: an HMAC mask is one-way and cannot be unmasked" err
'

test_expect_success 'an altered mask does not authenticate' '
	m=$(sed -n 1p masks | tr -d " ") &&
	last=${m: -2:1} && if [ "$last" = A ]; then new=B; else new=A; fi &&
	echo "${m%??}$new${m: -1}" >altered &&
	test_must_fail --code 65 login-mask --unmask -k key <altered >out 2>err &&
	test ! -s out && grep -q "does not authenticate" err
'

test_expect_success 'what is not a mask is refused as such, and nothing leaks' '
	printf "%s\n" "$(sed -n 1p ips)" >notmask &&
	test_must_fail --code 65 login-mask --unmask -k key <notmask >out 2>err &&
	grep -q "line 1: not a login-mask mask" err &&
	! grep -qF "$(sed -n 1p ips)" err
'
test_done
