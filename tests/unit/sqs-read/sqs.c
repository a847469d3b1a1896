/*
 * sqs: request bodies, and the parsing of what SQS answers: messages
 * with their checks, batch results, errors and their meaning.
 */
#include <string.h>

#include "out.h"
#include "sqs.h"
#include "tap.h"

struct seen {
	int n;
	char ids[10][64];
	const char *problem[10];
	struct buf rec;
};

static void
collect(const struct sqs_msg *m, void *arg)
{
	struct seen *s = arg;

	snprintf(s->ids[s->n], sizeof s->ids[s->n], "%.*s", (int)m->idlen,
	    m->id ? m->id : "");
	s->problem[s->n] = m->problem;
	if (m->problem == NULL)
		record_put(&s->rec, m);
	s->n++;
}

int
main(void)
{
	struct sqs_parser p;
	struct seen s;
	struct buf b = BUF_INIT(1 << 20), err = BUF_INIT(512);
	struct sqs_batch_result br;
	struct sqs_error e;
	/* MD5s of "hello" and of "caf\u00e9 \"q\"\n" */
	const char *resp =
	    "{\"Messages\":[{\"MessageId\":\"m-1\",\"ReceiptHandle\":\"rh\\/1\","
	    "\"MD5OfBody\":\"5d41402abc4b2a76b9719d911017c592\",\"Body\":\"hello\","
	    "\"Attributes\":{\"SentTimestamp\":\"1696287680114\",\"ApproximateReceiveCount\":\"3\"}},"
	    "{\"MessageId\":\"m-2\",\"ReceiptHandle\":\"rh2\","
	    "\"MD5OfBody\":\"00000000000000000000000000000000\",\"Body\":\"hello\"},"
	    "{\"ReceiptHandle\":\"rh3\",\"Body\":\"x\"},"
	    "{\"MessageId\":\"m-4\",\"ReceiptHandle\":\"rh4\",\"Body\":\"hello\"},"
	    "{\"MessageId\":\"m-5\",\"ReceiptHandle\":\"rh5\","
	    "\"MD5OfBody\":\"5D41402ABC4B2A76B9719D911017C592\",\"Body\":\"hello\"}]}";

	ok(sqs_parser_init(&p) == 0, "init");
	memset(&s, 0, sizeof s);
	buf_init(&s.rec, 1 << 20);
	is_int(sqs_parse_receive(&p, resp, strlen(resp), collect, &s, &err), 5, "five messages");
	ok(s.problem[0] == NULL, "the first is good");
	ok(s.problem[1] != NULL && strstr(s.problem[1], "MD5OfBody") != NULL,
	    "an MD5 mismatch is a problem: %s", s.problem[1] ? s.problem[1] : "");
	is_str(s.ids[1], "m-2", "named by its id");
	ok(s.problem[2] != NULL && strstr(s.problem[2], "MessageId"), "no id");
	ok(s.problem[3] != NULL && strstr(s.problem[3], "MD5OfBody"), "no MD5");
	ok(s.problem[4] == NULL, "MD5 in capitals is fine");
	is_str(buf_cstr(&s.rec),
	    "{\"message_id\":\"m-1\",\"receipt_handle\":\"rh/1\",\"sent_timestamp\":1696287680114,"
	    "\"receive_count\":3,\"body\":\"hello\"}\n"
	    "{\"message_id\":\"m-5\",\"receipt_handle\":\"rh5\",\"body\":\"hello\"}\n",
	    "records: escapes undone, attributes as numbers, absent ones left out");

	buf_free(&s.rec);
	memset(&s, 0, sizeof s);
	buf_init(&s.rec, 1 << 20);
	/* The MD5 of the unescaped body: 01 09 22 5c 2f c3a9 f09f9880 e280a8. */
	resp = "{\"Messages\":[{\"MessageId\":\"m\",\"ReceiptHandle\":\"r\","
	    "\"MD5OfBody\":\"4f125934d90d3ff379eb98ddcb225ade\","
	    "\"Body\":\"\\u0001\\t\\\"\\\\\\/\\u00e9\\ud83d\\ude00\\u2028\"}]}";
	is_int(sqs_parse_receive(&p, resp, strlen(resp), collect, &s, &err), 1, "escapes");
	ok(s.problem[0] == NULL, "escapes undone before the MD5 is checked: %s",
	    s.problem[0] ? s.problem[0] : "matches");
	is_str(buf_cstr(&s.rec), "{\"message_id\":\"m\",\"receipt_handle\":\"r\",\"body\":"
	    "\"\\u0001\\t\\\"\\\\/\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"}\n",
	    "its record: control characters escaped, a surrogate pair as UTF-8, UTF-8 kept");
	buf_free(&s.rec);

	ok(sqs_parse_receive(&p, "{}", 2, collect, &s, &err) == 0, "no Messages: empty");
	ok(sqs_parse_receive(&p, "{\"Messages\":[]}", 15, collect, &s, &err) == 0, "empty list");
	ok(sqs_parse_receive(&p, "<html>", 6, collect, &s, &err) == -1, "garbage refused");
	ok(sqs_parse_receive(&p, "{\"Messages\":{}}", 15, collect, &s, &err) == -1,
	    "Messages not a list");
	buf_reset(&b);
	buf_adds(&b, "{\"Other\":[");
	for (int i = 0; i < 5000; i++)
		buf_adds(&b, i ? ",[]" : "[]");
	buf_adds(&b, "]}");
	buf_reset(&err);
	ok(sqs_parse_receive(&p, b.data, b.len, collect, &s, &err) == -1 &&
	    strstr(buf_cstr(&err), "too many") != NULL, "past the token cap: %s", buf_cstr(&err));

	buf_reset(&b);
	ok(sqs_receive_body(&b, "http://q/\"1", 10, 20, 60) == 0, "receive body");
	ok(strstr(buf_cstr(&b), "\"QueueUrl\":\"http://q/\\\"1\",\"MaxNumberOfMessages\":10,"
	    "\"WaitTimeSeconds\":20,\"VisibilityTimeout\":60") != NULL, "its fields");
	ok(sqs_get_attrs_body(&b, "http://q/\"1") == 0, "attributes body");
	is_str(buf_cstr(&b), "{\"QueueUrl\":\"http://q/\\\"1\",\"AttributeNames\":[\"QueueArn\"]}",
	    "asks for the ARN alone");
	is_str(sqs_action_name(SQS_GET_ATTRS), "GetQueueAttributes", "its action");
	sqs_batch_begin(&b, "u");
	sqs_batch_entry(&b, 0, "h\"0", 3, -1);
	sqs_batch_entry(&b, 1, "h1", 2, 30);
	sqs_batch_end(&b);
	is_str(buf_cstr(&b), "{\"QueueUrl\":\"u\",\"Entries\":[{\"Id\":\"0\",\"ReceiptHandle\":"
	    "\"h\\\"0\"},{\"Id\":\"1\",\"ReceiptHandle\":\"h1\",\"VisibilityTimeout\":30}]}",
	    "batch body");

	resp = "{\"Successful\":[{\"Id\":\"0\"},{\"Id\":\"2\"}],\"Failed\":["
	    "{\"Id\":\"1\",\"SenderFault\":true,\"Code\":\"ReceiptHandleIsInvalid\",\"Message\":\"m\"},"
	    "{\"Id\":\"3\",\"SenderFault\":false,\"Code\":\"InternalError\"},"
	    "{\"Id\":\"9\",\"SenderFault\":false}]}";
	ok(sqs_parse_batch(&p, resp, strlen(resp), 5, &br, &err) == 0, "batch result");
	ok(br.e[0] == SQS_ENTRY_OK && br.e[2] == SQS_ENTRY_OK, "successes");
	ok(br.e[1] == SQS_ENTRY_FAILED, "a sender fault fails for good");
	is_str(br.code[1], "ReceiptHandleIsInvalid", "with its code");
	ok(br.e[3] == SQS_ENTRY_RETRY, "the service's fault is retried");
	ok(br.e[4] == SQS_ENTRY_UNKNOWN, "an entry in neither list is not taken as done");

	sqs_parse_error(&p, "{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\","
	    "\"message\":\"The specified queue does not exist.\"}", strlen("{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\","
	    "\"message\":\"The specified queue does not exist.\"}"), NULL, &e);
	is_str(e.code, "QueueDoesNotExist", "__type without its namespace");
	is_str(e.message, "The specified queue does not exist.", "message");
	sqs_parse_error(&p, "", 0, "AWS.SimpleQueueService.NonExistentQueue;Sender", &e);
	is_str(e.code, "AWS.SimpleQueueService.NonExistentQueue", "from x-amzn-query-error");
	sqs_parse_error(&p, "{\"__type\":\"AccessDeniedException:http://internal\",\"Message\":\"no\"}",
	    strlen("{\"__type\":\"AccessDeniedException:http://internal\",\"Message\":\"no\"}"), NULL, &e);
	is_str(e.code, "AccessDeniedException", "a code with a suffix");
	sqs_parse_error(&p, "<html>\x01</html>", strlen("<html>\x01</html>"), NULL, &e);
	is_str(e.code, "", "garbage: no code");

	ok(sqs_classify(400, "QueueDoesNotExist") == SQS_NO_QUEUE, "missing queue");
	ok(sqs_classify(400, "AWS.SimpleQueueService.NonExistentQueue") == SQS_NO_QUEUE,
	    "missing queue, query code");
	ok(sqs_classify(400, "ThrottlingException") == SQS_RETRY, "throttling");
	ok(sqs_classify(400, "RequestThrottled") == SQS_RETRY, "throttled");
	ok(sqs_classify(500, "") == SQS_RETRY && sqs_classify(503, "x") == SQS_RETRY, "5xx");
	ok(sqs_classify(429, "") == SQS_RETRY, "429");
	ok(sqs_classify(403, "InvalidClientTokenId") == SQS_BAD_CREDS, "bad key");
	ok(sqs_classify(403, "SignatureDoesNotMatch") == SQS_BAD_CREDS, "bad signature");
	ok(sqs_classify(400, "ExpiredToken") == SQS_EXPIRED, "expired");
	ok(sqs_classify(403, "AccessDenied") == SQS_DENIED, "denied");
	ok(sqs_classify(403, "") == SQS_DENIED, "a bare 403");
	ok(sqs_classify(400, "InvalidParameterValue") == SQS_REFUSED, "other 4xx");

	ok(md5_matches("hello", 5, "5d41402abc4b2a76b9719d911017c592", 32), "md5");
	ok(!md5_matches("hello", 5, "5d41402abc4b2a76b9719d911017c59", 31), "short md5");
	ok(!md5_matches("hello", 5, "zz41402abc4b2a76b9719d911017c592", 32), "not hex");
	sqs_parser_free(&p);
	buf_free(&b);
	buf_free(&err);
	return done_testing();
}
