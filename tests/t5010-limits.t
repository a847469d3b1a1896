#!/bin/bash
# The limits each manual states, enforced as they say: a line just at a
# limit is taken, one just past it is refused with an error that names
# its line or message, and the program goes on with the next.
#   login-mask  lines of 8 MiB; 512 JSON tokens per record and per body
#   pg-load     lines of 8 MiB; 8192 JSON tokens per line
#   sqs-read    responses of 64 MiB; ack lines of 8 MiB and 1024 tokens;
#               bodies of 1 MiB
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"
. "$TOP/tests/lib/login-mask.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg sqs
lm_key key || exit 1
MiB=1048576

# pad_len LENGTH: each JSON object on stdin, with a "pad" string key
# added so that the line is LENGTH bytes long (newline excluded).
pad_len() {
	perl -ne '
		chomp;
		my $add = $ENV{LEN} - length($_) - length(q(,"pad":""));
		die "line too long already\n" if $add < 0;
		s/\}$/,"pad":"${\("x" x $add)}"}/;
		print "$_\n";'
}

# pad_tok TOKENS: each flat JSON object on stdin, with a "pad" key whose
# value is arrays nested so deep that the line has TOKENS JSON tokens
# (the object, each key, each value, each array).
pad_tok() {
	perl -MJSON::PP -ne '
		chomp; my $k = keys %{decode_json($_)};
		my $d = $ENV{TOK} - (1 + 2 * $k) - 1;
		die "too many tokens already\n" if $d < 1;
		my $a = ("[" x $d) . ("]" x $d);
		s/\}$/,"pad":$a}/;
		print "$_\n";'
}

# --- login-mask ------------------------------------------------------------

lm_body | lm_message m >one || exit 1
body=$(lm_body) || exit 1

test_expect_success 'login-mask: a line of 8 MiB is read, one byte more is a reject, the next is read' '
	{ LEN=$((8 * MiB)) pad_len <one &&
	  sed "s/m-1/m-2/" one | LEN=$((8 * MiB + 1)) pad_len &&
	  sed "s/m-1/m-3/" one; } >in &&
	test "$(sed -n 1p in | wc -c)" = $((8 * MiB + 1)) &&
	test "$(sed -n 2p in | wc -c)" = $((8 * MiB + 2)) &&
	login-mask -k key -r rej <in >out 2>err &&
	test "$(wc -l <out)" = 2 &&
	sed -n 1p out | grep -q "\"message_id\":\"m-1\",.*\"masked_ip\"" &&
	sed -n 2p out | grep -q "\"message_id\":\"m-3\",.*\"masked_ip\"" &&
	test "$(wc -l <rej)" = 1 &&
	grep -q "\"length\":8388609,\"line\":2,\"reason\":\"line: too long\"" rej &&
	grep -q "^login-mask: rejected 1: line: too long$" err
'

test_expect_success 'and without a rejects file it is named on stderr by its line' '
	test_must_fail --code 65 login-mask -k key <in >out 2>err &&
	test "$(grep -c masked_ip out)" = 2 &&
	grep -q "^login-mask: line 2: line: too long$" err
'

test_expect_success 'login-mask: a body of 512 JSON tokens, nested deep, is read; 513 is a reject' '
	{ echo "$body" | TOK=512 pad_tok && echo "$body" | TOK=513 pad_tok &&
	  echo "$body"; } | lm_message b >in &&
	grep -q "\[\[\[\[" in &&
	login-mask -k key <in >out 2>err &&
	sed -n 1p out | grep -q "\"message_id\":\"b-1\",.*\"masked_ip\"" &&
	sed -n 2p out | grep -q "\"message_id\":\"b-2\",.*\"release\":true" &&
	sed -n 3p out | grep -q "\"message_id\":\"b-3\",.*\"masked_ip\"" &&
	grep -q "^login-mask: message b-2: body: too many JSON tokens$" err
'

test_expect_success 'and so is a message record of 512 tokens, and of 513' '
	{ TOK=512 pad_tok <one && TOK=513 pad_tok <one && cat one; } >in &&
	login-mask -k key -r rej2 <in >out 2>err &&
	test "$(grep -c masked_ip out)" = 2 &&
	grep -q "\"line\":2,\"reason\":\"line: too many JSON tokens\"" rej2 &&
	grep -q "^login-mask: rejected 1: line: too many JSON tokens$" err
'

test_expect_success 'login-mask --unmask: a line past 8 MiB is named, the next unmasked' '
	lm_body | login-mask --reversible -k key | lm_field masked_ip >mask &&
	{ head -c $((8 * MiB + 1)) /dev/zero | tr "\0" " " && echo && cat mask; } >in &&
	test_must_fail --code 65 login-mask --unmask -k key <in >out 2>err &&
	grep -q "^login-mask: line 1: too long$" err &&
	test "$(cat out)" = 199.172.111.135
'

# --- pg-load ---------------------------------------------------------------

pgl_user_logins || exit 1
pgl_rows 3 >rows || exit 1

