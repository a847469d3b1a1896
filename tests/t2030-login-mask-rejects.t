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

# Every write(2) is held for a second before it runs, so were an ack
# written to stdout before its reject reached the file, the file would
# still lack the reject for a second after the ack could be read.
mkfifo fout
test_expect_success 'the reject is in the file when its ack_only record can be read' '
	sed -n 1,2p in >in2 &&
	{ ASAN_OPTIONS=detect_leaks=0 strace -f -o /dev/null -e trace=write \
	    -e inject=write:delay_enter=1000000 \
	    login-mask -k key -r rejp <in2 >fout 2>/dev/null & } &&
	exec 8<fout &&
	read -r -t 20 -u 8 row && read -r -t 20 -u 8 ack &&
	grep -c "\"message_id\":\"m-2\"" rejp >seen; st=$?
	case $ack in *\"m-2\"*ack_only*) ;; *) st=1 ;; esac
	cat <&8 >/dev/null; exec 8<&-; wait
	test "$st" = 0 && test "$(cat seen)" = 1
'

# LeakSanitizer cannot run under strace: a sanitized build checks leaks
# in the other tests.  Each reject is one write to the rejects file;
# every ack_only record written to stdout must have its reject written
# and then fsync'd before it, flush after flush.
test_expect_success 'and fsync(2)ed before it: the order of the system calls' '
	"$TOOLS/gen-logins" -f message -b 2 20000 >many-bad &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -s 1048576 \
	    -e trace=openat,write,fsync -o trace \
	    login-mask -k key -r rejs <many-bad >/dev/null 2>&1 &&
	test "$(wc -l <rejs)" = 10000 &&
	perl -ne "
		BEGIN { \$written = \$durable = \$acks = 0 }
		\$fd = \$1 if /openat\(.*\"rejs\".* = (\d+)/;
		next unless defined \$fd;
		\$written++ if /^(\d+ +)?write\(\$fd, .* = \d+\$/;
		if (/^(\d+ +)?fsync\(\$fd\) += 0/) {
			\$durable = \$written;
			\$syncs++;
		}
		if (/^(\d+ +)?write\(1, \"(.*)\", \d+\) = \d+\$/) {
			my \$n = () = \$2 =~ /ack_only/g;
			next unless \$n;
			\$acks += \$n;
			\$flushes++;
			die qq(ack \$acks written with \$durable rejects durable\n)
			    if \$acks > \$durable;
		}
		END {
			die qq(\$acks acks, \$durable rejects durable\n)
			    unless \$acks == 10000 && \$durable == 10000;
			die qq(only \$flushes flushes, \$syncs fsyncs\n)
			    unless \$flushes >= 3 && \$syncs >= 3;
		}
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

test_expect_success 'a rejects file that is a FIFO is refused at once, not waited on' '
	mkfifo rfifo &&
	test_must_fail --code 73 timeout 10 login-mask -k key -r rfifo \
	    <in >out 2>err &&
	test ! -s out && grep -q "^login-mask: rfifo: not a regular file$" err
'

# Opened for reading and writing, a FIFO has a reader at once.
test_expect_success 'and so is one with a reader on the other end' '
	exec 9<>rfifo &&
	test_must_fail --code 73 timeout 10 login-mask -k key -r rfifo \
	    <in >out 2>err; st=$?
	exec 9<&-
	test "$st" = 0 && grep -q "^login-mask: rfifo: not a regular file$" err
'

test_expect_success 'so is a device or a directory' '
	test_must_fail --code 73 login-mask -k key -r /dev/null <in 2>err &&
	grep -q "^login-mask: /dev/null: not a regular file$" err &&
	mkdir rdir && chmod 700 rdir &&
	test_must_fail --code 73 login-mask -k key -r rdir <in 2>err &&
	grep -q "^login-mask: rdir: not a regular file$" err
'

# A created file whose directory entry is lost in a crash loses its
# rejects, which were acked: the directory is fsync'd once, before any
# output.
test_expect_success 'a new rejects file has its directory fsync(2)ed, before any output' '
	mkdir newdir &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=openat,write,fsync \
	    -o trace3 login-mask -k key -r newdir/rej <in >/dev/null 2>&1 &&
	test -s newdir/rej &&
	perl -ne "
		BEGIN { \$synced = 0 }
		\$created = 1 if /openat\(.*\"newdir\/rej\".*O_CREAT.* = \d+/;
		if (/openat\(.*\"newdir\", O_RDONLY.*O_DIRECTORY.* = (\d+)/) {
			die qq(directory opened before the file was created\n)
			    unless \$created;
			\$dir = \$1;
		}
		\$synced++ if defined \$dir && /fsync\(\$dir\) += 0/;
		die qq(output before the directory was synced\n)
		    if /^(\d+ +)?write\(1, / && !\$synced;
		END { die qq(directory synced \$synced times\n) unless \$synced == 1 }
	" trace3
'

test_expect_success 'an existing one does not' '
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=openat,fsync \
	    -o trace4 login-mask -k key -r newdir/rej <in >/dev/null 2>&1 &&
	grep -q "newdir/rej" trace4 && ! grep -q "O_DIRECTORY" trace4
'

# As root every directory can be opened to sync it: this one runs as
# nobody, with a copy of everything it needs outside the test directory.
test_expect_success 'a new rejects file whose directory cannot be synced is refused, and removed' '
	d=$(mktemp -d /tmp/login-mask-wx.XXXXXX) && test_cleanup "rm -rf $d" &&
	chmod 711 "$d" && mkdir "$d/wx" &&
	cp "$(command -v login-mask)" key in "$d/" &&
	chown -R nobody "$d" && chmod 300 "$d/wx" &&
	for i in 1 2; do
		test_must_fail --code 73 setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups "$d/login-mask" -k "$d/key" -r "$d/wx/rej" \
		    <in >out 2>err &&
		cat err && test ! -s out &&
		grep -q "wx/rej: its directory cannot be synced: Permission denied" err &&
		chmod 700 "$d/wx" && test ! -e "$d/wx/rej" && chmod 300 "$d/wx" || return 1
	done
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

# A message held by sqs-read and never answered stays invisible on the
# queue, and keeps a --drain from ending: whatever else is bad in a
# message, a good receipt handle acks or releases it.
for i in 1 2 3 4 5; do lm_body; done | lm_message id >idgood
perl -pe '
	s/"sent_timestamp":\d+/"sent_timestamp":-5/ if $. == 1;
	s/"sent_timestamp":(\d+)/"sent_timestamp":"$1"/ if $. == 2;
	s/"message_id":"id-3",// if $. == 3;
	s/"message_id":"id-4"/"message_id":7/ if $. == 4;
	s/"receipt_handle":"rh-id-5"/"receipt_handle":""/ if $. == 5;
' idgood >idbad

test_expect_success 'a bad identity with a good receipt handle is rejected, and acked' '
	test "$(wc -l <idbad)" = 5 &&
	login-mask -k key -r rejid <idbad >out 2>err &&
	test "$(lm_field reason rejid | tr "\n" ,)" = "sent_timestamp: out of range,sent_timestamp: not an integer,message_id: missing,message_id: not a string,receipt_handle: empty," &&
	cat >want <<-\EOF &&
	{"message_id":"id-1","receipt_handle":"rh-id-1","ack_only":true}
	{"message_id":"id-2","receipt_handle":"rh-id-2","ack_only":true}
	{"receipt_handle":"rh-id-3","sent_timestamp":1696287680117,"ack_only":true}
	{"receipt_handle":"rh-id-4","sent_timestamp":1696287680118,"ack_only":true}
	EOF
	test_cmp want out
'

test_expect_success 'its reject keeps the whole record, to replay' '
	sed -n 1p idbad >want.rec &&
	perl -MJSON::PP -ne "print decode_json(\$_)->{record}, qq(\n) if \$. == 1" \
	    rejid >got.rec &&
	test_cmp want.rec got.rec
'

test_expect_success 'a record with its body twice is acked, and its reject keeps all of it' '
	cat >twobodies <<-\EOF &&
	{"message_id":"m2b","receipt_handle":"rh-2b","sent_timestamp":1,"body":"{}","body":"{\"ip\":\"10.0.0.1\"}"}
	EOF
	login-mask -k key -r rej2b <twobodies >out 2>err &&
	test "$(cat out)" = "{\"message_id\":\"m2b\",\"receipt_handle\":\"rh-2b\",\"sent_timestamp\":1,\"ack_only\":true}" &&
	test "$(lm_field reason rej2b)" = "body: duplicate key" &&
	perl -MJSON::PP -ne "print decode_json(\$_)->{record}, qq(\n)" rej2b >got.rec &&
	test_cmp twobodies got.rec
'

test_expect_success 'without -r it is released, and named by its message id if good' '
	test_must_fail --code 65 login-mask -k key <idbad >out 2>err &&
	cat >want <<-\EOF &&
	{"message_id":"id-1","receipt_handle":"rh-id-1","release":true}
	{"message_id":"id-2","receipt_handle":"rh-id-2","release":true}
	{"receipt_handle":"rh-id-3","release":true}
	{"receipt_handle":"rh-id-4","release":true}
	EOF
	test_cmp want out &&
	grep -q "^login-mask: message id-1: sent_timestamp: out of range$" err &&
	grep -q "^login-mask: line 3: message_id: missing$" err &&
	grep -q "^login-mask: line 4: message_id: not a string$" err &&
	grep -q "^login-mask: message id-5: receipt_handle: empty$" err &&
	grep -q "1 rejected line kept nowhere" err
'

test_expect_success 'a null sent_timestamp is no sent_timestamp: a row dated today' '
	sed -n "1s/\"sent_timestamp\":[0-9]*/\"sent_timestamp\":null/p" idgood >nullts &&
	login-mask -k key -r rejn <nullts >out 2>err && test ! -s rejn &&
	test "$(lm_field message_id out)" = id-1 && ! grep -q sent_timestamp out &&
	test "$(lm_field create_date out)" = "$(date -u +%F)"
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
