#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "sqs.h"

const char *
sqs_action_name(enum sqs_action a)
{
	switch (a) {
	case SQS_RECEIVE:	return "ReceiveMessage";
	case SQS_DELETE:	return "DeleteMessageBatch";
	case SQS_VISIBILITY:	return "ChangeMessageVisibilityBatch";
	case SQS_GET_URL:	return "GetQueueUrl";
	case SQS_GET_ATTRS:	return "GetQueueAttributes";
	}
	return "?";
}

int
sqs_receive_body(struct buf *out, const char *queue_url, int max, int wait,
    int visibility)
{
	buf_reset(out);
	if (buf_adds(out, "{\"QueueUrl\":") == -1 ||
	    json_put_str(out, queue_url, strlen(queue_url)) != JSON_OK)
		return -1;
	/*
	 * Both names for the system attributes: AttributeNames is the one
	 * older servers know, MessageSystemAttributeNames the current one.
	 */
	return buf_addf(out, ",\"MaxNumberOfMessages\":%d,\"WaitTimeSeconds\":%d,"
	    "\"VisibilityTimeout\":%d,"
	    "\"MessageSystemAttributeNames\":[\"SentTimestamp\",\"ApproximateReceiveCount\"],"
	    "\"AttributeNames\":[\"SentTimestamp\",\"ApproximateReceiveCount\"]}",
	    max, wait, visibility);
}

int
sqs_get_url_body(struct buf *out, const char *name)
{
	buf_reset(out);
	if (buf_adds(out, "{\"QueueName\":") == -1 ||
	    json_put_str(out, name, strlen(name)) != JSON_OK)
		return -1;
	return buf_addc(out, '}');
}

int
sqs_get_attrs_body(struct buf *out, const char *queue_url)
{
	buf_reset(out);
	if (buf_adds(out, "{\"QueueUrl\":") == -1 ||
	    json_put_str(out, queue_url, strlen(queue_url)) != JSON_OK)
		return -1;
	return buf_adds(out, ",\"AttributeNames\":[\"QueueArn\"]}");
}

int
sqs_batch_begin(struct buf *out, const char *queue_url)
{
	buf_reset(out);
	if (buf_adds(out, "{\"QueueUrl\":") == -1 ||
	    json_put_str(out, queue_url, strlen(queue_url)) != JSON_OK)
		return -1;
	return buf_adds(out, ",\"Entries\":[");
}

int
sqs_batch_entry(struct buf *out, int id, const char *handle, size_t hlen,
    int visibility)
{
	if (buf_addf(out, "%s{\"Id\":\"%d\",\"ReceiptHandle\":",
	    out->len > 0 && out->data[out->len - 1] == '[' ? "" : ",", id) == -1 ||
	    json_put_str(out, handle, hlen) != JSON_OK)
		return -1;
	if (visibility >= 0)
		return buf_addf(out, ",\"VisibilityTimeout\":%d}", visibility);
	return buf_addc(out, '}');
}

int
sqs_batch_end(struct buf *out)
{
	return buf_adds(out, "]}");
}

int
sqs_parser_init(struct sqs_parser *p)
{
	buf_init(&p->id, SQS_ID_MAX);
	buf_init(&p->handle, SQS_HANDLE_MAX);
	/*
	 * Unescaping reserves as much as the escaped text, which may be six
	 * times the body (\uXXXX): the body's own limit is checked after.
	 */
	buf_init(&p->body, 6 * SQS_BODY_MAX);
	buf_init(&p->md5, 64);
	buf_init(&p->tmp, 256);
	return json_init(&p->j, SQS_TOKENS_MAX);
}

