/* record: row records read, classified and encoded as COPY rows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "copytext.h"
#include "record.h"
#include "tap.h"

static char *names[] = { "user_id", "locale", "app_version", "doc", "ok" };
static size_t lens[] = { 7, 6, 11, 3, 2 };
static const struct columns cols = { 5, names, lens };
static struct recparser p;

/* Parses s; returns its kind, the COPY row in row (if a row). */
static int
parse(const char *s, struct record *r, struct buf *row)
{
	buf_reset(row);
	if (record_parse(&p, s, strlen(s), r) == -1)
		return -2;
	if (r->kind == REC_ROW && record_copy_row(&p, r, row) == -1)
		return -2;
	return r->kind;
}

static void
rows(void)
{
	struct buf row = BUF_INIT(4096);
	struct record r;
	const char *s;

	s = "{\"message_id\":\"m-1\",\"receipt_handle\":\"rh\\/1\","
	    "\"sent_timestamp\":1696287680114,\"user_id\":\"u\\t1\","
	    "\"locale\":null,\"app_version\":2003000,\"doc\":{\"a\":[1,\"x\"]},"
	    "\"ok\":true,\"extra\":\"ignored\"}";
	ok(parse(s, &r, &row) == REC_ROW, "a row record is a row");
	ok(r.mid != NULL && r.midlen == 3 && memcmp(r.mid, "m-1", 3) == 0,
	    "its message id");
	ok(r.rh != NULL && r.rhlen == 5 && memcmp(r.rh, "rh\\/1", 5) == 0,
	    "its receipt handle, still escaped as in the line");
	ok(r.ts == 1696287680114LL, "its sent_timestamp");
	is_str(buf_cstr(&row), "u\\t1\t\\N\t2003000\t{\"a\":[1,\"x\"]}\ttrue\n",
	    "columns in table order: string unescaped and escaped, null, "
	    "number, JSON text, boolean");

	s = "  {\"us\\u0065r_id\": \"x\" , \"app_version\" : -1.5e3 }  ";
	ok(parse(s, &r, &row) == REC_ROW && r.mid == NULL && r.rh == NULL &&
	    r.ts == 0, "without meta keys: no id, no handle, timestamp 0");
	is_str(buf_cstr(&row), "x\t\\N\t-1.5e3\t\\N\t\\N\n",
	    "an escaped key names its column; missing keys are NULL");

	ok(parse("{\"user_id\":\"\"}", &r, &row) == REC_ROW &&
	    strcmp(buf_cstr(&row), "\t\\N\t\\N\t\\N\t\\N\n") == 0,
	    "the empty string is not NULL");
	ok(parse("{\"message_id\":null,\"user_id\":\"a\"}", &r, &row) == REC_ROW &&
	    r.mid == NULL, "a null message id counts as none");
	buf_free(&row);
}

static void
kinds(void)
{
	struct buf row = BUF_INIT(4096);
	struct record r;

	ok(parse("{\"message_id\":\"m\",\"receipt_handle\":\"h\","
	    "\"sent_timestamp\":5,\"ack_only\":true}", &r, &row) == REC_ACK_ONLY &&
	    r.rh != NULL, "ack_only: acknowledged, not loaded");
	ok(parse("{\"message_id\":\"m\",\"receipt_handle\":\"h\","
	    "\"release\":true}", &r, &row) == REC_RELEASE,
	    "release: given back, not loaded");
	ok(parse("{\"ack_only\":false,\"user_id\":\"a\"}", &r, &row) == REC_ROW,
	    "ack_only false is a row");
	ok(parse("{\"ack_only\":true,\"release\":true}", &r, &row) == REC_BAD,
	    "both is refused");
	buf_free(&row);
}

/* A refusal: REC_BAD with a reason containing want, and never secret. */
static void
refused(const char *s, const char *want, const char *what)
{
	struct buf row = BUF_INIT(4096);
	struct record r;
	int k = parse(s, &r, &row);

	if (k == REC_ROW)	/* refused while encoding */
		k = r.kind;
	ok(k == REC_BAD && strstr(r.why, want) != NULL &&
	    strstr(r.why, "SECRET") == NULL && row.len == 0, "%s", what);
	if (k != REC_BAD || strstr(r.why, want) == NULL)
		printf("# kind %d, why: %s\n", k, r.why);
	buf_free(&row);
}

