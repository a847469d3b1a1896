#!/bin/bash
# sqs-read against a scripted SQS front (tests/lib/sqs-read-server.mjs)
# that fails on purpose: 5xx, throttling, garbage, slow and hung answers,
# failed delete entries, refusals, TLS it must not trust.  Behind it is
# the real emulator, and every request's signature is checked there by
# the AWS SDK's own SigV4 signer.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"

test_services sqs
"$TOOLS/gen-logins" 200 >sent || exit 1
LC_ALL=C sort sent >sent.sorted
secrets='"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}'

# fill NAME: a fresh queue of the 200 messages.
fill() {
	url=$(sqs_create "$1") && sqs_send "$url" sent >/dev/null
}

fake_sqs '{'"$secrets"', "rules": [
	{"action": "ReceiveMessage", "times": 2, "reply": {"status": 500, "body": "{\"__type\":\"com.amazonaws.sqs#InternalError\"}"}},
	{"action": "ReceiveMessage", "times": 2, "reply": {"status": 400, "headers": {"x-amzn-query-error": "AWS.SimpleQueueService.RequestThrottled;Sender"}, "body": "{\"__type\":\"com.amazonaws.sqs#RequestThrottled\",\"message\":\"Rate exceeded\"}"}},
	{"action": "ReceiveMessage", "times": 2, "reply": {"garbage": true}},
	{"action": "DeleteMessageBatch", "times": 2, "reply": {"status": 503, "body": "Service Unavailable"}},
	{"action": "DeleteMessageBatch", "times": 2, "reply": {"delayMs": 1500}},
	{"action": "DeleteMessageBatch", "times": 3, "reply": {"failEntries": [0, 3], "senderFault": false, "code": "InternalError"}}
]}'
flaky=$FAKE flaky_log=$FAKE_LOG

test_expect_success '500s, throttling, garbage and slow answers are retried; nothing is lost' '
	fill flaky &&
	sqs-read -e "$flaky" --drain --wait 1 --delete-after-write flaky >out 2>err &&
	test "$(wc -l <out)" = 200 &&
	bodies out >got && test_cmp sent.sorted got &&
	test "$(sqs_count "$url")" = "0 0" &&
	FAKE_LOG=$flaky_log &&
	test "$(fake_count rule status)" = 6 &&
	test "$(fake_count rule garbage)" = 2 &&
	test "$(fake_count rule delayMs)" = 2 &&
	test "$(fake_count rule failEntries)" = 3
'

test_expect_success 'every request was signed as the AWS SDK signs it' '
	FAKE_LOG=$flaky_log &&
	test "$(fake_count sig false)" = 0 &&
	test "$(fake_count sig true)" -gt 40
'

fake_sqs '{"secrets": {"AKIDEXAMPLETEST": "some-other-secret"}}'
test_expect_success 'and a request signed with the wrong secret is caught by it' '
	test_must_fail --code 78 sqs-read -e "$FAKE" --drain --wait 1 flaky </dev/null >out 2>err &&
	grep -q "refused (SignatureDoesNotMatch" err &&
	test_must_not_contain err "test-secret-not-real"
'

fake_sqs '{'"$secrets"', "rules": [{"action": "*", "reply": {"status": 500, "body": ""}}]}'
test_expect_success 'a persistent 500 ends with EX_TEMPFAIL, naming the action and the status' '
	test_must_fail --code 75 sqs-read -e "$FAKE" --retries 3 --drain --wait 1 \
	    "$AWS_ENDPOINT_URL_SQS/000000000000/flaky" </dev/null >out 2>err &&
	grep -q "ReceiveMessage failed 4 times: HTTP 500" err &&
	test "$(fake_count action ReceiveMessage)" -ge 4
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "reply": {"hang": true}}]}'
test_expect_success 'an answer that never comes times out and is retried, then fails' '
	test_must_fail --code 75 sqs-read -e "$FAKE" --timeout 1 --retries 1 -c 1 --wait 0 \
	    "$AWS_ENDPOINT_URL_SQS/000000000000/flaky" </dev/null >out 2>err &&
	grep -q "ReceiveMessage failed 2 times: .*timed out" err &&
	test "$(fake_count action ReceiveMessage)" = 2
'

fake_sqs '{'"$secrets"', "rules": [
	{"action": "DeleteMessageBatch", "times": 1, "reply": {"failEntries": [0], "senderFault": true, "code": "ReceiptHandleIsInvalid"}}]}'
test_expect_success 'a delete refused for good is reported by message id, and the message stays' '
	fill refused &&
	sqs-read -e "$FAKE" -c 1 --drain --wait 1 --visibility 30 --delete-after-write refused >out 2>err &&
	test "$(wc -l <out)" = 200 &&
	grep "delete refused (ReceiptHandleIsInvalid)" err >warned &&
	test "$(wc -l <warned)" = 1 &&
	id=$(sed -n "s/.*message \([^:]*\): delete refused.*/\1/p" warned) &&
	grep -q "\"message_id\":\"$id\"" out &&
	test "$(sqs_count "$url")" = "0 1"
