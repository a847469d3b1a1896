#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "flat.h"

#define ONES 0x0101010101010101ULL
#define HIGHS (ONES * 0x80)
#define ZEROBITS(w) (((w) - ONES) & ~(w) & HIGHS)
#define FIRSTBYTE(m) ((size_t)__builtin_ctzll(m) >> 3)

static int
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static size_t
skip_ws(const unsigned char *p, size_t i, size_t n)
{
	while (i < n && isws(p[i]))
		i++;
	return i;
}

/*
 * The string whose opening quote is at p[i]: returns the index of its
 * closing quote, or 0 if it is not a valid JSON string.  *esc is set if
 * it holds an escape.
 */
static size_t
string_end(const unsigned char *p, size_t i, size_t n, unsigned char *esc)
{
	uint64_t w, m;
	size_t k;

	for (i++;;) {
		/* Up to the first quote, backslash, control or non-ASCII. */
#ifdef __SSE2__
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(p + i));
			/* Signed: bytes >= 0x80 are negative: "< 0x20". */
			int mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

			if (mask != 0) {
				i += (size_t)__builtin_ctz((unsigned)mask);
				goto special;
			}
			i += 16;
		}
#endif
		while (i + 8 <= n) {
			memcpy(&w, p + i, 8);
			m = ZEROBITS(w ^ (ONES * '"')) |
			    ZEROBITS(w ^ (ONES * '\\')) |
			    ((w | (w - ONES * 0x20)) & HIGHS);
			if (m != 0) {
				i += FIRSTBYTE(m);
				break;
			}
			i += 8;
		}
#ifdef __SSE2__
special:
#endif
		if (i >= n)
			return 0;
		if (p[i] == '"')
			return i;
		if (p[i] < 0x20)
			return 0;
		if (p[i] >= 0x80) {
			if ((k = utf8_seqlen(p + i, n - i)) == 0)
				return 0;
			i += k;
			continue;
		}
		if (p[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		*esc = 1;
		switch (p[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (i + 6 > n || !ishex(p[i + 2]) || !ishex(p[i + 3]) ||
			    !ishex(p[i + 4]) || !ishex(p[i + 5]))
				return 0;
			i += 6;
			break;
		default:
			return 0;
		}
	}
}

static size_t
digits(const unsigned char *p, size_t i, size_t n)
{
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

/* The end of the number or literal at p[i], or 0 if it is none. */
static size_t
primitive_end(const unsigned char *p, size_t i, size_t n)
{
	size_t d;

	if (p[i] == 't')
		return n - i >= 4 && memcmp(p + i, "true", 4) == 0 ? i + 4 : 0;
	if (p[i] == 'f')
		return n - i >= 5 && memcmp(p + i, "false", 5) == 0 ? i + 5 : 0;
	if (p[i] == 'n')
		return n - i >= 4 && memcmp(p + i, "null", 4) == 0 ? i + 4 : 0;
	if (p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && p[i] >= '1' && p[i] <= '9')
		i = digits(p, i, n);
	else
		return 0;
	if (i < n && p[i] == '.') {
		if ((d = digits(p, i + 1, n)) == i + 1)
			return 0;
		i = d;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if ((d = digits(p, i, n)) == i)
			return 0;
		i = d;
	}
	return i;
}

int
flat_parse(struct json *j, const char *s, size_t len, unsigned char *esc)
{
	const unsigned char *p = (const unsigned char *)s;
	jsmntok_t *t = j->tok;
	size_t i, e, cap = j->tokcap;
	int n = 1, key;

	if (len >= (size_t)INT32_MAX || cap < 1)
		return -1;
	i = skip_ws(p, 0, len);
	if (i >= len || p[i] != '{')
		return -1;
	t[0] = (jsmntok_t){ .type = JSMN_OBJECT, .start = (int)i, .end = -1,
	    .size = 0, .parent = -1 };
	i = skip_ws(p, i + 1, len);
	if (i < len && p[i] == '}')
		goto close;
	for (;;) {
		if (i >= len || p[i] != '"' || (size_t)n + 2 > cap)
			return -1;
		esc[n] = esc[n + 1] = 0;
		if ((e = string_end(p, i, len, &esc[n])) == 0)
			return -1;
		key = n;
		t[n++] = (jsmntok_t){ .type = JSMN_STRING, .start = (int)i + 1,
		    .end = (int)e, .size = 1, .parent = 0 };
		t[0].size++;
		i = skip_ws(p, e + 1, len);
		if (i >= len || p[i] != ':')
			return -1;
		i = skip_ws(p, i + 1, len);
		if (i >= len)
			return -1;
		if (p[i] == '"') {
			if ((e = string_end(p, i, len, &esc[n])) == 0)
				return -1;
			t[n++] = (jsmntok_t){ .type = JSMN_STRING,
			    .start = (int)i + 1, .end = (int)e, .size = 0,
			    .parent = key };
			e++;
		} else {
			if ((e = primitive_end(p, i, len)) == 0)
				return -1;
			t[n++] = (jsmntok_t){ .type = JSMN_PRIMITIVE,
			    .start = (int)i, .end = (int)e, .size = 0,
			    .parent = key };
		}
		/* jsmn ends a primitive only at whitespace, ',' or '}'. */
		i = skip_ws(p, e, len);
		if (i < len && p[i] == ',') {
			i = skip_ws(p, i + 1, len);
			continue;
		}
		if (i < len && p[i] == '}')
			break;
		return -1;
	}
close:
	t[0].end = (int)i + 1;
	if (skip_ws(p, i + 1, len) != len || (size_t)n > j->maxtok)
		return -1;
	j->s = s;
	j->len = len;
	j->ntok = n;
	j->errpos = 0;
	return 0;
}
