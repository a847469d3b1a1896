/*
 * login: the field rules for one login body (a JSON object), as the
 * users' table needs them:
 *
 *	user_id		string, at most 128 characters
 *	app_version	string MAJOR[.MINOR[.PATCH]] of decimal digits, stored
 *			as MAJOR*1000000 + MINOR*1000 + PATCH, which must fit
 *			an integer column (MINOR, PATCH < 1000, MAJOR <= 2147)
 *	device_type	string, at most 32 characters
 *	ip		string, an IPv4 or IPv6 address (inet_pton), kept in
 *			canonical form (inet_ntop; ::ffff:a.b.c.d is a.b.c.d)
 *	locale		string of at most 32 characters, or null
 *	device_id	string of 1 to MASK_VALUE_MAX bytes
 *
 * All six keys are required; other keys are ignored; a known key twice
 * is a reject.  Strings are unescaped first (lib/json.h), which refuses
 * lone surrogates, NULs and bad escapes.  Characters are Unicode code
 * points, as PostgreSQL's varchar(n) counts them.
 */
#ifndef LOGIN_MASK_LOGIN_H
#define LOGIN_MASK_LOGIN_H

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#define USER_ID_MAX 128
#define DEVICE_TYPE_MAX 32
#define LOCALE_MAX 32
#define APP_VERSION_MAX 2147483647L

/*
 * A string value: raw means p[0..n) came from the JSON text with no
 * escapes, so it is both the value and valid JSON string contents;
 * otherwise p[0..n) is the unescaped value, to be escaped on output.
 */
struct text {
	const char *p;
	size_t n;
	int raw;
};

struct login {
	struct text user_id, device_type, locale, device_id;
	int locale_null;
	char ip[INET6_ADDRSTRLEN];	/* canonical, NUL-terminated */
	size_t iplen;
	long app_version;
	int app_version_null;
};

/* Where unescaped values live until the next login is checked. */
struct login_scratch {
	struct buf b;
};

/*
 * Checks object token obj of j.  esc, if not NULL, says per token
 * whether a string holds an escape (lib/flat.h), so no value is looked
 * through twice.  Returns 0 with l filled (pointing into j's text and
 * s), or -1 with *where and *what (reason.h) set.
 */
int login_parse(const struct json *j, int obj, const unsigned char *esc,
    struct login_scratch *s, int null_app_version, struct login *l,
    int *where, int *what);

/* A key name with its length, so matching one costs no strlen. */
struct name {
	const char *s;
	size_t n;
};

#define NAME(lit) { (lit), sizeof(lit) - 1 }

/*
 * The key of token i, as the index of one of names[0..n) or -1; a key
 * spelled with escapes is unescaped first.  For finding known keys fast.
 */
int key_index(const struct json *j, int i, const struct name *names, int n);

/*
 * key_index(), trying names[h] first: keys mostly come in one order,
 * so a walk that passes the index after the last match as h matches
 * each key at the first try.
 */
int next_name(const struct json *j, int i, const struct name *names, int n,
    int h);

/* The key after key token i and its value, in an object's walk. */
static inline int
next_key(const struct json *j, int i)
{
	int v = i + 1;

	/* A scalar value is one token; json_skip is for containers. */
	return j->tok[v].type == JSMN_STRING || j->tok[v].type == JSMN_PRIMITIVE ?
	    v + 1 : json_skip(j, v);
}

/* Whether s[0..n) holds a backslash: inline for the short values. */
static inline int
has_backslash(const char *s, size_t n)
{
	size_t k;

	if (n > 32)
		return memchr(s, '\\', n) != NULL;
	for (k = 0; k < n; k++)
		if (s[k] == '\\')
			return 1;
	return 0;
}

/*
 * app_version v[0..n) as its integer.  Returns 0, or -1 with *what
 * P_INVALID (not the form) or P_RANGE (does not fit).
 */
int app_version_parse(const char *v, size_t n, long *out, int *what);

/*
 * The canonical text of address s (NUL-terminated), into out (room for
 * INET6_ADDRSTRLEN); returns its length, or 0 if s is not an address.
 */
size_t ip_canonical(const char *s, char *out);

/* The number of UTF-8 characters in s[0..n) (valid UTF-8). */
size_t utf8_chars(const char *s, size_t n);

#endif