test_expect_success 'pg-load: a line of 8 MiB is loaded, one byte more refused, the next loaded' '
	{ sed -n 1p rows | LEN=$((8 * MiB)) pad_len &&
	  sed -n 2p rows | LEN=$((8 * MiB + 1)) pad_len && sed -n 3p rows; } >in &&
	pg-load -t user_logins -r rej.pg <in >acks 2>err &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 2 &&
	pgl_field acks status >st && printf "loaded\nloaded\n" >want && test_cmp want st &&
	test "$(wc -l <rej.pg)" = 1 &&
	grep -q "^pg-load: line 2: a line of 8388609 bytes, longer than 8388608" err
'

test_expect_success 'pg-load: a line of 8192 JSON tokens, nested deep, is loaded; 8193 refused' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	pgl_rows 3 2 >rows2 &&
	{ sed -n 1p rows2 | TOK=8192 pad_tok && sed -n 2p rows2 | TOK=8193 pad_tok &&
	  sed -n 3p rows2; } >in &&
	pg-load -t user_logins -r rej.tok <in >acks 2>err &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = 2 &&
	pgl_field acks status >st && printf "loaded\nloaded\n" >want &&
	test_cmp want st &&
	grep -q "^pg-load: line 2: .*too many JSON tokens" err &&
	test "$(wc -l <rej.tok)" = 1 && grep -q "too many JSON tokens" rej.tok
'

# --- sqs-read --------------------------------------------------------------

secrets='"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}'
"$TOOLS/gen-logins" 50 >sent || exit 1
LC_ALL=C sort sent >sent.sorted

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "times": 3, "reply": {"padTo": 67108864}}]}'
test_expect_success 'sqs-read: responses of 64 MiB are read' '
	url=$(sqs_create at64) && sqs_send "$url" sent >/dev/null &&
	sqs-read -e "$FAKE" -c 1 --drain --wait 1 --delete-after-write at64 >out 2>err &&
	bodies out >got && test_cmp sent.sorted got &&
	test "$(fake_count rule padTo)" = 3 &&
	! grep -q "larger than" err
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "times": 2, "reply": {"padTo": 67108865}}]}'
test_expect_success 'one byte more is named and retried; its messages come back' '
	url=$(sqs_create past64) && sqs_send "$url" sent >/dev/null &&
	sqs-read -e "$FAKE" -c 1 --drain --wait 1 --visibility 1 --delete-after-write \
	    past64 >out 2>err &&
	bodies out >got && test_cmp sent.sorted got &&
	test "$(fake_count rule padTo)" = 2 &&
	test "$(grep -c "^sqs-read: ReceiveMessage: response larger than 64 MiB: not read, retried" err)" = 2 &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'sqs-read: a body of 1 MiB, as SQS allows, is written whole' '
	url=$(sqs_create big) &&
	perl -MJSON::PP -e "print encode_json({ QueueUrl => \$ARGV[0],
	    MessageBody => (q(\") x ($MiB - 1)) . q(!) })" "$url" >send.json &&
	sqs_call SendMessage "@send.json" >/dev/null &&
	sqs-read --drain --wait 1 --delete-after-write big >out 2>err &&
	perl -MJSON::PP -ne "print length(decode_json(\$_)->{body}), qq(\n)" out >len &&
	test "$(cat len)" = $MiB
'

# ack_limits: the ring's other end for sqs-read: acks each record, and
# for the first three sends first an ack line just past a limit (which
# must be ignored), then, for the second, one just at it in place of its
# plain ack.
ack_limits() {
	perl -MJSON::PP -e '
		$| = 1; my $n = 0; my $MiB = 1048576;
		while (<STDIN>) {
			my $r = decode_json($_);
			my $ack = encode_json({ message_id => $r->{message_id},
			    receipt_handle => $r->{receipt_handle}, status => "loaded" });
			$n++;
			if ($n == 1) {
				(my $l = $ack) =~ s/\}$/,"pad":""}/;
				$l =~ s/""\}$/"${\("x" x (8 * $MiB + 1 - length($l)))}"}/;
				print "$l\n";
			} elsif ($n == 2) {
				(my $l = $ack) =~ s/\}$/,"pad":""}/;
				$l =~ s/""\}$/"${\("x" x (8 * $MiB - length($l)))}"}/;
				print "$l\n";
				next;
			} elsif ($n == 3) {
				my $d = 1025 - 8;
				(my $l = $ack) =~ s/\}$/,"pad":${\("[" x $d)}${\("]" x $d)}}/;
				print "$l\n";
			} elsif ($n == 4) {
				my $d = 1024 - 8;
				(my $l = $ack) =~ s/\}$/,"pad":${\("[" x $d)}${\("]" x $d)}}/;
				print "$l\n";
				next;
			}
			print "$ack\n";
		}'
}

test_expect_success 'sqs-read: ack lines of 8 MiB and 1024 tokens are read; past them, ignored by line' '
	url=$(sqs_create acks) && sqs_send "$url" sent >/dev/null &&
	rm -f acks recs && mkfifo acks recs || return 1
	sqs-read -v -c 1 --drain --wait 1 --visibility 30 acks <acks >recs 2>err &
	pid=$!
	ack_limits >acks <recs &&
	{ wait $pid; test $? = 0; } &&
	test "$(sqs_count "$url")" = "0 0" &&
	grep -q "^sqs-read: ack line 1: longer than 8388608 bytes: ignored$" err &&
	grep -q "^sqs-read: ack line 4: too many JSON tokens: ignored$" err &&
	test "$(grep -c "ignored" err)" = 2 &&
	grep -q "bad acks 2$" err
'

test_done