static void
bad(void)
{
	refused("not json", "not a JSON object", "text that is not JSON");
	refused("[\"SECRET\"]", "not a JSON object", "an array");
	refused("\"SECRET\"", "not a JSON object", "a string");
	refused("{\"user_id\":\"SECRET\"}{}", "not a JSON object",
	    "two objects on a line");
	refused("{\"user_id\":\"SECRET\",\"user_id\":\"b\"}",
	    "key user_id: given twice", "a column given twice");
	refused("{\"message_id\":\"SECRET\",\"message_id\":\"b\",\"ok\":1}",
	    "key message_id: given twice", "a meta key given twice");
	refused("{\"message_id\":12,\"user_id\":\"SECRET\"}",
	    "message_id: not a string", "a numeric message id");
	refused("{\"receipt_handle\":[],\"user_id\":\"SECRET\"}",
	    "receipt_handle: not a string", "a receipt handle that is no string");
	refused("{\"sent_timestamp\":\"1\",\"user_id\":\"SECRET\"}",
	    "sent_timestamp", "a timestamp as a string");
	refused("{\"sent_timestamp\":-1,\"user_id\":\"SECRET\"}",
	    "sent_timestamp", "a negative timestamp");
	refused("{\"sent_timestamp\":1.5,\"user_id\":\"SECRET\"}",
	    "sent_timestamp", "a fractional timestamp");
	refused("{\"sent_timestamp\":99999999999999999999,\"user_id\":\"S\"}",
	    "sent_timestamp", "a timestamp past 64 bits");
	refused("{\"ack_only\":\"SECRET\"}", "ack_only", "ack_only not a boolean");
	refused("{\"other\":\"SECRET\",\"message_id\":\"m\"}",
	    "no key names a column", "a record naming no column");
	refused("{\"user_id\":\"SECRET\\u0000\"}", "column user_id: a NUL",
	    "a NUL in a value, naming the column");
	refused("{\"locale\":\"SECRET\\udc00\"}", "column locale: a lone surrogate",
	    "a lone surrogate in a value");
	refused("{\"message_id\":\"SECRET\\u0000\",\"ok\":1}", "message_id: a NUL",
	    "a NUL in the message id");
	refused("{\"user_id\":\"SECRET\x01\"}", "not a JSON object",
	    "a raw control character");
	refused("{\"user_id\":\"SECRET\xff\"}", "not a JSON object",
	    "invalid UTF-8");
}

/*
 * A fault in one key does not hide the ids after it: the record is
 * still acknowledged by its handle and named by its id.
 */
static void
faults(void)
{
	struct buf row = BUF_INIT(4096);
	struct record r;

	ok(parse("{\"message_id\":\"m2\\u0000x\",\"receipt_handle\":\"h2\","
	    "\"sent_timestamp\":5,\"user_id\":\"SECRET\"}", &r, &row) == REC_BAD &&
	    strstr(r.why, "message_id: a NUL") != NULL &&
	    r.rh != NULL && r.rhlen == 2 && memcmp(r.rh, "h2", 2) == 0 &&
	    r.mid != NULL && r.midlen == 9 && r.ts == 5,
	    "a bad message id: the handle and timestamp after it are read");
	ok(parse("{\"sent_timestamp\":\"soon\",\"message_id\":\"m3\","
	    "\"receipt_handle\":\"h3\",\"ok\":1}", &r, &row) == REC_BAD &&
	    strstr(r.why, "sent_timestamp") != NULL && r.ts == 0 &&
	    r.mid != NULL && r.midlen == 2 && r.rh != NULL && r.rhlen == 2,
	    "a bad timestamp: the ids after it are read, the timestamp is 0");
	ok(parse("{\"user_id\":\"a\",\"user_id\":\"b\",\"receipt_handle\":\"h4\"}",
	    &r, &row) == REC_BAD && strstr(r.why, "user_id: given twice") &&
	    r.rh != NULL, "a column given twice: the handle after it is read");
	ok(parse("{\"message_id\":12,\"receipt_handle\":\"h5\",\"ok\":1}", &r,
	    &row) == REC_BAD && r.mid == NULL && r.rh != NULL,
	    "a message id that is no string is none, and the handle is read");
	ok(parse("{\"receipt_handle\":\"h6\",\"receipt_handle\":\"h7\",\"ok\":1}",
	    &r, &row) == REC_BAD && strstr(r.why, "given twice") &&
	    r.rh != NULL && memcmp(r.rh, "h6", 2) == 0,
	    "a handle given twice: the first stands, and the record is refused");
	ok(parse("{\"ack_only\":\"x\",\"release\":true,\"receipt_handle\":\"h8\","
	    "\"message_id\":\"m8\"}", &r, &row) == REC_BAD &&
	    strstr(r.why, "ack_only: neither") && r.rh != NULL && r.mid != NULL,
	    "the first fault is the reason");
	ok(parse("{\"message_id\":\"m9\",\"receipt_handle\":\"h9\",\"\\udc00\":1,"
	    "\"ok\":1}", &r, &row) == REC_BAD && strstr(r.why, "a key is") &&
	    r.rh != NULL, "a key that is no text: the record is refused");
	buf_free(&row);
}