void
sqs_parser_free(struct sqs_parser *p)
{
	json_free(&p->j);
	buf_free(&p->id);
	buf_free(&p->handle);
	buf_free(&p->body);
	buf_free(&p->md5);
	buf_free(&p->tmp);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
md5_matches(const char *s, size_t n, const char *md5hex, size_t hexlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;
	int hi, lo;

	static EVP_MD *md5;

	/* Fetched once: a lookup per message would cost more than the hash. */
	if (md5 == NULL && (md5 = EVP_MD_fetch(NULL, "MD5", NULL)) == NULL)
		return 0;
	if (hexlen != 32 || !EVP_Digest(s, n, md, &mdlen, md5, NULL) || mdlen != 16)
		return 0;
	for (i = 0; i < 16; i++) {
		if ((hi = hexval((unsigned char)md5hex[2 * i])) < 0 ||
		    (lo = hexval((unsigned char)md5hex[2 * i + 1])) < 0 ||
		    (unsigned)(hi << 4 | lo) != md[i])
			return 0;
	}
	return 1;
}

/* A string token unescaped into b: 0, or -1 (not a string, too long...). */
static int
str_at(const struct json *j, int i, struct buf *b)
{
	buf_reset(b);
	if (i < 0 || j->tok[i].type != JSMN_STRING)
		return -1;
	return json_tokstr(j, i, b) == JSON_OK ? 0 : -1;
}

/* A non-negative decimal attribute ("1696287680114"), or -1. */
static long long
attr_num(struct sqs_parser *p, int attrs, const char *key)
{
	long long v = 0;
	size_t i;

	if (str_at(&p->j, json_get(&p->j, attrs, key), &p->tmp) == -1 ||
	    p->tmp.len == 0 || p->tmp.len > 18)
		return -1;
	for (i = 0; i < p->tmp.len; i++) {
		if (!isdigit((unsigned char)p->tmp.data[i]))
			return -1;
		v = v * 10 + (p->tmp.data[i] - '0');
	}
	return v;
}

static void
one_message(struct sqs_parser *p, int obj,
    void (*fn)(const struct sqs_msg *m, void *arg), void *arg)
{
	const struct json *j = &p->j;
	struct sqs_msg m;
	int i, attrs, r;

	memset(&m, 0, sizeof m);
	m.sent_ts = m.recv_count = -1;
	if (str_at(j, json_get(j, obj, "MessageId"), &p->id) == 0 && p->id.len > 0) {
		m.id = p->id.data;
		m.idlen = p->id.len;
	}
	if (m.id == NULL) {
		m.problem = "no MessageId";
		goto out;
	}
	if (str_at(j, json_get(j, obj, "ReceiptHandle"), &p->handle) == -1 ||
	    p->handle.len == 0) {
		m.problem = "no usable ReceiptHandle";
		goto out;
	}
	m.handle = p->handle.data;
	m.hlen = p->handle.len;
	buf_reset(&p->body);
	i = json_get(j, obj, "Body");
	if (i < 0 || j->tok[i].type != JSMN_STRING) {
		m.problem = "no Body";
		goto out;
	}
	if ((r = json_tokstr(j, i, &p->body)) != JSON_OK ||
	    p->body.len > SQS_BODY_MAX) {
		m.problem = r == JSON_OK || r == JSON_ENOMEM ?
		    "Body larger than 1 MiB" : "Body is not valid text";
		goto out;
	}
	m.body = p->body.data != NULL ? p->body.data : "";
	m.blen = p->body.len;
	if (str_at(j, json_get(j, obj, "MD5OfBody"), &p->md5) == -1) {
		m.problem = "no MD5OfBody";
		goto out;
	}
	if (!md5_matches(m.body, m.blen, p->md5.data, p->md5.len)) {
		m.problem = "MD5OfBody does not match the body";
		goto out;
	}
	if ((attrs = json_get(j, obj, "Attributes")) >= 0 &&
	    j->tok[attrs].type == JSMN_OBJECT) {
		m.sent_ts = attr_num(p, attrs, "SentTimestamp");
		m.recv_count = attr_num(p, attrs, "ApproximateReceiveCount");
	}
out:
	fn(&m, arg);
}

static int
parse_object(struct sqs_parser *p, const char *text, size_t len, struct buf *err)
{
	int r = json_parse(&p->j, text, len);

	if (r != JSON_OK) {
		buf_addf(err, "response is not valid JSON: %s at byte %zu",
		    json_strerror(r), p->j.errpos);
		return -1;
	}
	if (p->j.tok[0].type != JSMN_OBJECT) {
		buf_addf(err, "response is not a JSON object");
		return -1;
	}
	return 0;
}

int
sqs_parse_receive(struct sqs_parser *p, const char *text, size_t len,
    void (*fn)(const struct sqs_msg *m, void *arg), void *arg, struct buf *err)
{
	int ms, k, n, count = 0;

	if (parse_object(p, text, len, err) == -1)
		return -1;
	if ((ms = json_get(&p->j, 0, "Messages")) < 0 || json_isnull(&p->j, ms))
		return 0;
	if (p->j.tok[ms].type != JSMN_ARRAY) {
		buf_addf(err, "response Messages is not an array");
		return -1;
	}
	if (p->j.tok[ms].size > SQS_BATCH_MAX) {
		buf_addf(err, "response has more than %d messages", SQS_BATCH_MAX);
		return -1;
	}
	for (k = ms + 1, n = 0; n < p->j.tok[ms].size; n++, k = json_skip(&p->j, k)) {
		if (p->j.tok[k].type != JSMN_OBJECT) {
			struct sqs_msg m = { .problem = "not an object", .sent_ts = -1,
			    .recv_count = -1 };
			fn(&m, arg);
		} else {
			one_message(p, k, fn, arg);
		}
		count++;
	}
	return count;
}

int
sqs_parse_get_url(struct sqs_parser *p, const char *text, size_t len,
    struct buf *url, struct buf *err)
{
	if (parse_object(p, text, len, err) == -1)
		return -1;
	buf_reset(url);
	if (str_at(&p->j, json_get(&p->j, 0, "QueueUrl"), url) == -1 || url->len == 0) {
		buf_addf(err, "response has no QueueUrl");
		return -1;
	}
	return 0;
}

/* The entry index an Id names ("0".."9"), or -1. */
static int
entry_id(struct sqs_parser *p, int obj, int n)
{
	if (str_at(&p->j, json_get(&p->j, obj, "Id"), &p->tmp) == -1 ||
	    p->tmp.len != 1 || !isdigit((unsigned char)p->tmp.data[0]) ||
	    p->tmp.data[0] - '0' >= n)
		return -1;
	return p->tmp.data[0] - '0';
}

int
sqs_parse_batch(struct sqs_parser *p, const char *text, size_t len, int n,
    struct sqs_batch_result *r, struct buf *err)
{
	int list, k, i, id, fault;
	const struct json *j = &p->j;

	memset(r, 0, sizeof *r);
	if (parse_object(p, text, len, err) == -1)
		return -1;
	if ((list = json_get(j, 0, "Successful")) >= 0 && j->tok[list].type == JSMN_ARRAY)
		for (k = list + 1, i = 0; i < j->tok[list].size; i++, k = json_skip(j, k))
			if (j->tok[k].type == JSMN_OBJECT && (id = entry_id(p, k, n)) >= 0)
				r->e[id] = SQS_ENTRY_OK;
	if ((list = json_get(j, 0, "Failed")) >= 0 && j->tok[list].type == JSMN_ARRAY)
		for (k = list + 1, i = 0; i < j->tok[list].size; i++, k = json_skip(j, k)) {
			if (j->tok[k].type != JSMN_OBJECT || (id = entry_id(p, k, n)) < 0)
				continue;
			fault = json_get(j, k, "SenderFault");
			fault = fault >= 0 && j->tok[fault].type == JSMN_PRIMITIVE &&
			    j->s[j->tok[fault].start] == 't';
			r->e[id] = fault ? SQS_ENTRY_FAILED : SQS_ENTRY_RETRY;
			if (str_at(j, json_get(j, k, "Code"), &p->tmp) == 0) {
				size_t c, m = 0;
				for (c = 0; c < p->tmp.len && m + 1 < sizeof r->code[id]; c++)
					if (isalnum((unsigned char)p->tmp.data[c]) ||
					    strchr("._-", p->tmp.data[c]) != NULL)
						r->code[id][m++] = p->tmp.data[c];
				r->code[id][m] = '\0';
			}
		}
	return 0;
}

/* Copies printable ASCII of s[0..n) into out[size]. */
static void
printable_copy(char *out, size_t size, const char *s, size_t n)
{
	size_t i, m = 0;

	for (i = 0; i < n && m + 1 < size; i++)
		out[m++] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ?
		    s[i] : '?';
	out[m] = '\0';
}

void
sqs_parse_error(struct sqs_parser *p, const char *text, size_t len,
    const char *qerr, struct sqs_error *e)
{
	struct buf err = BUF_INIT(256);
	const char *hash;
	int i;

	e->code[0] = e->message[0] = '\0';
	if (len > 0 && parse_object(p, text, len, &err) == 0) {
		i = json_get(&p->j, 0, "__type");
		if (i < 0)
			i = json_get(&p->j, 0, "code");
		if (i < 0)
			i = json_get(&p->j, 0, "Code");
		if (str_at(&p->j, i, &p->tmp) == 0) {
			/* "com.amazonaws.sqs#QueueDoesNotExist", or a bare code. */
			hash = memchr(p->tmp.data, '#', p->tmp.len);
			if (hash != NULL)
				printable_copy(e->code, sizeof e->code, hash + 1,
				    p->tmp.len - (size_t)(hash + 1 - p->tmp.data));
			else
				printable_copy(e->code, sizeof e->code, p->tmp.data,
				    p->tmp.len);
			/* Some services append ":http://..." to the type. */
			e->code[strcspn(e->code, ":")] = '\0';
		}
		i = json_get(&p->j, 0, "message");
		if (i < 0)
			i = json_get(&p->j, 0, "Message");
		if (str_at(&p->j, i, &p->tmp) == 0)
			printable_copy(e->message, sizeof e->message, p->tmp.data,
			    p->tmp.len);
	}
	buf_free(&err);
	if (e->code[0] == '\0' && qerr != NULL)
		printable_copy(e->code, sizeof e->code, qerr, strcspn(qerr, ";"));
}

static int
in(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

enum sqs_fail
sqs_classify(long status, const char *code)
{
	static const char *const retry[] = {
		"ThrottlingException", "Throttling", "RequestThrottled",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "RequestLimitExceeded",
		"BandwidthLimitExceeded", "SlowDown", "KmsThrottled",
		"KMS.ThrottlingException", "PriorRequestNotComplete",
		"RequestTimeout", "RequestTimeoutException", "InternalError",
		"InternalFailure", "ServiceUnavailable", "RequestExpired",
		"AWS.SimpleQueueService.InternalError", NULL
	};
	static const char *const noqueue[] = {
		"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"NonExistentQueue", NULL
	};
	static const char *const expired[] = {
		"ExpiredToken", "ExpiredTokenException", NULL
	};
	static const char *const creds[] = {
		"InvalidClientTokenId", "UnrecognizedClientException",
		"SignatureDoesNotMatch", "IncompleteSignature",
		"MissingAuthenticationToken", "MissingAuthenticationTokenException",
		"InvalidSecurity", "InvalidAccessKeyId", "AuthFailure",
		"InvalidSignatureException", NULL
	};
	static const char *const denied[] = {
		"AccessDenied", "AccessDeniedException", "KmsAccessDenied",
		"KMS.AccessDeniedException", "NotAuthorized", "UnauthorizedOperation",
		"OptInRequired", NULL
	};

	if (in(code, noqueue))
		return SQS_NO_QUEUE;
	if (in(code, expired))
		return SQS_EXPIRED;
	if (in(code, creds))
		return SQS_BAD_CREDS;
	if (in(code, denied))
		return SQS_DENIED;
	if (in(code, retry) || status >= 500 || status == 429 || status < 200)
		return SQS_RETRY;
	if (status == 403 && code[0] == '\0')
		return SQS_DENIED;
	return SQS_REFUSED;
}
