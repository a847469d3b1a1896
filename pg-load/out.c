#include <string.h>

#include "out.h"

#define ADD(b, lit) buf_add((b), (lit), sizeof (lit) - 1)

int
ack_head(struct buf *out, const char *rh, size_t rhlen, const char *mid,
    size_t midlen)
{
	size_t old = out->len;

	if (ADD(out, "{\"receipt_handle\":\"") == -1 ||
	    buf_add(out, rh, rhlen) == -1)
		goto fail;
	if (mid != NULL && (ADD(out, "\",\"message_id\":\"") == -1 ||
	    buf_add(out, mid, midlen) == -1))
		goto fail;
	if (ADD(out, "\",\"status\":\"") == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}

int
ack_tail(struct buf *out, const char *status)
{
	size_t old = out->len;

	if (buf_adds(out, status) == -1 || ADD(out, "\"}\n") == -1) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

int
ack_line(struct buf *out, const char *rh, size_t rhlen, const char *mid,
    size_t midlen, const char *status)
{
	size_t old = out->len;

	if (ack_head(out, rh, rhlen, mid, midlen) == -1)
		return -1;
	if (ack_tail(out, status) == -1) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

/* A JSON string of s, with any byte that is not UTF-8 as U+FFFD. */
static int
put_str_lossy(struct buf *out, const char *s, size_t n)
{
	struct buf clean = BUF_INIT(3 * n + 1);
	size_t i, k;
	int rc;

	if (json_put_str(out, s, n) == JSON_OK)
		return 0;
	for (i = 0; i < n; i += k) {
		k = utf8_seqlen((const unsigned char *)s + i, n - i);
		if (k == 0) {
			k = 1;
			rc = buf_add(&clean, "\xef\xbf\xbd", 3);
		} else {
			rc = buf_add(&clean, s + i, k);
		}
		if (rc == -1) {
			buf_free(&clean);
			return -1;
		}
	}
	rc = json_put_str(out, buf_cstr(&clean), clean.len) == JSON_OK ? 0 : -1;
	buf_free(&clean);
	return rc;
}

static int
put_base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];
	size_t i;
	unsigned v;

	if (buf_addc(out, '"') == -1)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (unsigned)p[i] << 16 |
		    (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	return buf_addc(out, '"');
}

/* The record's own pairs, but for those pg-load adds. */
static int
put_pairs(struct buf *out, const struct json *j)
{
	const jsmntok_t *kt, *vt;
	int k, v, n, first = 1;
	size_t a, e;

	for (k = 1, n = 0; n < j->tok[0].size; n++, k = json_skip(j, v)) {
		v = k + 1;
		if (json_streq(j, k, "reason") || json_streq(j, k, "stage"))
			continue;
		kt = &j->tok[k];
		vt = &j->tok[v];
		a = (size_t)kt->start - 1;	/* the key's opening quote */
		e = (size_t)vt->end + (vt->type == JSMN_STRING);
		if ((!first && buf_addc(out, ',') == -1) ||
		    buf_add(out, j->s + a, e - a) == -1)
			return -1;
		first = 0;
	}
	return first ? 0 : buf_addc(out, ',');
}

int
reject_line(struct buf *out, struct json *j, const char *line, size_t len,
    const char *reason)
{
	size_t old = out->len;
	int rc;

	if (buf_addc(out, '{') == -1)
		goto fail;
	if (json_parse(j, line, len) == JSON_OK &&
	    j->tok[0].type == JSMN_OBJECT)
		rc = put_pairs(out, j);
	else if (utf8_valid(line, len))
		rc = buf_adds(out, "\"line\":") == -1 ||
		    json_put_str(out, line, len) != JSON_OK ||
		    buf_addc(out, ',') == -1 ? -1 : 0;
	else
		rc = buf_adds(out, "\"line_base64\":") == -1 ||
		    put_base64(out, (const unsigned char *)line, len) == -1 ||
		    buf_addc(out, ',') == -1 ? -1 : 0;
	if (rc == -1 || buf_adds(out, "\"reason\":") == -1 ||
	    put_str_lossy(out, reason, strlen(reason)) == -1 ||
	    buf_adds(out, ",\"stage\":\"pg-load\"}\n") == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}
