#!/bin/bash
# Rejects: with -r, in a private file, durable before the ack_only record
# that lets the message be deleted; without -r, released to the queue.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/login-mask.sh"

lm_key key
{ lm_body user_id='"ok-1"' && lm_body ip='"300.1.2.3"' &&
  lm_body user_id='"ok-2"' && lm_body app_version='"x"'; } | lm_message m >in

test_expect_success 'a rejected message goes to the rejects file, created 0600' '
	umask 022 && login-mask -k key -r rej <in >out 2>err &&
	test "$(stat -c %a rej)" = 600 && test "$(wc -l <rej)" = 2 &&
	test "$(lm_field reason rej | tr "\n" ,)" = "ip: invalid,app_version: invalid,"
'

test_expect_success 'as its record: message id, receipt handle, timestamp, body as read' '
	sed -n 2p in >want.rec &&
	perl -MJSON::PP -e "
		my (\$a, \$b) = map { open my \$f, q(<), \$_ or die; decode_json(<\$f>) } @ARGV;
		for my \$k (qw(message_id receipt_handle sent_timestamp body)) {
			die qq(\$k\n) unless \$a->{\$k} eq \$b->{\$k};
		}
		die qq(stage\n) unless \$b->{stage} eq q(login-mask) && \$b->{line} == 2;
	" want.rec rej
'

test_expect_success 'and an ack_only record passes downstream in its place, in order' '
	perl -ne "print /\"ack_only\":true/ ? qq(ack \$1\n) : qq(row\n) if 1;" out |
	    sed "s/ .*//" | tr "\n" " " >order &&
	test "$(cat order)" = "row ack row ack " &&
	sed -n 2p out >ack &&
	echo "{\"message_id\":\"m-2\",\"receipt_handle\":\"rh-m-2\",\"sent_timestamp\":1696287680116,\"ack_only\":true}" >want &&
	test_cmp want ack
'

test_expect_success 'the summary counts rejects by reason' '
	grep -q "read 4, written 2, rejected 2$" err &&
	grep -q "rejected 1: ip: invalid$" err &&
	grep -q "rejected 1: app_version: invalid$" err
'

mkfifo fin fout
test_expect_success 'the reject is in the file before its ack_only record is written' '
	login-mask -k key -r rejp <fin >fout 2>/dev/null &
	exec 7>fin 8<fout &&
	sed -n 1,2p in >&7 &&
	read -r -t 20 -u 8 row && read -r -t 20 -u 8 ack &&
	case $ack in *ack_only*) ;; *) false ;; esac &&
	grep -q "\"message_id\":\"m-2\"" rejp &&
	exec 7>&- && cat <&8 >/dev/null && exec 8<&- && wait
'

# LeakSanitizer cannot run under strace: a sanitized build checks leaks
# in the other tests.
test_expect_success 'and fsync(2)ed before it: the order of the system calls' '
	ASAN_OPTIONS=detect_leaks=0 strace -f -s 65536 \
	    -e trace=openat,write,fsync -o trace \
	    login-mask -k key -r rejs \
	    <in >/dev/null 2>&1 &&
	perl -ne "
		\$fd = \$1 if /openat\(.*\"rejs\".* = (\d+)/;
		\$synced = 1 if defined \$fd && /fsync\(\$fd\) += 0/;
		\$wrote = 1 if defined \$fd && /^(\d+ +)?write\(\$fd, /;
		if (/^(\d+ +)?write\(1, .*ack_only/) {
			die qq(ack before the reject was written\n) unless \$wrote;
			die qq(ack before fsync\n) unless \$synced;
			\$acks++;
		}
		END { die qq(no ack seen\n) unless \$acks }
	" trace
'

test_expect_success 'fsync is batched, not one per reject' '
	"$TOOLS/gen-logins" -f message -b 2 2000 >half-bad &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=fsync -o trace2 \
	    login-mask -k key -r rejb \
	    <half-bad >/dev/null 2>&1 &&
	test "$(wc -l <rejb)" = 1000 &&
	n=$(grep -c "fsync(" trace2) && test "$n" -ge 1 && test "$n" -le 20
'

test_expect_success 'an existing rejects file is appended to' '
	login-mask -k key -r rej <in >/dev/null 2>&1 && test "$(wc -l <rej)" = 4
'

test_expect_success 'a rejects file others can read is refused' '
	cp rej open && chmod 644 open &&
	test_must_fail --code 78 login-mask -k key -r open <in >out2 2>err &&
	test ! -s out2 && grep -q "open: group or others can access it" err
'

test_expect_success 'a rejects file that is a symbolic link is refused' '
	ln -s rej rlink &&
	test_must_fail --code 73 login-mask -k key -r rlink <in >/dev/null 2>err &&
	grep -q "rlink" err
'

test_expect_success 'a rejects file in a missing directory is refused' '
	test_must_fail --code 73 login-mask -k key -r nodir/rej <in >/dev/null 2>err
'

test_expect_success 'without -r a rejected message is released to the queue' '
	login-mask -k key <in >out 2>err &&
	sed -n 2p out >rel &&
	echo "{\"message_id\":\"m-2\",\"receipt_handle\":\"rh-m-2\",\"release\":true}" >want &&
	test_cmp want rel && test "$(wc -l <out)" = 4
'

test_expect_success 'and reported on stderr by message id and reason' '
	grep -q "^login-mask: message m-2: ip: invalid$" err &&
	grep -q "^login-mask: message m-4: app_version: invalid$" err
'

test_expect_success 'without -r a rejected bare body is reported by line, exit 65' '
	{ lm_body && lm_body locale=7 && lm_body; } >bare &&
	test_must_fail --code 65 login-mask -k key <bare >out 2>err &&
	test "$(wc -l <out)" = 2 &&
	grep -q "^login-mask: line 2: locale: not a string$" err &&
	grep -q "kept nowhere" err
'

test_expect_success 'with -r a rejected bare body goes to the file only' '
	login-mask -k key -r rejbare <bare >out 2>err &&
	test "$(wc -l <out)" = 2 && ! grep -q ack_only out &&
	test "$(lm_field reason rejbare)" = "locale: not a string" &&
	grep -q "\"body\":\"{\\\\\"user_id\\\\\": " rejbare
'

test_expect_success 'a line that is not UTF-8 is kept whole, in base64' '
	printf "{\"user_id\": \"\\377\"}\n" >notutf8 &&
	login-mask -k key -r rej8 <notutf8 >/dev/null 2>&1 &&
	perl -MJSON::PP -MMIME::Base64 -ne "print decode_base64(decode_json(\$_)->{body_base64})" \
	    rej8 >back && printf "{\"user_id\": \"\\377\"}" >want && cmp want back
'

test_expect_success 'replaying the rejects after a fix gives the rows, identity kept' '
	{ lm_body app_version="\"1.1000.0\"" && lm_body; } | lm_message r >range &&
	login-mask -k key -r rejr <range >out1 2>/dev/null &&
	test "$(wc -l <rejr)" = 1 &&
	login-mask -k key --null-app-version -r rejr2 <rejr >out2 2>/dev/null &&
	test ! -s rejr2 && test "$(wc -l <out2)" = 1 &&
	test "$(lm_field message_id out2)" = r-1 &&
	test "$(lm_field create_date out2)" = 2023-10-02 &&
	test "$(lm_field app_version out2)" = null
'
test_done
