#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "login.h"
#include "mask.h"
#include "reason.h"

enum { K_USER_ID, K_APP_VERSION, K_DEVICE_TYPE, K_IP, K_LOCALE, K_DEVICE_ID,
	NKEYS };

static const struct name key_names[NKEYS] = {
	NAME("user_id"), NAME("app_version"), NAME("device_type"), NAME("ip"),
	NAME("locale"), NAME("device_id"),
};
static const int key_where[NKEYS] = {
	W_USER_ID, W_APP_VERSION, W_DEVICE_TYPE, W_IP, W_LOCALE, W_DEVICE_ID,
};

/*
 * Whether a[0..n) and b[0..n) are equal, for names (n <= 16): two loads
 * a side, not a call to memcmp, as nearly every key of a record is one.
 */
static inline int
same(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;
	uint32_t x4, y4, u4, v4;

	if (n > 16)
		return memcmp(a, b, n) == 0;
	if (n >= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(&u, a + n - 8, 8);
		memcpy(&v, b + n - 8, 8);
		return ((x ^ y) | (u ^ v)) == 0;
	}
	if (n >= 4) {
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		memcpy(&u4, a + n - 4, 4);
		memcpy(&v4, b + n - 4, 4);
		return ((x4 ^ y4) | (u4 ^ v4)) == 0;
	}
	return n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] &&
	    a[n - 1] == b[n - 1]);
}

static int
match(const char *s, size_t len, const struct name *names, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (names[k].n == len && s[0] == names[k].s[0] &&
		    same(names[k].s, s, len))
			return k;
	return -1;
}

int
key_index(const struct json *j, int i, const struct name *names, int n)
{
	const jsmntok_t *t = &j->tok[i];
	const char *s = j->s + t->start;
	size_t len = (size_t)(t->end - t->start);
	char tmp[128];
	struct buf b;
	int k;

	if (t->type != JSMN_STRING)
		return -1;
	/* Names have no escapes: a key read as is either is one, or has. */
	if ((k = match(s, len, names, n)) >= 0 || !has_backslash(s, len))
		return k;
	/*
	 * An escape spells at most one byte of a name in six, so a key
	 * longer than tmp cannot be one; within it, b never needs to grow
	 * (it must not: tmp is on the stack).
	 */
	if (len >= sizeof tmp)
		return -1;
	buf_init(&b, sizeof tmp - 1);
	b.data = tmp;
	b.cap = sizeof tmp;
	if (json_unescape(&b, s, len) != JSON_OK || b.len == 0)
		return -1;
	return match(tmp, b.len, names, n);
}

int
next_name(const struct json *j, int i, const struct name *names, int n,
    int h)
{
	const jsmntok_t *t = &j->tok[i];

	if (h < n && t->type == JSMN_STRING &&
	    (size_t)(t->end - t->start) == names[h].n &&
	    same(names[h].s, j->s + t->start, names[h].n))
		return h;
	return key_index(j, i, names, n);
}

size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

int
app_version_parse(const char *v, size_t n, long *out, int *what)
{
	unsigned long part[3] = { 0, 0, 0 };
	size_t i = 0, digits;
	int k;

	for (k = 0; k < 3; k++) {
		for (digits = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++)
			/* Cap the value, not the digits, so 0002 is 2. */
			if ((part[k] = part[k] * 10 + (unsigned)(v[i] - '0')) >
			    10000000000UL)
				part[k] = 10000000000UL;
		if (digits == 0)
			goto invalid;
		if (i == n)
			break;
		if (v[i] != '.' || k == 2)
			goto invalid;
		i++;
	}
	if (part[1] >= 1000 || part[2] >= 1000 ||
	    part[0] > (unsigned long)APP_VERSION_MAX / 1000000) {
		*what = P_RANGE;
		return -1;
	}
	*out = (long)(part[0] * 1000000 + part[1] * 1000 + part[2]);
	if (*out > APP_VERSION_MAX) {
		*what = P_RANGE;
		return -1;
	}
	return 0;
invalid:
	*what = P_INVALID;
	return -1;
}

/* Dotted decimal, as inet_ntop writes it, without stdio. */
static size_t
put_ipv4(const unsigned char *a, char *out)
{
	char *o = out;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = a[i];

		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
	return (size_t)(o - out - 1);
}

/*
 * The length of s if it is a dotted quad as inet_pton reads one (four
 * parts of 0 to 255 in decimal, without leading zeros), else 0.  Such
 * an address is already in the form inet_ntop writes.
 */
static size_t
ipv4_plain(const char *s)
{
	const char *p = s;
	unsigned v;
	int part, digits;

	for (part = 0; part < 4; part++) {
		if (part > 0 && *p++ != '.')
			return 0;
		for (v = 0, digits = 0; *p >= '0' && *p <= '9' && digits < 3;
		    p++, digits++) {
			if (digits > 0 && v == 0)
				return 0;	/* a leading zero */
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (digits == 0 || v > 255)
			return 0;
	}
	return *p == '\0' ? (size_t)(p - s) : 0;
}

size_t
ip_canonical(const char *s, char *out)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	unsigned char a[16];
	size_t n;

	/* Nearly every address: nothing to change. */
	if ((n = ipv4_plain(s)) != 0) {
		memcpy(out, s, n + 1);
		return n;
	}
	if (strchr(s, ':') == NULL)
		return inet_pton(AF_INET, s, a) == 1 ? put_ipv4(a, out) : 0;
	if (inet_pton(AF_INET6, s, a) != 1)
		return 0;
	/* An IPv4 address written as IPv6 is the IPv4 address. */
	if (memcmp(a, v4mapped, sizeof v4mapped) == 0)
		return put_ipv4(a + 12, out);
	if (inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) == NULL)
		return 0;
	return strlen(out);
}

