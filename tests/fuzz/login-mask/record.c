/*
 * Fuzz target: one input line through the record parser, the field
 * rules and the masking path, as login-mask runs them.  Properties: no
 * crash, leak or read past the line; an accepted line gives a row that
 * is one JSON object whose strings fit their columns and whose
 * reversible masks unmask to the values; a rejected one gives a reject
 * (and ack or release) that is valid JSON, with a reason from the
 * vocabulary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "key.h"
#include "login.h"
#include "mask.h"
#include "reason.h"
#include "record.h"
#include "row.h"

static struct parser p;
static struct masker hm, sm;
static struct json j;

static void
check_json(const struct buf *b)
{
	const char *s = b->data;
	size_t n = b->len;

	/* One object per line, each line ending in a newline. */
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);

		if (nl == NULL || json_parse(&j, s, (size_t)(nl - s)) != JSON_OK ||
		    j.tok[0].type != JSMN_OBJECT)
			abort();
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
}

/* The value of string key in the row just parsed into j, unescaped. */
static int
field(const char *key, struct buf *out)
{
	int v = json_get(&j, 0, key);

	buf_reset(out);
	return v > 0 && json_tokstr(&j, v, out) == JSON_OK ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct datecache dc = DATECACHE_INIT;
	struct buf out = BUF_INIT(1 << 24), v = BUF_INIT(1 << 20);
	unsigned char plain[MASK_MAX];
	char kid[KEY_ID_LEN + 1];
	struct record r;
	size_t n;
	char *line;

	if (!init) {
		if (parser_init(&p, 0) == -1 || json_init(&j, RECORD_MAXTOK) == -1)
			abort();
		fuzz_masker(&hm, 0);
		fuzz_masker(&sm, 1);
		init = 1;
	}
	/* A line, as lineread hands them out: up to the first newline. */
	if ((line = memchr(data, '\n', size)) != NULL)
		size = (size_t)((const uint8_t *)line - data);
	if (size > RECORD_LINE_MAX)
		return 0;
	/* A private copy of exactly the line, so reads past it are caught. */
	if ((line = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	p.null_app_version = size > 0 && data[0] == ' ';
	r.lineno = 1;
	if (record_parse(&p, line, size, &r) == 0) {
		if (row_put(&out, &r, &hm, &dc, 0) == -1)
			abort();
		check_json(&out);
		if (field("user_id", &v) || utf8_chars(v.data, v.len) > USER_ID_MAX ||
		    field("device_type", &v) ||
		    utf8_chars(v.data, v.len) > DEVICE_TYPE_MAX ||
		    field("masked_ip", &v) || v.len > MASK_MAX ||
		    field("masked_device_id", &v) || v.len > MASK_MAX)
			abort();
		buf_reset(&out);
		if (row_put(&out, &r, &sm, &dc, 0) == -1)
			abort();
		check_json(&out);
		if (field("masked_device_id", &v) || v.len > MASK_MAX ||
		    unmask_value(&sm, 1, FIELD_DEVICE_ID, v.data, v.len, NULL,
		    plain, &n, kid) != UNMASK_OK || n != r.login.device_id.n ||
		    memcmp(plain, r.login.device_id.p, n) != 0)
			abort();
		if (field("masked_ip", &v) || unmask_value(&sm, 1, FIELD_IP,
		    v.data, v.len, NULL, plain, &n, kid) != UNMASK_OK ||
		    n != r.login.iplen || memcmp(plain, r.login.ip, n) != 0)
			abort();
	} else {
		if (r.where < 0 || r.where >= NWHERE || r.what <= P_NONE ||
		    r.what >= NWHAT)
			abort();
		if (reject_put(&out, &r, line, size) == -1)
			abort();
		if (r.ident && (ack_put(&out, &r) == -1 ||
		    release_put(&out, &r) == -1))
			abort();
		check_json(&out);
	}
	free(line);
	buf_free(&out);
	buf_free(&v);
	return 0;
}
