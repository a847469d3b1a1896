#!/bin/bash
# login-mask's key file: raw or hex, private, refused clearly when not;
# its key id is in every mask, so a rotation shows in the data.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key
lm_body >one.ndjson

masks() {
	login-mask "$@" <one.ndjson 2>/dev/null | perl -ne '/"masked_ip":"([^"]*)","masked_device_id":"([^"]*)"/ and print "$1 $2\n"'
}

test_expect_success 'a hex key and the same key raw give the same masks' '
	perl -ne "chomp; print pack(q(H*), \$_)" key >raw && chmod 600 raw &&
	test "$(wc -c <raw)" = 32 &&
	masks -k key >hex.masks && masks -k raw >raw.masks &&
	test -s hex.masks && test_cmp hex.masks raw.masks
'

test_expect_success 'another key gives other masks, equal inputs equal masks' '
	lm_key other &&
	masks -k other >other.masks &&
	test -s other.masks && ! cmp -s hex.masks other.masks &&
	masks -k key >again.masks && test_cmp hex.masks again.masks
'

test_expect_success '--key-id prints the id that every mask carries' '
	login-mask --key-id -k key -k other >ids &&
	id=$(sed -n "1s/ key\$//p" ids) && test ${#id} = 8 &&
	grep -q " other\$" ids &&
	test "$(cut -d. -f3 hex.masks | sort -u)" = "$id"
'

# As editors and other systems leave a hex key: CR LF, a blank line,
# blanks before it.
test_expect_success 'hex with white space around it is the same key, with the same id' '
	printf "%s\r\n" "$(cat key)" >crlf && printf "%s\n\n" "$(cat key)" >twonl &&
	printf " %s\n" "$(cat key)" >lead && printf "\t%s \t\n" "$(cat key)" >tabs &&
	chmod 600 crlf twonl lead tabs &&
	login-mask --key-id -k raw -k crlf >/dev/null 2>err;
	test $? = 78 && grep -q "have the same key id $id" err &&
	for k in crlf twonl lead tabs; do
		test "$(login-mask --key-id -k $k | cut -d" " -f1)" = "$id" &&
		masks -k $k >ws.masks && test_cmp hex.masks ws.masks || return 1
	done
'

test_expect_success 'white space inside the digits makes a raw key: another id' '
	perl -e "chomp(my \$k = <STDIN>); print substr(\$k, 0, 32), q( ), substr(\$k, 32), qq(\n)" \
	    <key >inner && chmod 600 inner &&
	inner_id=$(login-mask --key-id -k inner | cut -d" " -f1) &&
	test ${#inner_id} = 8 && test "$inner_id" != "$id"
'

refused() {
	test_must_fail --code 78 login-mask -k "$1" <one.ndjson >out 2>err &&
	test ! -s out && grep -q "key file $1: $2" err
}

test_expect_success 'a missing key file is refused, by name' '
	refused nokey "No such file"
'

test_expect_success 'a short key is refused' '
	openssl rand -hex 31 >short && chmod 600 short &&
	refused short "31 bytes of key: too short, at least 32"
'

test_expect_success 'a key the group can read is refused' '
	cp key grp && chmod 640 grp && refused grp "mode 0640 gives group"
'

test_expect_success 'a key others can read is refused' '
	cp key wld && chmod 604 wld && refused wld "mode 0604 gives group or others"
'

test_expect_success 'a directory is refused' '
	mkdir kdir && chmod 700 kdir && refused kdir "is a directory"
'

test_expect_success 'a symbolic link is not followed' '
	ln -s key klink && refused klink "a symbolic link"
'

test_expect_success 'an odd number of hex digits is refused' '
	head -c 63 key >odd && chmod 600 odd && refused odd "odd number of hex"
'

test_expect_success 'two files of one key in a ring are refused' '
	cp -p raw raw2 &&
	test_must_fail --code 78 login-mask --unmask -k key -k raw2 </dev/null 2>err &&
	grep -q "have the same key id" err
'

test_expect_success 'a rotation shows: rows before and after carry different key ids' '
	login-mask -k key <"$SAMPLE" >before 2>/dev/null;
	login-mask -k other <"$SAMPLE" >after 2>/dev/null;
	lm_field masked_ip before | cut -d. -f3 | sort -u >ids.before &&
	lm_field masked_ip after | cut -d. -f3 | sort -u >ids.after &&
	test "$(cat ids.before)" = "$id" &&
	test "$(wc -l <ids.after)" = 1 && ! test_cmp ids.before ids.after
'
test_done
