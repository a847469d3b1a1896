#!/bin/bash
# No ip or device_id reaches a diagnostic: not from sqs-read, pg-load or
# the ring (login-mask alone is t2040), not in progress lines or
# summaries, not on any error path that can be provoked: malformed
# bodies, values too long, bad ips, rows the database refuses (with a
# rejects file and without), SQS faults, bad acks, a wrong key for
# --unmask.  Neither raw, nor as the unkeyed SHA-256 or MD5 of the value
# or of its canonical form.  Only the rejects file, which is private,
# holds them.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"
. "$TOP/tests/lib/login-mask.sh"
. "$TOP/tests/lib/pg-load.sh"

test_services pg sqs
lm_key key || exit 1
lm_key key2 || exit 1

# Login bodies whose ips (IPv4, IPv6 in several spellings, IPv4-mapped)
# and device ids are known, one per line:
#   good     valid logins
#   refuse   valid logins the ring's table refuses (locale ZZ)
#   bad      rejects: malformed JSON, values too long, bad ips
# and pii.values, every ip and device_id they hold, as strings.
perl -MJSON::PP -e '
	srand(5000);
	my $j = JSON::PP->new->canonical;
	my (@vals, %out);
	my $o = sub { sprintf "%d", 100 + int rand 155 };
	my $v4 = sub { join ".", map { $o->() } 1 .. 4 };
	my $h = sub { sprintf "%x", 0x1000 + int rand 0xefff };
	my $v6 = sub { join ":", "2001", "db8", map { $h->() } 1 .. 6 };
	my $dev = sub { sprintf "%03d-%02d-%04d", 100 + int rand 900,
	    10 + int rand 90, 1000 + int rand 9000 };
	my $uuid = sub { join "-", map { join "", map { sprintf "%x",
	    int rand 16 } 1 .. $_ } 8, 4, 4, 4, 12 };
	my $n = 0;
	my $login = sub {
		my ($ip, $devid, $locale) = @_;
		push @vals, $ip, $devid;
		$n++;
		return $j->encode({ user_id => "pii-$n", app_version => "2.3.0",
		    device_type => "android", ip => $ip, locale => $locale,
		    device_id => $devid });
	};
	my @ips = ((map { $v4->() } 1 .. 30), (map { $v6->() } 1 .. 10),
	    (map { uc $v6->() } 1 .. 5),
	    (map { join ":", "2001:0DB8:0000:0000:0000", map { $h->() } 1 .. 3 } 1 .. 5),
	    (map { "::ffff:" . $v4->() } 1 .. 5));
	for my $ip (@ips) {
		push @{$out{good}}, $login->($ip, $n % 2 ? $dev->() : $uuid->(), "RU");
	}
	push @{$out{refuse}}, $login->($v4->(), $dev->(), "ZZ") for 1 .. 5;
	push @{$out{refuse}}, $login->($v6->(), $uuid->(), "ZZ") for 1 .. 5;
	my @bad;
	for my $ip ("3" . $o->() . "." . $o->() . "." . $o->() . "." . $o->(),
	    $v4->() . "x", $v4->() . "/24", " " . $v4->(), $v4->() . ".1",
	    $v6->() . ":" . $h->() . ":" . $h->(), "fe80::" . $h->() . "%eth0",
	    "2001:db8::" . $h->() . "::1", "ip " . $v6->()) {
		push @bad, $login->($ip, $dev->(), "RU");
	}
	# Values too long: the device id itself, and other fields beside PII.
	push @bad, $login->($v4->(), "D" . ("7" x 170) . $dev->(), "RU");
	push @bad, $login->($v6->(), $dev->(), "L" x 40);
	my $long = $login->($v4->(), $uuid->(), "RU");
	my $u = "u" x 200;
	$long =~ s/"user_id":"[^"]*"/"user_id":"$u"/;
	push @bad, $long;
	# Malformed JSON around good values.
	my $t = $login->($v4->(), $dev->(), "RU"); chop $t; push @bad, $t;
	$t = $login->($v6->(), $uuid->(), "RU"); $t =~ s/,/ /; push @bad, $t;
	$t = $login->($v4->(), $dev->(), "RU"); push @bad, "[$t]";
	$t = $login->($v4->(), $dev->(), "RU"); $t =~ s/"app_version":"2.3.0"/"app_version":"99999.1.2"/; push @bad, $t;
	my ($i1, $d1) = ($v4->(), $dev->()); push @vals, $i1, $d1;
	push @bad, qq({"user_id": "pii-dupkey", "ip": "$i1", "ip": "$i1", "device_id": "$d1", "locale": "RU", "device_type": "ios", "app_version": "1"});
	($i1, $d1) = ($v4->(), $dev->()); push @vals, $i1, $d1;
	(my $num = $i1) =~ tr/.//d;
	push @bad, qq({"user_id": "pii-num", "ip": $num, "device_id": "$d1", "locale": "RU", "device_type": "ios", "app_version": "1"});
	($i1, $d1) = ($v4->(), $dev->()); push @vals, $i1, $d1;
	push @bad, qq(ip=$i1 device_id=$d1);
	($i1, $d1) = ($v6->(), $uuid->()); push @vals, $i1, $d1;
	push @bad, qq({"user_id": "pii-esc", "ip": "$i1\\x", "device_id": "$d1", "locale": "RU", "device_type": "ios", "app_version": "1"});
	$out{bad} = \@bad;
	for my $f (keys %out) {
		open my $fh, ">", $f or die "$f: $!";
		print $fh "$_\n" for @{$out{$f}};
	}
	open my $fh, ">", "pii.values" or die;
	print $fh "$_\n" for @vals;
