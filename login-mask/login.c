#include <arpa/inet.h>
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

static int
match(const char *s, size_t len, const struct name *names, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (names[k].n == len && s[0] == names[k].s[0] &&
		    memcmp(names[k].s, s, len) == 0)
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

size_t
ip_canonical(const char *s, char *out)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	};
	unsigned char a[16];

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
get_text(const struct json *j, int i, struct login_scratch *s,
    struct text *t, int *what)
{
	const jsmntok_t *tk = &j->tok[i];
	const char *p = j->s + tk->start;
	size_t n = (size_t)(tk->end - tk->start), off;
	int err;

	if (tk->type != JSMN_STRING) {
		*what = P_NOT_STRING;
		return -1;
	}
	if (!has_backslash(p, n)) {
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
get_chars(const struct json *j, int i, struct login_scratch *s,
    struct text *t, size_t max, int *what)
{
	if (get_text(j, i, s, t, what) == -1)
		return -1;
	if (t->n > max && utf8_chars(t->p, t->n) > max) {
		*what = P_TOO_LONG;
		return -1;
	}
	return 0;
}

int
login_parse(const struct json *j, int obj, struct login_scratch *s,
    int null_app_version, struct login *l, int *where, int *what)
{
	const jsmntok_t *o = &j->tok[obj];
	int slot[NKEYS], n, i, f;
	struct text t;
	char ipbuf[INET6_ADDRSTRLEN];

	for (f = 0; f < NKEYS; f++)
		slot[f] = -1;
	for (i = obj + 1, n = 0; n < o->size; n++) {
		if ((f = key_index(j, i, key_names, NKEYS)) >= 0) {
			if (slot[f] != -1) {
				*where = key_where[f];
				*what = P_DUPLICATE;
				return -1;
			}
			slot[f] = i + 1;
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
	if (get_chars(j, slot[K_USER_ID], s, &l->user_id, USER_ID_MAX, what) == -1)
		return -1;

	*where = W_APP_VERSION;
	if (get_text(j, slot[K_APP_VERSION], s, &t, what) == -1)
		return -1;
	l->app_version_null = 0;
	if (app_version_parse(t.p, t.n, &l->app_version, what) == -1) {
		if (*what != P_RANGE || !null_app_version)
			return -1;
		l->app_version_null = 1;
	}

	*where = W_DEVICE_TYPE;
	if (get_chars(j, slot[K_DEVICE_TYPE], s, &l->device_type,
	    DEVICE_TYPE_MAX, what) == -1)
		return -1;

	*where = W_IP;
	if (get_text(j, slot[K_IP], s, &t, what) == -1)
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
	if (!l->locale_null && get_chars(j, slot[K_LOCALE], s, &l->locale,
	    LOCALE_MAX, what) == -1)
		return -1;

	*where = W_DEVICE_ID;
	if (get_text(j, slot[K_DEVICE_ID], s, &l->device_id, what) == -1)
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
