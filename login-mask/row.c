#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "reason.h"
#include "row.h"

#define PUT(d, lit) (memcpy((d), (lit), sizeof(lit) - 1), (d) + sizeof(lit) - 1)

static char *
put(char *d, const void *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

static char *
put_uint(char *d, unsigned long long v)
{
	char tmp[20], *q = tmp + sizeof tmp;

	do
		*--q = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return put(d, q, (size_t)(tmp + sizeof tmp - q));
}

const char *
utc_date(struct datecache *dc, long long ms)
{
	long long days = ms / 86400000, era, doe, yoe, doy, mp, y, m, d;

	if (days == dc->day)
		return dc->s;
	dc->day = days;
	/* civil_from_days (H. Hinnant), for days since 1970-01-01 >= 0. */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	dc->s[0] = (char)('0' + y / 1000 % 10);
	dc->s[1] = (char)('0' + y / 100 % 10);
	dc->s[2] = (char)('0' + y / 10 % 10);
	dc->s[3] = (char)('0' + y % 10);
	dc->s[4] = '-';
	dc->s[5] = (char)('0' + m / 10);
	dc->s[6] = (char)('0' + m % 10);
	dc->s[7] = '-';
	dc->s[8] = (char)('0' + d / 10);
	dc->s[9] = (char)('0' + d % 10);
	dc->s[10] = '\0';
	return dc->s;
}

/* The identity keys a record had, each followed by a comma. */
static char *
put_ident(char *d, const struct record *r, int with_ts)
{
	if (r->mid != NULL) {
		d = PUT(d, "\"message_id\":\"");
		d = put(d, r->mid, r->midlen);
		d = PUT(d, "\",");
	}
	if (r->rh != NULL) {
		d = PUT(d, "\"receipt_handle\":\"");
		d = put(d, r->rh, r->rhlen);
		d = PUT(d, "\",");
	}
	if (with_ts && r->ts != NULL) {
		d = PUT(d, "\"sent_timestamp\":");
		d = put(d, r->ts, r->tslen);
		*d++ = ',';
	}
	return d;
}

static size_t
ident_len(const struct record *r)
{
	return 64 + r->midlen + r->rhlen + r->tslen;
}

/*
 * A string column: copied when it came without escapes, else escaped
 * again by json_put_str (which may move out->data: *d is rebased, and
 * room for the rest of the row is reserved again).
 */
static int
put_text(struct buf *out, char **d, const struct text *t, size_t rest)
{
	if (t->raw) {
		*(*d)++ = '"';
		*d = put(*d, t->p, t->n);
		*(*d)++ = '"';
		return 0;
	}
	out->len = (size_t)(*d - out->data);
	if (json_put_str(out, t->p, t->n) != JSON_OK ||
	    buf_reserve(out, rest) == -1)
		return -1;
	*d = out->data + out->len;
	return 0;
}

int
row_put(struct buf *out, const struct record *r, const struct masker *m,
    struct datecache *dc, time_t now)
{
	const struct login *l = &r->login;
	size_t old = out->len, rest, n;
	char *d;

	/* Everything but escaped text, which put_text reserves for itself. */
	rest = ident_len(r) + 256 + 2 * MASK_MAX + l->user_id.n +
	    l->device_type.n + (l->locale_null ? 0 : l->locale.n);
	if (buf_reserve(out, rest) == -1)
		return -1;
	d = out->data + out->len;
	*d++ = '{';
	d = put_ident(d, r, 1);
	d = PUT(d, "\"user_id\":");
	if (put_text(out, &d, &l->user_id, rest) == -1)
		goto fail;
	d = PUT(d, ",\"device_type\":");
	if (put_text(out, &d, &l->device_type, rest) == -1)
		goto fail;
	d = PUT(d, ",\"masked_ip\":\"");
	if ((n = mask_value(m, FIELD_IP, l->ip, l->iplen, d)) == 0)
		goto fail;
	d += n;
	d = PUT(d, "\",\"masked_device_id\":\"");
	if ((n = mask_value(m, FIELD_DEVICE_ID, l->device_id.p, l->device_id.n,
	    d)) == 0)
		goto fail;
	d += n;
	d = PUT(d, "\",\"locale\":");
	if (l->locale_null)
		d = PUT(d, "null");
	else if (put_text(out, &d, &l->locale, rest) == -1)
		goto fail;
	d = PUT(d, ",\"app_version\":");
	if (l->app_version_null)
		d = PUT(d, "null");
	else
		d = put_uint(d, (unsigned long long)l->app_version);
	d = PUT(d, ",\"create_date\":\"");
	d = put(d, utc_date(dc, r->ts != NULL ? r->ts_ms :
	    (long long)now * 1000), 10);
	d = PUT(d, "\"}\n");
	out->len = (size_t)(d - out->data);
	out->data[out->len] = '\0';
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}

/* The identity, then the closing text of a pass-through record. */
static int
pass_put(struct buf *out, const struct record *r, int with_ts,
    const char *tail, size_t taillen)
{
	char *d;

	if (buf_reserve(out, ident_len(r) + taillen) == -1)
		return -1;
	d = out->data + out->len;
	*d++ = '{';
	d = put_ident(d, r, with_ts);
	d = put(d, tail, taillen);
	out->len = (size_t)(d - out->data);
	out->data[out->len] = '\0';
	return 0;
}

int
ack_put(struct buf *out, const struct record *r)
{
	static const char tail[] = "\"ack_only\":true}\n";

	return pass_put(out, r, 1, tail, sizeof tail - 1);
}

int
release_put(struct buf *out, const struct record *r)
{
	static const char tail[] = "\"release\":true}\n";

	return pass_put(out, r, 0, tail, sizeof tail - 1);
}

/* The whole line as key (a JSON string), or key_base64 if not UTF-8. */
static int
put_whole(struct buf *out, const char *key, const char *line, size_t len)
{
	size_t at;
	int n;

	if (buf_addc(out, '"') == -1 || buf_adds(out, key) == -1)
		return -1;
	at = out->len;
	if (buf_add(out, "\":", 2) == -1)
		return -1;
	if (json_put_str(out, line, len) == JSON_OK)
		return 0;
	buf_truncate(out, at);
	if (len > (size_t)(1 << 30) || buf_adds(out, "_base64\":\"") == -1 ||
	    buf_reserve(out, (len + 2) / 3 * 4 + 1) == -1)
		return -1;
	n = EVP_EncodeBlock((unsigned char *)out->data + out->len,
	    (const unsigned char *)line, (int)len);
	out->len += (size_t)n;
	return buf_addc(out, '"');
}

int
reject_put(struct buf *out, const struct record *r, const char *line,
    size_t len)
{
	size_t old = out->len;
	char *d;

	if (buf_reserve(out, ident_len(r)) == -1)
		goto fail;
	d = out->data + out->len;
	*d++ = '{';
	if (r->ident) {
		d = put_ident(d, r, 1);
		out->len = (size_t)(d - out->data);
		if (r->body != NULL && (buf_adds(out, "\"body\":") == -1 ||
		    buf_add(out, r->body, r->bodylen) == -1 ||
		    buf_addc(out, ',') == -1))
			goto fail;
		/*
		 * No single body (twice, say): the message is acked once
		 * this is written, so all of it must be here.
		 */
		if (r->body == NULL && line != NULL &&
		    (put_whole(out, "record", line, len) == -1 ||
		    buf_addc(out, ',') == -1))
			goto fail;
	} else {
		out->len = (size_t)(d - out->data);
		if (line == NULL) {
			if (buf_adds(out, "\"length\":") == -1 ||
			    json_put_int(out, (long long)len) != JSON_OK)
				goto fail;
		} else if (put_whole(out, r->message ? "record" : "body", line,
		    len) == -1) {
			goto fail;
		}
		if (buf_addc(out, ',') == -1)
			goto fail;
	}
	if (buf_adds(out, "\"line\":") == -1 ||
	    json_put_int(out, (long long)r->lineno) != JSON_OK ||
	    buf_adds(out, ",\"reason\":\"") == -1 ||
	    reason_put(out, r->where, r->what) == -1 ||
	    buf_adds(out, "\",\"stage\":\"login-mask\"}\n") == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, old);
	errno = EMSGSIZE;
	return -1;
}