' || exit 1
cat good refuse bad >all || exit 1
# Bulk for the ring, long enough for progress lines, some malformed.
"$TOOLS/gen-logins" -b 7 -i 1000 -d 1000 3000 >bulk || exit 1
perl -MJSON::PP -ne 'my $b = eval { decode_json($_) }; ref $b eq "HASH" or next;
	print "$b->{$_}\n" for grep { defined $b->{$_} && !ref $b->{$_} } qw(ip device_id)' \
	bulk >>pii.values || exit 1

# The patterns a diagnostic must not hold: each value, its canonical form
# if it is an ip, and the unkeyed SHA-256 and MD5 (hex) of both.
perl -MDigest::SHA=sha256_hex -MDigest::MD5=md5_hex -MSocket=inet_pton,inet_ntop,AF_INET,AF_INET6 -ne '
	chomp;
	my %f = ($_ => 1);
	(my $t = $_) =~ s/^\s+|\s+$//g;
	$f{$t} = 1;
	for my $af (AF_INET, AF_INET6) {
		my $a = inet_pton($af, $t) or next;
		my $c = inet_ntop($af, $a);
		$c =~ s/^::ffff:(\d+\.\d+\.\d+\.\d+)$/$1/;
		$f{$c} = 1;
	}
	for my $v (keys %f) {
		print "$v\n", sha256_hex($v), "\n", md5_hex($v), "\n";
	}
' pii.values | sort -u >pii.patterns || exit 1

# clean FILE...: fails, naming each, if any file holds a pattern, in any
# case; and if a file is missing (a run that wrote nothing checks nothing).
clean() {
	local f st=0
	for f in "$@"; do
		test -e "$f" || { echo "clean: $f missing" >&2; st=1; continue; }
		if grep -n -i -F -f pii.patterns "$f" >&2; then
			echo "clean: $f holds personal data" >&2
			st=1
		fi
	done
	return $st
}

test_expect_success 'the inputs hold the values, and the check finds them' '
	test "$(wc -l <good)" = 55 && test "$(wc -l <bad)" = 20 &&
	test "$(grep -c ::ffff: pii.values)" = 5 &&
	test "$(grep -c "^[0-9A-Fa-f]*:" pii.values)" -ge 20 &&
	test "$(wc -l <pii.patterns)" -ge 500 &&
	! clean all 2>/dev/null &&
	sha=$(printf %s "$(sed -n 1p pii.values)" | sha256sum | cut -c 1-64) &&
	echo "checksum $sha" | tr a-f A-F >hashed && ! clean hashed 2>/dev/null &&
	six=$(sed -n "/^2001:0DB8:0000:/{p;q}" pii.values) &&
	canon=$(perl -MSocket=inet_pton,inet_ntop,AF_INET6 -e \
	    "print inet_ntop(AF_INET6, inet_pton(AF_INET6, shift))" "$six") &&
	test "$canon" != "$six" &&
	printf %s "$canon" | md5sum | cut -c 1-32 >hashed && ! clean hashed 2>/dev/null
'

# --- sqs-read ------------------------------------------------------------