/*
 * The string value of token i into *t: raw when it has no escapes,
 * else unescaped into s (whose room was reserved: no reallocation, so
 * earlier values stay put).
 */
static int
get_text(const struct json *j, int i, const unsigned char *esc,
    struct login_scratch *s, struct text *t, int *what)
{
	const jsmntok_t *tk = &j->tok[i];
	const char *p = j->s + tk->start;
	size_t n = (size_t)(tk->end - tk->start), off;
	int err;

	if (tk->type != JSMN_STRING) {
		*what = P_NOT_STRING;
		return -1;
	}
	if (esc != NULL ? !esc[i] : !has_backslash(p, n)) {
		t->p = p;
		t->n = n;
		t->raw = 1;
		return 0;
	}
	off = s->b.len;
	if ((err = json_unescape(&s->b, p, n)) != JSON_OK) {
		*what = what_json(err);
		return -1;
	}
	t->p = s->b.data + off;
	t->n = s->b.len - off;
	t->raw = 0;
	return 0;
}

/* A string of at most max characters. */
static int
get_chars(const struct json *j, int i, const unsigned char *esc,
    struct login_scratch *s, struct text *t, size_t max, int *what)
{
	if (get_text(j, i, esc, s, t, what) == -1)
		return -1;
	if (t->n > max && utf8_chars(t->p, t->n) > max) {
		*what = P_TOO_LONG;
		return -1;
	}
	return 0;
}

int
login_parse(const struct json *j, int obj, const unsigned char *esc,
    struct login_scratch *s, int null_app_version, struct login *l,
    int *where, int *what)
{
	const jsmntok_t *o = &j->tok[obj];
	int slot[NKEYS], n, i, f, h;
	struct text t;
	char ipbuf[INET6_ADDRSTRLEN];

	for (f = 0; f < NKEYS; f++)
		slot[f] = -1;
	for (i = obj + 1, n = 0, h = 0; n < o->size; n++) {
		if ((f = next_name(j, i, key_names, NKEYS, h)) >= 0) {
			if (slot[f] != -1) {
				*where = key_where[f];
				*what = P_DUPLICATE;
				return -1;
			}
			slot[f] = i + 1;
			h = f + 1;
		}
		i = next_key(j, i);
	}
	for (f = 0; f < NKEYS; f++) {
		if (slot[f] == -1) {
			*where = key_where[f];
			*what = P_MISSING;
			return -1;
		}
	}
	/*
	 * Unescaped values never outgrow the text they come from, so this
	 * one reservation means no value moves once placed.
	 */
	buf_reset(&s->b);
	if (buf_reserve(&s->b, (size_t)(o->end - o->start)) == -1) {
		*where = W_BODY;
		*what = P_TOO_LONG;
		return -1;
	}

	*where = W_USER_ID;
	if (get_chars(j, slot[K_USER_ID], esc, s, &l->user_id, USER_ID_MAX,
	    what) == -1)
		return -1;

	*where = W_APP_VERSION;
	if (get_text(j, slot[K_APP_VERSION], esc, s, &t, what) == -1)
		return -1;
	l->app_version_null = 0;
	if (app_version_parse(t.p, t.n, &l->app_version, what) == -1) {
		if (*what != P_RANGE || !null_app_version)
			return -1;
		l->app_version_null = 1;
	}

	*where = W_DEVICE_TYPE;
	if (get_chars(j, slot[K_DEVICE_TYPE], esc, s, &l->device_type,
	    DEVICE_TYPE_MAX, what) == -1)
		return -1;

	*where = W_IP;
	if (get_text(j, slot[K_IP], esc, s, &t, what) == -1)
		return -1;
	if (t.n == 0 || t.n >= sizeof ipbuf) {
		*what = P_INVALID;
		return -1;
	}
	memcpy(ipbuf, t.p, t.n);
	ipbuf[t.n] = '\0';
	if ((l->iplen = ip_canonical(ipbuf, l->ip)) == 0) {
		*what = P_INVALID;
		return -1;
	}

	*where = W_LOCALE;
	l->locale_null = json_isnull(j, slot[K_LOCALE]);
	if (!l->locale_null && get_chars(j, slot[K_LOCALE], esc, s, &l->locale,
	    LOCALE_MAX, what) == -1)
		return -1;

	*where = W_DEVICE_ID;
	if (get_text(j, slot[K_DEVICE_ID], esc, s, &l->device_id, what) == -1)
		return -1;
	if (l->device_id.n == 0) {
		*what = P_EMPTY;
		return -1;
	}
	if (l->device_id.n > MASK_VALUE_MAX) {
		*what = P_TOO_LONG;
		return -1;
	}
	*what = P_NONE;
	return 0;
}