'

fake_sqs '{'"$secrets"', "rules": [
	{"action": "DeleteMessageBatch", "reply": {"failEntries": [0], "senderFault": false}}]}'
test_expect_success 'a delete that keeps failing is retried, then reported' '
	fill failing &&
	sqs-read -e "$FAKE" -c 1 --retries 2 --drain --wait 1 --visibility 30 \
	    --delete-after-write --max-messages 10 failing >out 2>err &&
	grep "delete failed 3 times (InternalError): it will be delivered again" err >warned &&
	test "$(wc -l <warned)" = 1 &&
	test "$(fake_count failed 1)" = 3 &&
	test "$(sqs_count "$url")" = "190 1"
'

for case in \
	"77 AccessDenied access.denied" \
	"78 InvalidClientTokenId credentials.from.the.environment.were.refused" \
	"78 ExpiredToken have.expired" \
	"66 QueueDoesNotExist does.not.exist"
do
	set -- $case
	fake_sqs '{'"$secrets"', "rules": [{"action": "*", "reply": {"status": 400, "body": "{\"__type\":\"com.amazonaws.sqs#'$2'\",\"message\":\"scripted\"}"}}]}'
	test_expect_success "$2 ends at once with status $1, naming the cause" '
		test_must_fail --code '$1' sqs-read -e "$FAKE" -c 1 --wait 1 \
		    "$AWS_ENDPOINT_URL_SQS/000000000000/x" </dev/null >out 2>err &&
		grep -q "'$3'" err &&
		test "$(fake_count action ReceiveMessage)" = 1
	'
done

fake_sqs '{'"$secrets"', "rules": [{"action": "*", "reply": {"status": 400, "headers": {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"}, "body": "{}"}}]}'
test_expect_success 'the x-amzn-query-error header alone names a missing queue' '
	test_must_fail --code 66 sqs-read -e "$FAKE" --wait 1 \
	    "$AWS_ENDPOINT_URL_SQS/000000000000/x" </dev/null >out 2>err &&
	grep -q "does not exist (AWS.SimpleQueueService.NonExistentQueue)" err
'

test_expect_success 'a queue name the emulator does not know: EX_NOINPUT, named' '
	test_must_fail --code 66 sqs-read --wait 1 no-such-queue </dev/null >out 2>err &&
	grep -q "queue no-such-queue: GetQueueUrl: the queue does not exist (QueueDoesNotExist)" err
'

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || exit 1
FAKE_SCHEME=https fake_sqs '{'"$secrets"', "tls": {"cert": "'$TMP'/cert.pem", "key": "'$TMP'/key.pem"}}'
test_expect_success 'a certificate that does not verify is an error naming the endpoint, not retried' '
	fill tls &&
	test_must_fail --code 78 sqs-read -e "$FAKE" --drain --wait 1 tls </dev/null >out 2>err &&
	grep -q "$FAKE/: TLS certificate verification failed" err &&
	test "$(wc -l <"$FAKE_LOG")" = 0
'

test_expect_success 'AWS_CA_BUNDLE makes it trusted' '
	AWS_CA_BUNDLE=$TMP/cert.pem sqs-read -e "$FAKE" --drain --wait 1 \
	    --delete-after-write tls >out 2>err &&
	test "$(wc -l <out)" = 200 &&
	test "$(fake_count sig true)" -gt 0
'

head -n 50 sent >fifty
fake_sqs '{'"$secrets"', "rules": [{"action": "DeleteMessageBatch", "reply": {"delayMs": 3000}}]}'
test_expect_success 'while every delete request is slow, it waits without spinning' '
	url=$(sqs_create stall) && sqs_send "$url" fifty >/dev/null &&
	# -c 1: three delete requests for five batches, each answered in 3 s
	/usr/bin/time -f "%U %S" -o cpu sqs-read -e "$FAKE" -c 1 --drain --wait 1 \
	    --delete-after-write "$url" >out 2>err &&
	test "$(wc -l <out)" = 50 &&
	test "$(sqs_count "$url")" = "0 0" &&
	test "$(fake_count action DeleteMessageBatch)" -ge 5 &&
	# about 6 s of waiting: well under a second of CPU, where a busy loop burns most of it
	awk "{ s = \$1 + \$2 } END { print s; exit !(NR == 1 && s < 1) }" cpu
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ChangeMessageVisibilityBatch", "heartbeat": true, "reply": {"delayMs": 1500}}]}'
test_expect_success 'setup: a queue of 20' '
	url=$(sqs_create racing) && head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	rm -f acks go status && mkfifo acks
'

test_expect_success 'a message given back while its visibility is being extended is released after, and comes again' '
	# the acker gives each message back on its first delivery, loads it on
	# the second, and starts only once an extension is on its way
	{
		sqs-read -e "$FAKE" -c 1 --drain --wait 1 --visibility 4 "$url" <acks 2>err |
		ack_release_first go >acks 2>out
		echo "${PIPESTATUS[*]}" >status
	} &
	test_wait_for "test \$(fake_count heartbeat true) -ge 1" 30 &&
	touch go &&
	test_wait_for "test -s status" 60 &&
	test "$(cat status)" = "0 0" &&
	test "$(fake_count raced true)" = 0 &&
	test "$(fake_count raced false)" -ge 1 &&
	test "$(wc -l <out)" = 40 &&
	test "$(sqs_count "$url")" = "0 0"