secrets='"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}'
faults='
	{"action": "ReceiveMessage", "times": 2, "reply": {"status": 500, "body": "{\"__type\":\"com.amazonaws.sqs#InternalError\"}"}},
	{"action": "ReceiveMessage", "times": 1, "reply": {"status": 400, "headers": {"x-amzn-query-error": "AWS.SimpleQueueService.RequestThrottled;Sender"}, "body": "{\"__type\":\"com.amazonaws.sqs#RequestThrottled\",\"message\":\"Rate exceeded\"}"}},
	{"action": "ReceiveMessage", "times": 1, "reply": {"garbage": true}},
	{"action": "DeleteMessageBatch", "times": 1, "reply": {"status": 503, "body": "Service Unavailable"}},
	{"action": "DeleteMessageBatch", "times": 2, "reply": {"failEntries": [0, 2], "senderFault": false, "code": "InternalError"}},
	{"action": "DeleteMessageBatch", "times": 1, "reply": {"failEntries": [1], "senderFault": true, "code": "ReceiptHandleIsInvalid"}},
	{"action": "ChangeMessageVisibilityBatch", "times": 1, "reply": {"failEntries": [0], "senderFault": false, "code": "InternalError"}}'
fake_sqs '{'"$secrets"', "rules": ['"$faults"']}'
faulty=$FAKE faulty_log=$FAKE_LOG

test_expect_success 'sqs-read -v dumping a queue of them' '
	url=$(sqs_create pii-dump) && sqs_send "$url" all >/dev/null &&
	sqs-read -v --drain --wait 1 pii-dump >dump 2>err.dump &&
	test "$(wc -l <dump)" = 85 && ! clean dump 2>/dev/null &&
	grep -q "^sqs-read: " err.dump &&
	clean err.dump
'

test_expect_success 'sqs-read -v deleting through SQS faults, retried and refused' '
	url=$(sqs_create pii-faults) && sqs_send "$url" all >/dev/null &&
	sqs-read -v -c 1 -e "$faulty" --drain --wait 1 --visibility 2 \
	    --delete-after-write pii-faults >out 2>err.faults &&
	test "$(ids out | uniq | wc -l)" = 85 &&
	grep -q "delete refused (ReceiptHandleIsInvalid)" err.faults &&
	FAKE_LOG=$faulty_log && test "$(fake_count rule status)" = 4 &&
	clean err.faults
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "reply": {"status": 400, "body": "{\"__type\":\"com.amazonaws.sqs#AccessDenied\",\"message\":\"scripted\"}"}}]}'
test_expect_success 'sqs-read -v refused by the service' '
	test_must_fail --code 77 sqs-read -v -e "$FAKE" --wait 1 pii-dump \
	    </dev/null >out 2>err.denied &&
	grep -q "access denied" err.denied && clean err.denied
'