/* Message ids up to MID_MAX bytes, unescaped, fit the ledger's index. */
static void
long_ids(void)
{
	struct buf line = BUF_INIT(1 << 16), row = BUF_INIT(1 << 16);
	struct record r;
	size_t i;
	int k;

	buf_adds(&line, "{\"ok\":1,\"message_id\":\"");
	for (i = 0; i < MID_MAX; i++)
		buf_addc(&line, 'm');
	buf_adds(&line, "\",\"receipt_handle\":\"h\"}");
	ok(parse(buf_cstr(&line), &r, &row) == REC_ROW && r.midlen == MID_MAX,
	    "a message id of " MID_MAX_TEXT " bytes is taken");

	buf_reset(&line);
	buf_adds(&line, "{\"ok\":1,\"message_id\":\"");
	for (i = 0; i <= MID_MAX; i++)
		buf_addc(&line, 'm');
	buf_adds(&line, "\",\"receipt_handle\":\"h\"}");
	k = parse(buf_cstr(&line), &r, &row);
	ok(k == REC_BAD && strcmp(r.why, "message_id: longer than "
	    MID_MAX_TEXT " bytes") == 0 && r.rh != NULL && r.mid != NULL,
	    "one byte more is refused, and still acknowledged");

	buf_reset(&line);
	buf_adds(&line, "{\"ok\":1,\"message_id\":\"");
	for (i = 0; i < MID_MAX; i++)
		buf_adds(&line, "\\u0041");
	buf_adds(&line, "\"}");
	ok(parse(buf_cstr(&line), &r, &row) == REC_ROW,
	    "the limit is on the id unescaped");
	buf_reset(&line);
	buf_adds(&line, "{\"ok\":1,\"message_id\":\"");
	for (i = 0; i <= MID_MAX / 2; i++)
		buf_adds(&line, "\\u00e9");
	buf_adds(&line, "\"}");
	ok(parse(buf_cstr(&line), &r, &row) == REC_BAD,
	    "in bytes, not characters");
	buf_free(&line);
	buf_free(&row);
}

/* A table whose columns include meta keys: they load like any key. */
static void
meta_columns(void)
{
	static char *mnames[] = { "message_id", "sent_timestamp" };
	static size_t mlens[] = { 10, 14 };
	static const struct columns mcols = { 2, mnames, mlens };
	struct recparser mp;
	struct buf row = BUF_INIT(256);
	struct record r;
	const char *s = "{\"message_id\":\"m-9\",\"sent_timestamp\":7}";

	ok(recparser_init(&mp, &mcols) == 0 &&
	    record_parse(&mp, s, strlen(s), &r) == 0 && r.kind == REC_ROW &&
	    record_copy_row(&mp, &r, &row) == 0 && r.ts == 7,
	    "meta keys that are columns are loaded and still steer");
	is_str(buf_cstr(&row), "m-9\t7\n", "their values");
	recparser_free(&mp);
	buf_free(&row);
}

int
main(void)
{
	if (recparser_init(&p, &cols) == -1)
		return 1;
	rows();
	kinds();
	bad();
	faults();
	long_ids();
	meta_columns();
	recparser_free(&p);
	return done_testing();
}
