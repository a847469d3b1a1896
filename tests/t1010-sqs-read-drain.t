#!/bin/bash
# sqs-read drains a queue exactly once, with --delete-after-write or with
# acks fed back on its standard input, and a dump deletes nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"

test_services sqs

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
	ASAN_OPTIONS=detect_leaks=0 strace -f -s 256 -e trace=fdatasync,sendto,write \
	    -o trace sqs-read --drain --wait 1 \
	    --delete-after-write daw-file >out.file 2>err &&
	test "$(wc -l <out.file)" = 30 &&
	# the first DeleteMessageBatch is sent after an fdatasync of stdout
	awk "/fdatasync\\(1/ && !s { s = NR } /DeleteMessageBatch/ && !d { d = NR } END { exit !(s && d && s < d) }" trace
'

test_expect_success '5000 messages drained with acks on stdin arrive once each, and are all deleted' '
	url=$(sqs_create ring) &&
	sqs_send "$url" sent >/dev/null &&
	mkfifo acks &&
	sqs-read -c 4 --drain --wait 1 ring <acks 2>err | ack_echo out >acks &&
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

test_done