'

# Extensions every 2 s, each answered 3 s after it is applied: the first
# answer comes while the next is out.
fake_sqs '{'"$secrets"', "rules": [{"action": "ChangeMessageVisibilityBatch", "heartbeat": true, "reply": {"answerMs": 3000}}]}'
test_expect_success 'a release waits for every extension in flight, when they overlap too' '
	url=$(sqs_create overlap) && head -n 5 sent >five && sqs_send "$url" five >/dev/null &&
	rm -f acks go status && mkfifo acks &&
	{
		sqs-read -e "$FAKE" -c 1 --drain --wait 1 --visibility 4 "$url" <acks 2>err |
		ack_release_first go >acks 2>out
		echo "${PIPESTATUS[*]}" >status
	} &
	test_wait_for "test \$(fake_count action extended) -ge 1" 30 &&
	touch go &&
	test_wait_for "test -s status" 60 &&
	test "$(cat status)" = "0 0" &&
	test "$(fake_count heartbeat true)" -ge 2 &&
	test "$(fake_count raced true)" = 0 &&
	test "$(fake_count raced false)" -ge 1 &&
	test "$(wc -l <out)" = 10 &&
	test "$(sqs_count "$url")" = "0 0"
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "times": 1, "reply": {"corruptMd5": true}}]}'
test_expect_success 'a body whose MD5 does not match is named by id, neither written nor deleted' '
	fill md5 &&
	sqs-read -e "$FAKE" --drain --wait 1 --visibility 60 --delete-after-write md5 \
	    >out 2>err &&
	id=$(perl -MJSON::PP -ne "my \$j = decode_json(\$_);
	    print \$j->{id} if \$j->{action} eq q(corrupted)" "$FAKE_LOG") &&
	test -n "$id" &&
	grep -q "^sqs-read: message $id: MD5OfBody does not match the body: not written, not deleted$" err &&
	test "$(wc -l <out)" = 199 &&
	test_must_fail grep -q -F "$id" out &&
	test "$(sqs_count "$url")" = "0 1"
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "skip": 1, "times": 1, "reply": {"delayMs": 4000}}]}'
test_expect_success 'the end of a drain lets receives in flight finish, and writes what they bring' '
	url=$(sqs_create late) &&
	# visible in 2 s: after the first receive found the queue empty, before
	# the second, held back 4 s, reaches the queue
	sqs_call SendMessage "{\"QueueUrl\":\"$url\",\"MessageBody\":\"late\",\"DelaySeconds\":2}" \
	    >/dev/null &&
	sqs-read -e "$FAKE" -c 2 --drain --wait 1 --visibility 60 --delete-after-write "$url" \
	    >out 2>err &&
	test "$(fake_count rule delayMs)" = 1 &&
	test "$(wc -l <out)" = 1 &&
	test "$(sqs_count "$url")" = "0 0"
'

fake_sqs '{'"$secrets"', "rules": [{"action": "ReceiveMessage", "skip": 1, "times": 1, "reply": {"delayMs": 4000}}]}'
test_expect_success 'in the ring, what such a late receive brings and is released comes again before the drain ends' '
	url=$(sqs_create late-ring) &&
	sqs_call SendMessage "{\"QueueUrl\":\"$url\",\"MessageBody\":\"late\",\"DelaySeconds\":2}" \
	    >/dev/null &&
	rm -f acks && mkfifo acks &&
	{
		sqs-read -e "$FAKE" -c 2 --drain --wait 1 --visibility 60 "$url" <acks 2>err |
		ack_release_first >acks 2>out
		test "${PIPESTATUS[*]}" = "0 0"
	} &&
	test "$(fake_count rule delayMs)" = 1 &&
	test "$(wc -l <out)" = 2 &&
	test "$(sqs_count "$url")" = "0 0"
'

fake_sqs '{'"$secrets"', "rules": [{"action": "GetQueueUrl", "reply": {"hang": true}}]}'
test_expect_success 'a signal while the queue is looked up ends a run with 0' '
	sqs-read -e "$FAKE" --wait 1 some-queue </dev/null >out 2>err &
	pid=$!
	test_wait_for "test \$(fake_count action GetQueueUrl) = 1" 30 &&
	kill -TERM $pid &&
	{ wait $pid; test $? = 0; } &&
	test ! -s out
'

test_expect_success 'and a --check with 75: the queue did not answer' '
	sqs-read -e "$FAKE" --check some-queue </dev/null >out 2>err &
	pid=$!
	test_wait_for "test \$(fake_count action GetQueueUrl) = 2" 30 &&
	kill -TERM $pid &&
	{ wait $pid; test $? = 75; } &&
	grep -q "^sqs-read: stopped by a signal before the queue answered$" err
'

test_done
