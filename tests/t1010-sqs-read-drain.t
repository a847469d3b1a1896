#!/bin/bash
# sqs-read drains a queue exactly once, with --delete-after-write or with
# acks fed back on its standard input, and a dump deletes nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"

test_services sqs

# synced_before_deletes N TRACE: whether, in an strace of write, fdatasync
# and sendto, every receipt handle of each DeleteMessageBatch was written
# to stdout before the latest fdatasync of it that precedes the delete,
# and N handles were deleted in all.
synced_before_deletes() {
	perl -ne '
		BEGIN { $want = shift @ARGV }
		if (/ write\(1, "(.*)", \d+\) += \d+$/) {
			my $w = $1;
			$unsynced{$1} = 1 while $w =~ /\\"receipt_handle\\":\\"([^\\"]+)/g;
		} elsif (/ fdatasync\(1\) += 0$/) {
			$synced{$_} = 1 for keys %unsynced;
			%unsynced = ();
		} elsif (/AmazonSQS\.DeleteMessageBatch/) {
			$deletes++;
			while (/\\"ReceiptHandle\\":\\"([^\\"]+)/g) {
				$named++;
				$early++ unless $synced{$1};
			}
		}
		END {
			printf "deletes %d, handles %d, not synced first %d\n", $deletes, $named, $early;
			exit !($deletes > 0 && $named == $want && !$early);
		}' "$@"
}

"$TOOLS/gen-logins" 5000 >sent || exit 1
LC_ALL=C sort sent >sent.sorted

test_expect_success 'a dump writes every message and deletes none' '
	url=$(sqs_create dump) &&
	head -n 50 sent >few && sqs_send "$url" few >/dev/null &&
	sqs-read --drain --wait 1 --visibility 30 dump </dev/null >out 2>err &&
	test "$(wc -l <out)" = 50 &&
	grep -q "nothing will be deleted" err &&
	test "$(sqs_count "$url")" = "0 50"
'

test_expect_success 'a record carries id, receipt handle, sent timestamp, receive count, body' '
	perl -MJSON::PP -ne "
		my \$r = decode_json(\$_);
		die qq(keys\n) unless join(q(,), sort keys %\$r) eq
		    q(body,message_id,receipt_handle,receive_count,sent_timestamp);
		die qq(count\n) unless \$r->{receive_count} == 1;
		die qq(ts\n) unless \$r->{sent_timestamp} =~ /^\d{13}\$/;
	" out &&
	test "$(ids out | uniq | wc -l)" = 50
'

test_expect_success '5000 messages drained with --delete-after-write arrive once each, bodies intact' '
	url=$(sqs_create daw) &&
	sqs_send "$url" sent >/dev/null &&
	sqs-read -c 4 --drain --wait 1 --delete-after-write daw </dev/null >out 2>err &&
	test "$(wc -l <out)" = 5000 &&
	test "$(ids out | uniq | wc -l)" = 5000 &&
	bodies out >got && test_cmp sent.sorted got &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'with stdout a file, records are on disk before the deletes' '
	url=$(sqs_create daw-file) &&
	head -n 30 sent >few && sqs_send "$url" few >/dev/null &&
	ASAN_OPTIONS=detect_leaks=0 strace -f -s 1000000 -e trace=fdatasync,sendto,write \
	    -o trace sqs-read --drain --wait 1 \
	    --delete-after-write daw-file >out.file 2>err &&
	test "$(wc -l <out.file)" = 30 &&
	# every receipt handle a DeleteMessageBatch names was written to
	# stdout, then fdatasync'"'"'d, before the delete was sent
	synced_before_deletes 30 trace
'

