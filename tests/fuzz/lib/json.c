/*
 * Fuzz target: lib's strict JSON reader, unescaping and writing.
 * Properties: no crash or leak on any input; a text json_parse accepts
 * yields tokens inside it; every string it accepts unescapes to valid
 * UTF-8 or a reported error, and what unescapes writes back to a string
 * that parses and unescapes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json j, j2;
	static int init;
	struct buf s = BUF_INIT(1 << 22), w = BUF_INIT(1 << 24),
	    back = BUF_INIT(1 << 22);
	char *text;
	int i, r;

	if (!init) {
		if (json_init(&j, 4096) == -1 || json_init(&j2, 16) == -1)
			abort();
		init = 1;
	}
	/* A private copy, so reads past size are caught. */
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	if (json_parse(&j, text, size) == JSON_OK) {
		for (i = 0; i < j.ntok; i++) {
			if (j.tok[i].start < 0 || j.tok[i].end > (int)size ||
			    j.tok[i].start > j.tok[i].end)
				abort();
			if (j.tok[i].type != JSMN_STRING)
				continue;
			buf_reset(&s);
			if (json_tokstr(&j, i, &s) != JSON_OK)
				continue;
			if (!utf8_valid(s.data, s.len) || memchr(s.data, 0, s.len))
				abort();
			buf_reset(&w);
			buf_reset(&back);
			if (json_put_str(&w, s.data, s.len) != JSON_OK)
				abort();
			r = json_parse(&j2, w.data, w.len);
			if (r != JSON_OK || json_tokstr(&j2, 0, &back) != JSON_OK ||
			    back.len != s.len || memcmp(back.data, s.data, s.len) != 0)
				abort();
		}
	}
	/* Unescaping raw input must never crash either. */
	buf_reset(&s);
	(void)json_unescape(&s, text, size);
	free(text);
	buf_free(&s);
	buf_free(&w);
	buf_free(&back);
	return 0;
}
