/* out: acks and reject lines as the next stage and a replay read them. */
#include <string.h>

#include "json.h"
#include "out.h"
#include "tap.h"

static struct json j;

/* Whether line (without its newline) is a JSON object whose key is val. */
static int
has(const char *line, const char *key, const char *val)
{
	struct buf b = BUF_INIT(4096);
	size_t n = strlen(line);
	int i, eq;

	if (n == 0 || line[n - 1] != '\n' || json_parse(&j, line, n - 1) != JSON_OK)
		return 0;
	if ((i = json_get(&j, 0, key)) < 0)
		return val == NULL;
	if (val == NULL || json_tokstr(&j, i, &b) != JSON_OK)
		return 0;
	eq = strcmp(buf_cstr(&b), val) == 0;
	buf_free(&b);
	return eq;
}

static void
acks(void)
{
	struct buf b = BUF_INIT(4096);

	ack_line(&b, "rh\\/1", 5, "m-1", 3, "loaded");
	is_str(buf_cstr(&b), "{\"receipt_handle\":\"rh\\/1\",\"message_id\":"
	    "\"m-1\",\"status\":\"loaded\"}\n", "an ack, ids as they came");
	ok(has(buf_cstr(&b), "receipt_handle", "rh/1"),
	    "which reads back as the receipt handle");
	buf_reset(&b);
	ack_line(&b, "rh", 2, NULL, 0, "released");
	ok(has(buf_cstr(&b), "message_id", NULL) &&
	    has(buf_cstr(&b), "status", "released"),
	    "without a message id the key is left out");
	buf_free(&b);
}

static void
rejects(void)
{
	struct buf b = BUF_INIT(1 << 16);
	const char *in = "{\"message_id\":\"m\",\"reason\":\"old\",\"user_id\":"
	    "\"caf\\u00e9\",\"n\":[1, 2],\"stage\":\"login-mask\"}";

	ok(reject_line(&b, &j, in, strlen(in), "ERROR:  22001: value \"too\" "
	    "long\nCONTEXT:  ...") == 0, "a reject line is written");
	is_str(buf_cstr(&b), "{\"message_id\":\"m\",\"user_id\":\"caf\\u00e9\","
	    "\"n\":[1, 2],\"reason\":\"ERROR:  22001: value \\\"too\\\" long\\n"
	    "CONTEXT:  ...\",\"stage\":\"pg-load\"}\n",
	    "the record's own pairs as they came, reason and stage replaced");
	buf_reset(&b);
	reject_line(&b, &j, "{}", 2, "why");
	is_str(buf_cstr(&b), "{\"reason\":\"why\",\"stage\":\"pg-load\"}\n",
	    "an empty record");
	buf_reset(&b);
	reject_line(&b, &j, "not \"json\"\t", 11, "not a JSON object");
	ok(has(buf_cstr(&b), "line", "not \"json\"\t") &&
	    has(buf_cstr(&b), "stage", "pg-load"),
	    "a line that is not JSON is kept whole as \"line\"");
	buf_reset(&b);
	reject_line(&b, &j, "a\xff\x00z", 4, "bad");
	ok(has(buf_cstr(&b), "line_base64", "Yf8Aeg=="),
	    "a line that is not UTF-8 is kept as base64");
	buf_reset(&b);
	reject_line(&b, &j, "{}", 2, "server says \xff");
	ok(has(buf_cstr(&b), "reason", "server says \xef\xbf\xbd"),
	    "a reason that is not UTF-8 still makes valid JSON");
	buf_free(&b);
}

int
main(void)
{
	if (json_init(&j, 256) == -1)
		return 1;
	acks();
	rejects();
	json_free(&j);
	return done_testing();
}
