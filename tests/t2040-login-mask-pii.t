#!/bin/bash
# No ip or device_id leaves login-mask unmasked: not in rows, not in the
# summary, progress or reject messages (only the rejects file, which is
# private, holds them).
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key

# The values that must not appear, from the input itself.
pii() {
	lm_field ip "$1" | grep -v "^null$"
	lm_field device_id "$1" | grep -v "^null$"
}

# leaks FILE PATTERNS: fails naming any pattern found in FILE.
leaks() {
	! grep -F -f "$2" "$1"
}

# The ip and device_id strings in the bodies of FILE's message records,
# read as gen-logins writes them (no escapes inside the values), which
# is much faster than decoding each body as JSON.
gen_pii() {
	perl -ne 'print "$1\n" while /\\"(?:ip|device_id)\\": \\"([^"\\]*)\\"/g' "$1"
}

# The distinct values of mask column KEY in FILE's rows (masks hold no
# quotes or escapes).
distinct() {
	grep -o "\"$1\":\"[^\"]*\"" "$2" | sort -u | wc -l
}

test_expect_success 'the real sample, masked with -v and no rejects file' '
	pii "$SAMPLE" >pii.sample && test "$(wc -l <pii.sample)" = 60 &&
	login-mask -v -k key <"$SAMPLE" >out 2>err;
	test $? = 65 && test "$(wc -l <out)" = 30 && test -s err &&
	leaks out pii.sample && leaks err pii.sample
'

test_expect_success 'and with --reversible and a rejects file' '
	login-mask -v --reversible -k key -r rej <"$SAMPLE" >out 2>err &&
	test "$(wc -l <out)" = 30 &&
	leaks out pii.sample && leaks err pii.sample
'

# 5,000 ips and device ids among 50,000 messages: every value recurs,
# so the masks show duplicates.  Two pauses in the input give two
# progress lines before the summary.
test_expect_success 'generated messages, some malformed, with progress lines' '
	"$TOOLS/gen-logins" -f message -b 7 -i 5000 -d 5000 50000 >gen &&
	gen_pii gen | sort -u >pii.gen &&
	test "$(wc -l <pii.gen)" -ge 9000 &&
	{ head -n 1000 gen && sleep 1.2 && sed -n 1001,2000p gen && sleep 1.2 &&
	  tail -n +2001 gen; } | login-mask -v -k key >out 2>err &&
	test "$(grep -c "^login-mask: read [0-9]*, written" err)" -ge 3 &&
	grep -q "message .*: ip: invalid" err &&
	leaks out pii.gen && leaks err pii.gen
'

test_expect_success 'bad values in rejected messages stay off stderr too' '
	{ lm_body ip="\"10.9.8.7x\"" && lm_body device_id="\"12345678901234567890123\" " \
	    ip="\"bad ip 10.9.8.7\""; } | lm_message m >bad &&
	login-mask -v -k key <bad >out 2>err &&
	! grep -e "10\.9\.8\.7" -e 1234567890 err out &&
	grep -q "message m-1: ip: invalid" err
'

test_expect_success 'duplicates stay visible: equal values give equal masks' '
	login-mask -k key <gen 2>/dev/null | grep "\"masked_ip\":" >rows &&
	test "$(wc -l <rows)" -ge 40000 &&
	distinct masked_ip rows >n.ip && distinct masked_device_id rows >n.dev &&
	test "$(cat n.ip)" -le 5000 && test "$(cat n.ip)" -ge 4900 &&
	test "$(cat n.dev)" -le 5000 && test "$(cat n.dev)" -ge 4900
'
test_done
