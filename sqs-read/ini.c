#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ini.h"

static int
isblank_(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Trims s[*a..*b) of blanks on both sides. */
static void
trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && isblank_(s[*a]))
		(*a)++;
	while (*b > *a && isblank_(s[*b - 1]))
		(*b)--;
}

/*
 * Calls back for every "key = value" line of the text with the section
 * it is in, and for every section header with key NULL; stops early when
 * the callback returns non-zero, and returns what it returned.
 */
typedef int (*ini_fn)(const char *sec, size_t seclen, const char *key,
    size_t keylen, const char *val, size_t vallen, void *arg);

static int
ini_walk(const char *text, size_t len, ini_fn fn, void *arg)
{
	size_t pos = 0, end, a, b, sa = 0, sb = 0, eq;
	const char *nl, *close;
	int insec = 0, r;

	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - text) : len;
		a = pos;
		b = end;
		pos = end + 1;
		if (a == b || isblank_(text[a]))
			continue;	/* empty, or nested under the key above */
		trim(text, &a, &b);
		if (a == b || text[a] == '#' || text[a] == ';')
			continue;
		if (text[a] == '[') {
			close = memchr(text + a, ']', b - a);
			insec = close != NULL;
			if (!insec)
				continue;	/* malformed: ignore what follows */
			sa = a + 1;
			sb = (size_t)(close - text);
			trim(text, &sa, &sb);
			if ((r = fn(text + sa, sb - sa, NULL, 0, NULL, 0, arg)) != 0)
				return r;
			continue;
		}
		if (!insec)
			continue;
		for (eq = a; eq < b && text[eq] != '='; eq++)
			;
		if (eq == b)
			continue;
		{
			size_t ka = a, kb = eq, va = eq + 1, vb = b;
			trim(text, &ka, &kb);
			trim(text, &va, &vb);
			if (ka == kb)
				continue;
			if ((r = fn(text + sa, sb - sa, text + ka, kb - ka,
			    text + va, vb - va, arg)) != 0)
				return r;
		}
	}
	return 0;
}

/* Whether s[0..n) names section want, allowing "profile  x" spacing. */
static int
section_is(const char *s, size_t n, const char *want)
{
	const char *sp = strchr(want, ' ');
	size_t i;

	if (sp == NULL)
		return n == strlen(want) && memcmp(s, want, n) == 0;
	/* "profile NAME": any blanks between the two words. */
	i = (size_t)(sp - want);
	if (n <= i || memcmp(s, want, i) != 0 || !isblank_(s[i]))
		return 0;
	while (i < n && isblank_(s[i]))
		i++;
	return n - i == strlen(sp + 1) && memcmp(s + i, sp + 1, n - i) == 0;
}

struct lookup {
	const char *section, *key;
	const char *val;
	size_t vallen;
	int found;
};

static int
lookup_fn(const char *sec, size_t seclen, const char *key, size_t keylen,
    const char *val, size_t vallen, void *arg)
{
	struct lookup *l = arg;

	if (key != NULL && section_is(sec, seclen, l->section) && keylen == strlen(l->key) &&
	    strncasecmp(key, l->key, keylen) == 0) {
		l->val = val;
		l->vallen = vallen;
		l->found = 1;
	}
	return 0;
}

int
ini_get(const char *text, size_t len, const char *section, const char *key,
    struct buf *val)
{
	struct lookup l = { section, key, NULL, 0, 0 };

	ini_walk(text, len, lookup_fn, &l);
	if (!l.found)
		return 0;
	buf_reset(val);
	if (buf_add(val, l.val, l.vallen) == -1)
		return -1;
	return 1;
}

static int
section_fn(const char *sec, size_t seclen, const char *key, size_t keylen,
    const char *val, size_t vallen, void *arg)
{
	(void)keylen;
	(void)val;
	(void)vallen;
	return key == NULL && section_is(sec, seclen, arg);
}

int
ini_has_section(const char *text, size_t len, const char *section)
{
	return ini_walk(text, len, section_fn, (void *)section);
}

int
ini_profile_section(struct buf *out, const char *profile, int config_file)
{
	buf_reset(out);
	if (config_file && strcmp(profile, "default") != 0)
		return buf_addf(out, "profile %s", profile);
	return buf_adds(out, profile);
}
