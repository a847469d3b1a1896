#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "copy.h"
#include "json.h"

/*
 * How each byte is written: 0 as it is, 1 refused (EINVAL), anything
 * else as a backslash and that character.
 */
static const char copy_esc[256] = {
	['\\'] = '\\', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
	['\0'] = 1,	/* no escape can express it */
};
static const char array_esc[256] = {
	['\\'] = '\\', ['"'] = '"',
	['\0'] = 1,
};

/* Appends s[0..n) escaped by table; out is left as it was on failure. */
static int
put_escaped(struct buf *out, const char *s, size_t n, const char *table)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = 0, old = out->len;
	char esc[2] = { '\\', 0 };

	for (i = 0; i < n; i++) {
		if (table[p[i]] == 0)
			continue;
		if (table[p[i]] == 1) {
			errno = EINVAL;
			goto fail;
		}
		esc[1] = table[p[i]];
		if (buf_add(out, s + start, i - start) == -1 ||
		    buf_add(out, esc, 2) == -1)
			goto fail;
		start = i + 1;
	}
	if (buf_add(out, s + start, n - start) == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}

int
copy_put_text(struct buf *out, const char *s, size_t n)
{
	return put_escaped(out, s, n, copy_esc);
}

int
copy_put_null(struct buf *out)
{
	return buf_add(out, "\\N", 2);
}

int
copy_put_jstring(struct buf *out, struct buf *scratch, const char *s,
    size_t n)
{
	int r;

	if (memchr(s, '\\', n) == NULL)
		return buf_add(out, s, n);
	buf_reset(scratch);
	if ((r = json_unescape(scratch, s, n)) != JSON_OK) {
		errno = r == JSON_ENOMEM ? ENOMEM : r == JSON_ENUL ? EINVAL :
		    EILSEQ;
		return -1;
	}
	return copy_put_text(out, scratch->data, scratch->len);
}

int
copy_put_int(struct buf *out, int64_t v)
{
	return buf_addf(out, "%" PRId64, v);
}

int
array_open(struct buf *out)
{
	return buf_addc(out, '{');
}

/* A comma before every element but the first. */
static int
array_sep(struct buf *out)
{
	if (out->len > 0 && out->data[out->len - 1] != '{')
		return buf_addc(out, ',');
	return 0;
}

int
array_put_text(struct buf *out, const char *s, size_t n)
{
	size_t old = out->len;

	if (array_sep(out) == -1 || buf_addc(out, '"') == -1 ||
	    put_escaped(out, s, n, array_esc) == -1 || buf_addc(out, '"') == -1) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

int
array_put_int(struct buf *out, int64_t v)
{
	size_t old = out->len;

	if (array_sep(out) == -1 || buf_addf(out, "%" PRId64, v) == -1) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

int
array_close(struct buf *out)
{
	return buf_addc(out, '}');
}