test_expect_success 'sqs-read -v in a ring fed bad acks that quote personal data' '
	url=$(sqs_create pii-acks) && sqs_send "$url" all >/dev/null &&
	i=$(sed -n 1p pii.values) && d=$(sed -n 2p pii.values) &&
	rm -f acks recs && mkfifo acks recs || return 1
	sqs-read -v --drain --wait 1 --visibility 5 pii-acks <acks >recs 2>err.acks &
	pid=$!
	perl -MJSON::PP -e "
		\$| = 1; my (\$i, \$d, \$n) = @ARGV;
		while (<STDIN>) {
			my \$r = decode_json(\$_);
			print qq(not JSON, ip \$i device \$d\n) if \$n == 0;
			print qq({\"receipt_handle\": 7, \"ip\": \"\$i\"}\n) if \$n == 1;
			print qq({\"receipt_handle\": \"rh-\$d\", \"device_id\": \"\$d\"}\n) if \$n == 2;
			print qq({\"receipt_handle\": \"\$r->{receipt_handle}\", \"status\": \"\$i\"}\n) if \$n == 3;
			print encode_json({ message_id => \$r->{message_id},
			    receipt_handle => \$r->{receipt_handle},
			    status => \$n++ % 9 ? q(loaded) : q(released) }), qq(\n);
		}" "$i" "$d" >acks <recs &&
	{ wait $pid; test $? = 0; } &&
	test "$(sqs_count "$url")" = "0 0" &&
	grep -q "ack line 1: " err.acks &&
	clean err.acks
'

# --- login-mask (what t2040 does not cover) --------------------------------

test_expect_success 'login-mask --reversible -v on IPv6 and mapped addresses' '
	lm_message lm <all >msgs &&
	login-mask -v --reversible -k key -r rej.lm <msgs >rows.rev 2>err.lm &&
	test "$(wc -l <rows.rev)" = 85 && test "$(wc -l <rej.lm)" = 20 &&
	test "$(stat -c %a rej.lm)" = 600 &&
	test "$(grep -c -i -F -f pii.patterns rej.lm)" = 20 &&
	grep "masked_ip" rows.rev >masked && clean rows.rev err.lm
'

test_expect_success 'login-mask --unmask with a wrong key, a key ring without it, altered masks' '
	test_must_fail --code 78 login-mask --unmask -k key2 <masked >out 2>err.wrong &&
	test ! -s out &&
	grep -q "made under a key that no -k file holds" err.wrong &&
	test_must_fail login-mask --unmask -k key2 -k key2 <masked >out 2>err.ring &&
	sed "s/\"masked_device_id\":\"s1\.dev\.\([0-9a-f]*\)\.A/\"masked_device_id\":\"s1.dev.\1.B/;
	    s/\"masked_ip\":\"s1\.ip\.\([0-9a-f]*\)\.\(.\)/\"masked_ip\":\"s1.ip.\1.A\2/" masked >altered &&
	test_must_fail login-mask --unmask -k key <altered >out 2>err.altered &&
	grep -q "does not authenticate" err.altered &&
	lm_field masked_ip masked >bare &&
	cat pii.values >>bare &&
	test_must_fail login-mask --unmask -k key2 <bare >out 2>err.bare &&
	clean err.wrong err.ring err.altered err.bare
'

test_expect_success 'login-mask -v without a rejects file releases, and says nothing personal' '
	login-mask -v -k key <msgs >rows.rel 2>err.rel &&
	test "$(grep -c "\"release\":true" rows.rel)" = 20 &&
	grep -q "ip: invalid" err.rel &&
	clean err.rel rows.rel
'

# --- pg-load ---------------------------------------------------------------

pgl_user_logins || exit 1
# A table for raw values, as a user might load unmasked data: the
# server's errors quote them (inet syntax, unique keys, failing rows).
pgl_sql "CREATE TABLE raw_logins(user_id text, ip inet,
	device_id varchar(40) UNIQUE CHECK (device_id !~ '^X'))" || exit 1

# Raw rows: a record per login of "good", as pg-load reads row records,
# with the ip and device id unmasked; and bad variants the server refuses.
perl -MJSON::PP -e '
	my ($n, $j) = (0, JSON::PP->new->canonical);
	my $ts = time * 1000;
	while (<STDIN>) {
		my $b = decode_json($_);
		$n++;
		my %r = (message_id => "raw-$n", sent_timestamp => $ts + $n,
		    user_id => $b->{user_id}, ip => $b->{ip}, device_id => $b->{device_id});
		$r{receipt_handle} = "rh-raw-$n" unless $n % 7 == 0;
		print $j->encode(\%r), "\n";
		next if $n % 5;
		my %x = %r;
		$x{message_id} .= "-bad";
		if ($n % 3 == 0) { $x{ip} .= "x" }
		elsif ($n % 3 == 1) { $x{device_id} = "X" . $x{device_id} }
		else { $x{user_id} .= "-again" }	# device_id not unique
		print $j->encode(\%x), "\n";
	}
' <good >raw.rows || exit 1
ip1=$(sed -n 1p pii.values) && dev1=$(sed -n 2p pii.values) || exit 1
printf '%s\n' "{\"message_id\":\"raw-trunc\",\"ip\":\"$ip1\",\"device_id\":\"$dev1\"" \
    "{\"message_id\":\"raw-dup\",\"ip\":\"$ip1\",\"ip\":\"$ip1\"}" \
    "[\"$ip1\", \"$dev1\"]" "ip $ip1 device $dev1" >>raw.rows || exit 1

test_expect_success 'pg-load -v with refused rows, into a private rejects file' '
	{ head -n 30 raw.rows; sleep 2.2; tail -n +31 raw.rows; } |
	    pg-load -v -t raw_logins -r rej.pg --batch-rows 20 >acks.pg 2>err.pg &&
	test "$(pgl_sql "SELECT count(*) FROM raw_logins")" = 55 &&
	test "$(stat -c %a rej.pg)" = 600 &&
	test "$(wc -l <rej.pg)" = 15 &&
	test "$(grep -c -F -f pii.patterns rej.pg)" = 15 &&
	grep -q "Failing row contains\|already exists\|invalid input syntax for type inet" rej.pg &&
	grep -q "^pg-load: .*rows/s" err.pg &&
	grep -q "23505\|23514\|22P02" err.pg &&
	clean err.pg
'

test_expect_success 'pg-load -v without a rejects file: released, or exit 65' '
	pgl_sql "TRUNCATE raw_logins, login_etl_ledger" &&
	test_must_fail --code 65 pg-load -v -t raw_logins --batch-rows 20 \
	    <raw.rows >acks.rel 2>err.pgrel &&
	test "$(pgl_acks acks.rel released)" = 10 &&
	clean err.pgrel
'

test_expect_success 'pg-load -v on masked rows into a table with a short column' '
	pgl_sql "CREATE TABLE short_logins(LIKE user_logins);
	    ALTER TABLE short_logins ALTER masked_ip TYPE varchar(60)" &&
	grep -v "\"release\"" rows.rel | head -n 70 >masked.rows &&
	pg-load -v -t short_logins -r rej.short <rows.rev >/dev/null 2>err.short &&
	test -s rej.short &&
	pg-load -v -t short_logins <masked.rows >/dev/null 2>err.short2 &&
	clean err.short err.short2
'

# --- the ring ----------------------------------------------------------------

pgl_sql "TRUNCATE user_logins, login_etl_ledger;
	ALTER TABLE user_logins ADD CONSTRAINT no_zz CHECK (locale IS DISTINCT FROM 'ZZ')" || exit 1
cat all bulk >ring.in || exit 1
# The rows the ring should load from the bulk: its valid logins.
nbulk=$(login-mask -k key <bulk 2>/dev/null | grep -c masked_ip) || exit 1
nbad=$((3000 - nbulk))
ringq() {
	url=$(sqs_create "$1" "${2:-{\}}") && sqs_send "$url" ring.in >/dev/null
}

# Slow answers halfway, so that every stage shows progress lines.
fake_sqs '{'"$secrets"', "rules": ['"$faults"',
	{"action": "ReceiveMessage", "skip": 40, "times": 8, "reply": {"delayMs": 2500}}]}'
test_expect_success 'etl -v through SQS faults, with a rejects file' '
	ringq pii-ring &&
	etl -v --drain -e "$FAKE" -k key -r rej.ring --read=--wait=1 --read=--visibility=5 \
	    --load=--batch-ms=300 pii-ring >out 2>err.ring &&
	test ! -s out &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = $((55 + nbulk)) &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins WHERE user_id LIKE \$\$pii-%\$\$")" = 55 &&
	# the message whose delete was refused is in flight, or came back
	# and was acked as a duplicate
	case $(sqs_count "$url") in "0 0"|"0 1") ;; *) false ;; esac &&
	grep -q "delete refused (ReceiptHandleIsInvalid)" err.ring &&
	test "$(stat -c %a rej.ring)" = 600 &&
	test "$(grep -c "\"stage\":\"login-mask\"" rej.ring)" = $((20 + nbad)) &&
	test "$(grep -c "\"stage\":\"pg-load\"" rej.ring)" = 10 &&
	grep -q "^sqs-read: received [0-9]*, written" err.ring &&
	grep -q "^login-mask: read [0-9]*, written" err.ring &&
	grep -q "^pg-load: [0-9]* loaded, .* rows/s$" err.ring &&
	pgl_sql "SELECT masked_ip, masked_device_id FROM user_logins" >table &&
	clean err.ring table
