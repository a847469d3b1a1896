#!/bin/bash
# login-mask's command line: usage is the manual's synopsis, bad
# combinations are refused with EX_USAGE, --check reads nothing, and a
# failed write is an error.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key

test_expect_success '-h prints the usage on stdout and succeeds' '
	login-mask -h >out 2>err &&
	grep -q "^usage: login-mask " out && test ! -s err
'

test_expect_success 'the usage is the manual page synopsis, word for word' '
	login-mask --help | sed "s/^usage://" | tr -s " \n" "  " >usage &&
	mandoc -T ascii "$TOP/man/login-mask.1" | perl -pe "s/.\\x08//g" |
	    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
	    tr -s " \n" "  " >synopsis &&
	test_cmp synopsis usage
'

test_expect_success '--version prints the name and version' '
	login-mask --version >out &&
	grep -Eq "^login-mask [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success 'no key is a usage error that says where a key comes from' '
	test_must_fail --code 64 env -u LOGIN_MASK_KEY_FILE login-mask \
	    </dev/null 2>err &&
	grep -q "missing -k (or LOGIN_MASK_KEY_FILE)" err
'

test_expect_success 'LOGIN_MASK_KEY_FILE names the key when -k is absent' '
	LOGIN_MASK_KEY_FILE=key login-mask <"$SAMPLE" >env.out 2>/dev/null;
	test $? = 65 && login-mask -k key <"$SAMPLE" >k.out 2>/dev/null;
	test $? = 65 && test_cmp k.out env.out && test "$(wc -l <k.out)" = 30
'

test_expect_success 'masking takes one key; a ring is for --unmask' '
	lm_key key2 &&
	test_must_fail --code 64 login-mask -k key -k key2 </dev/null 2>err &&
	grep -q "several are for --unmask" err
'

test_expect_success 'masking options do not combine with --unmask or --key-id' '
	test_must_fail --code 64 login-mask --unmask -k key -r rej </dev/null &&
	test_must_fail --code 64 login-mask --unmask -k key --reversible </dev/null &&
	test_must_fail --code 64 login-mask --key-id -k key --null-app-version &&
	test_must_fail --code 64 login-mask --unmask --key-id -k key &&
	test ! -e rej
'

test_expect_success '-v is for masking too: --unmask and --key-id have no progress' '
	test_must_fail --code 64 login-mask --unmask -v -k key </dev/null 2>err &&
	grep -q "^login-mask: -r, -v, --check, --reversible and --null-app-version are for masking$" err &&
	test_must_fail --code 64 login-mask --key-id -v -k key >out &&
	test ! -s out
'

test_expect_success 'operands and unknown options are refused' '
	test_must_fail --code 64 login-mask -k key file </dev/null 2>err &&
	grep -q "too many arguments" err &&
	test_must_fail --code 64 login-mask -k key --bogus </dev/null
'

test_expect_success '--check checks the key and rejects file and reads nothing' '
	timeout 10 login-mask --check -k key -r rej </dev/zero &&
	test -f rej && test "$(stat -c %a rej)" = 600 &&
	chmod 644 rej &&
	test_must_fail --code 78 timeout 10 login-mask --check -k key -r rej \
	    </dev/zero 2>err &&
	grep -q "rej: group or others can access it" err &&
	test_must_fail --code 78 login-mask --check -k missing-key </dev/zero
'

test_expect_success 'a failed write to stdout is an I/O error, not success' '
	test_must_fail --code 74 login-mask -k key -r rej2 <"$SAMPLE" \
	    >/dev/full 2>err &&
	grep -q "stdout" err
'

test_expect_success 'a closed output pipe is an I/O error too' '
	"$TOOLS/gen-logins" -f message 20000 >many &&
	{ login-mask -k key <many 2>err; echo $? >st; } | head -n 1 >/dev/null &&
	test "$(cat st)" = 74 && grep -q "stdout: Broken pipe" err
'

test_expect_success 'closed standard descriptors are no trouble' '
	login-mask -k key <&- >out 2>err &&
	test ! -s out && grep -q "read 0, written 0, rejected 0" err
'
test_done