test_expect_success '5000 messages drained with acks on stdin arrive once each, and are all deleted' '
	url=$(sqs_create ring) &&
	sqs_send "$url" sent >/dev/null &&
	mkfifo acks &&
	{
		sqs-read -c 4 --drain --wait 1 ring <acks 2>err | ack_echo out >acks
		test "${PIPESTATUS[*]}" = "0 0"
	} &&
	test "$(wc -l <out)" = 5000 &&
	test "$(ids out | uniq | wc -l)" = 5000 &&
	bodies out >got && test_cmp sent.sorted got &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'bodies with every JSON-special character round-trip byte for byte' '
	url=$(sqs_create special) &&
	"$NODE" --no-warnings -e "
		const bodies = [
			\"quote \\\" backslash \\\\ slash / solidus\",
			\"tab\\there newline\\nthere cr\\rthere\",
			\"unicode caf\\u00e9 \\u20ac \\u2028 \\u2029 \\ufffd \\ue000\",
			\"{\\\"json\\\": [1, 2, {\\\"nested\\\": \\\"\\\\\\\\u0041\\\"}]}\",
			\" leading and trailing spaces \",
			\"\\u007f del and <html>&amp;</html>\",
		];
		require(\"fs\").writeFileSync(\"special.json\", JSON.stringify(bodies));
		const entries = bodies.map((b, i) => ({ Id: \"m\" + i, MessageBody: b }));
		fetch(process.argv[1] + \"/\", { method: \"POST\", headers: {
			\"Content-Type\": \"application/x-amz-json-1.0\",
			\"X-Amz-Target\": \"AmazonSQS.SendMessageBatch\" },
			body: JSON.stringify({ QueueUrl: process.argv[2], Entries: entries }) })
		.then(r => r.json()).then(j => { if (j.Successful.length !== bodies.length) process.exit(1); });
	" "$AWS_ENDPOINT_URL_SQS" "$url" &&
	sqs-read --drain --wait 1 --delete-after-write special >out 2>err &&
	"$NODE" --no-warnings -e "
		const fs = require(\"fs\");
		const want = JSON.parse(fs.readFileSync(\"special.json\")).map(b => Buffer.from(b)).sort(Buffer.compare);
		const got = fs.readFileSync(\"out\", \"utf8\").trim().split(\"\\n\")
			.map(l => Buffer.from(JSON.parse(l).body)).sort(Buffer.compare);
		if (got.length !== want.length) { console.error(\"count\", got.length); process.exit(1); }
		for (let i = 0; i < got.length; i++)
			if (!got[i].equals(want[i])) { console.error(\"differs:\", i); process.exit(1); }
	" &&
	test "$(wc -l <out)" = 6
'

# The emulator refuses to store characters beyond U+FFFF (SQS takes
# them): the scripted front puts them in, for each @, on the way back,
# with the MD5 made anew.
fake_sqs '{"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}, "rules": [
	{"action": "ReceiveMessage", "reply": {"astral": 128512}}]}'
test_expect_success 'a body beyond the BMP round-trips byte for byte' '
	url=$(sqs_create astral) &&
	printf "%s\n" "smile @" "@@ pair @ and \"quotes\" @" "@" >astral.at &&
	sqs_send "$url" astral.at >/dev/null &&
	sed "s/@/$(printf "\360\237\230\200")/g" astral.at | LC_ALL=C sort >astral.want &&
	sqs-read -e "$FAKE" --drain --wait 1 --delete-after-write "$url" >out 2>err &&
	test "$(fake_count rule astral)" -ge 1 &&
	bodies out >got && test_cmp astral.want got &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'a 256 KiB body round-trips exactly' '
	url=$(sqs_create big) &&
	perl -e "print join q(), map { chr(32 + (\$_ * 7) % 95) } 1 .. 262144" >big.body &&
	test "$(wc -c <big.body)" = 262144 &&
	perl -MJSON::PP -e "
		local \$/; open my \$f, q(<), q(big.body); my \$b = <\$f>;
		print JSON::PP->new->encode({ QueueUrl => \$ARGV[0], MessageBody => \$b });" "$url" >req &&
	curl -sS --fail-with-body -X POST "$AWS_ENDPOINT_URL_SQS/" \
	    -H "Content-Type: application/x-amz-json-1.0" \
	    -H "X-Amz-Target: AmazonSQS.SendMessage" --data-binary @req >/dev/null &&
	sqs-read --drain --wait 1 --delete-after-write big >out 2>err &&
	perl -MJSON::PP -ne "print JSON::PP->new->decode(\$_)->{body}" out >big.got &&
	cmp big.body big.got &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'messages that were not acked come back with receive_count 2' '
	url=$(sqs_create again) &&
	head -n 40 sent >few && sqs_send "$url" few >/dev/null &&
	sqs-read --wait 1 --visibility 2 --max-messages 40 again </dev/null >first 2>err &&
	test "$(wc -l <first)" = 40 &&
	test "$(sqs_count "$url")" = "0 40" &&
	# a long poll that ends once the timeout has put them back
	timeout 120 sqs-read --wait 1 --max-messages 40 --delete-after-write again >second 2>err &&
	ids first >a && ids second >b && test_cmp a b &&
	perl -MJSON::PP -ne "exit 1 unless decode_json(\$_)->{receive_count} == 2" second &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'a dump writes a message that comes again within the run once' '
	url=$(sqs_create dups) &&
	head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	# visible again after 1 s: received twice, written once
	sqs-read -v --wait 1 --visibility 1 --max-messages 40 dups </dev/null >out 2>err &&
	test "$(wc -l <out)" = 20 &&
	test "$(ids out | uniq | wc -l)" = 20 &&
	grep -q "done: received 40, written 20," err &&
	grep -q "duplicates 20," err
'

# bigbody URL N: a SendMessage request of a body of N double quotes,
# each escaped in the record, which is twice as long.
bigbody() {
	perl -MJSON::PP -e 'print JSON::PP->new->encode({ QueueUrl => $ARGV[0],
	    MessageBody => q(") x $ARGV[1] })' "$1" "$2"
}

test_expect_success 'setup: 40 messages of 1 MB' '
	url=$(sqs_create bigq) &&
	bigbody "$url" 1000000 >req &&
	for i in $(seq 40); do
		curl -sS --fail-with-body -X POST "$AWS_ENDPOINT_URL_SQS/" \
		    -H "Content-Type: application/x-amz-json-1.0" \
		    -H "X-Amz-Target: AmazonSQS.SendMessage" --data-binary @req >/dev/null ||
		break
	done &&
	test "$(sqs_count "$url")" = "40 0"
'

test_expect_success 'a dump into a reader that stalls loses nothing: records wait, receiving pauses' '
	rm -f go status
	# 40 records of 2 MB: four receives in flight bring 80 MB at once
	{ sqs-read -c 4 --drain --wait 1 --visibility 60 bigq </dev/null 2>err; echo $? >status; } |
	    { test_wait_for "test -e go" 120; cat; } >out &
	test_wait_for "test \"\$(sqs_count $url)\" = \"0 40\"" 60 &&
	touch go &&
	test_wait_for "test -s status" 120 &&
	test "$(cat status)" = 0 &&
	test "$(wc -l <out)" = 40 &&
	test "$(ids out | uniq | wc -l)" = 40 &&
	test_must_not_contain err "not written" &&
	test_must_not_contain err "given back"
'

test_expect_success 'a standard output that comes non-blocking is polled, not retried blindly' '
	url=$(sqs_create nonblock) &&
	head -n 1000 sent >some && sqs_send "$url" some >/dev/null &&
	rm -f go &&
	{
		perl -MFcntl -e "
			fcntl(STDOUT, F_SETFL, fcntl(STDOUT, F_GETFL, 0) | O_NONBLOCK) or die;
			exec @ARGV or die" -- \
		    env ASAN_OPTIONS=detect_leaks=0 strace -o trace -e trace=poll,write \
		    sqs-read --drain --wait 1 nonblock </dev/null 2>err |
		{ test_wait_for "grep -q \"^write(1, .*EAGAIN\" trace" 60; touch go; cat; } >out
		test "${PIPESTATUS[*]}" = "0 0"
	} &&
	test -e go &&
	test "$(wc -l <out)" = 1000 &&
	grep -q "^poll(\[.*{fd=1, events=POLLOUT}" trace
'

# trickle_start URL: a message every half second until trickle_stop.
trickle_start() {
	{
		local i=0
		while :; do
			sqs_call SendMessage "{\"QueueUrl\":\"$1\",\"MessageBody\":\"m$i\"}" \
			    >/dev/null
			i=$((i + 1))
			sleep 0.5
		done
	} &
	TRICKLE_PID=$!
	test_cleanup "kill $TRICKLE_PID 2>/dev/null"
	sleep 1
}

trickle_stop() {
	kill "$TRICKLE_PID" && wait "$TRICKLE_PID" 2>/dev/null
	return 0
}

# What a receive in flight at the end of a drain brings is written, and
# settled, but receiving does not start again: on a queue that never
# stays empty for long, a drain would never end.  The bounds are loose:
# each of these ends in a few seconds, and ran for ever before.
test_expect_success '--drain ends while messages keep coming: a dump' '
	url=$(sqs_create trickle-dump) &&
	trickle_start "$url" &&
	timeout 30 sqs-read -v --drain --wait 1 -c 4 trickle-dump </dev/null >out 2>err
	st=$? && trickle_stop && cat err &&
	test $st = 0 &&
	test "$(ids out | uniq | wc -l)" = "$(wc -l <out)" &&
	test_must_not_contain err "draining on"
'

test_expect_success '--drain ends while messages keep coming: --delete-after-write, all deleted' '
	url=$(sqs_create trickle-daw) &&
	trickle_start "$url" &&
	timeout 30 sqs-read -v --drain --wait 1 -c 4 --delete-after-write trickle-daw \
	    </dev/null >out 2>err
	st=$? && trickle_stop && cat err &&
	test $st = 0 &&
	test "$(wc -l <out)" -ge 1 &&
	grep -q "done: received [0-9]*, written $(wc -l <out), acked 0, deleted $(wc -l <out)," err &&
	test "$(sqs_count "$url" | cut -d" " -f2)" = 0
'

test_expect_success '--drain ends while messages keep coming: the ring, all acked and deleted' '
	url=$(sqs_create trickle-ring) &&
	rm -f acks recs && mkfifo acks recs &&
	trickle_start "$url" || return 1
	ack_echo out <recs >acks &
	# Not timeout in a pipeline: it would hold the pipe open after
	# sqs-read closes its end, and the acker would never see the end.
	timeout 30 sh -c "exec sqs-read -v --drain --wait 1 -c 4 trickle-ring >recs <acks 2>err"
	st=$? && wait $! && trickle_stop && cat err &&
	test $st = 0 &&
	test "$(wc -l <out)" -ge 1 &&
	grep -q "done: received [0-9]*, written $(wc -l <out), acked $(wc -l <out), deleted $(wc -l <out)," err &&
	test "$(sqs_count "$url" | cut -d" " -f2)" = 0
'

test_done