'

test_expect_success 'etl -v without a rejects file: released to the dead-letter queue' '
	pgl_sql "TRUNCATE user_logins, login_etl_ledger" &&
	dlq=$(sqs_create pii-dlq) &&
	ringq pii-rel "{\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:us-east-1:000000000000:pii-dlq\\\",\\\"maxReceiveCount\\\":\\\"2\\\"}\"}" &&
	etl -v --drain -k key --read=--wait=1 --load=--batch-ms=300 pii-rel >out 2>err.rel &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = $((55 + nbulk)) &&
	test "$(sqs_count "$url")" = "0 0" &&
	test "$(sqs_count "$dlq")" = "$((30 + nbad)) 0" &&
	grep -q "^login-mask: " err.rel &&
	clean err.rel
'

test_expect_success 'etl -v --replay of the rejects once the table takes them' '
	pgl_sql "ALTER TABLE user_logins DROP CONSTRAINT no_zz" &&
	etl -v -k key -r rej.replay --replay rej.ring >out 2>err.replay &&
	test "$(pgl_sql "SELECT count(*) FROM user_logins")" = $((65 + nbulk)) &&
	test "$(wc -l <rej.replay)" = $((20 + nbad)) && test "$(stat -c %a rej.replay)" = 600 &&
	clean err.replay
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "reply": {"status": 400, "body": "{\"__type\":\"com.amazonaws.sqs#AccessDenied\",\"message\":\"scripted\"}"}}]}'
test_expect_success 'etl -v when the queue refuses access' '
	ringq pii-denied &&
	test_must_fail --code 77 etl -v --drain -e "$FAKE" -k key -r rej.denied \
	    --read=--wait=1 pii-denied >out 2>err.etldenied &&
	grep -q "sqs-read" err.etldenied && clean err.etldenied
'

test_done
