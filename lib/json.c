#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * The one translation unit that compiles jsmn's functions, static: its
 * one caller gets jsmn inlined, so the parser's position stays in a
 * register instead of being stored and reloaded at every byte (a char
 * read may alias it otherwise).
 */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "json.h"
#include "jsonchar.h"

#define TOK_FIRST 64



int
json_init(struct json *j, size_t maxtok)
{
	memset(j, 0, sizeof *j);
	if (maxtok < 1 || maxtok > INT_MAX / 2) {
		errno = EINVAL;
		return -1;
	}
	j->maxtok = maxtok;
	j->tokcap = maxtok < TOK_FIRST ? maxtok : TOK_FIRST;
	if ((j->tok = malloc(j->tokcap * sizeof *j->tok)) == NULL)
		return -1;
	return 0;
}

void
json_free(struct json *j)
{
	free(j->tok);
	free(j->skel);
	free(j->str);
	memset(j, 0, sizeof *j);
}

const char *
json_strerror(int err)
{
	switch (err) {
	case JSON_OK:		return "no error";
	case JSON_ESYNTAX:	return "not valid JSON";
	case JSON_ETOOBIG:	return "too many JSON tokens";
	case JSON_ECTRL:	return "control character in a string";
	case JSON_EUTF8:	return "invalid UTF-8";
	case JSON_ESURROGATE:	return "lone surrogate";
	case JSON_ENUL:		return "NUL character";
	case JSON_EESCAPE:	return "bad escape sequence";
	case JSON_ENOMEM:	return "out of memory";
	}
	return "unknown JSON error";
}

size_t
utf8_seqlen(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;	/* continuation byte, or overlong 2-byte lead */
	if (c < 0xe0) {
		if (n < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0;	/* UTF-16 surrogate */
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;	/* overlong */
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;	/* past U+10FFFF */
		return 4;
	}
	return 0;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seqlen(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static unsigned
hexval(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Whether s[a..b) is a JSON number or literal, exactly. */
static int
check_primitive(const char *s, size_t a, size_t b)
{
	size_t i = a, d;

	switch (s[a]) {
	case 't': return b - a == 4 && memcmp(s + a, "true", 4) == 0;
	case 'f': return b - a == 5 && memcmp(s + a, "false", 5) == 0;
	case 'n': return b - a == 4 && memcmp(s + a, "null", 4) == 0;
	}
	if (s[i] == '-')
		i++;
	if (i < b && s[i] == '0')
		i++;
	else if (i < b && s[i] >= '1' && s[i] <= '9')
		while (i < b && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < b && s[i] == '.') {
		for (d = ++i; i < b && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < b && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < b && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < b && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == b;
}

/*
 * A string of the text: its contents are s[start..end); in the skeleton
 * jsmn reads, its two quotes are at sq and sq + 1.
 */
struct json_str {
	int sq;
	int start;
	int end;
};

/*
 * Checks the string whose contents start at s[i], up to its closing
 * quote: escapes as RFC 8259 has them, no raw control characters, valid
 * UTF-8.  Many bytes at a time while they are plain printable ASCII,
 * which is nearly always.  Returns JSON_OK with *end at the closing
 * quote, or an error with *end at the fault.
 */
static int
scan_string(const char *s, size_t i, size_t len, size_t *end)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t w, m;
	size_t k;
	unsigned c;

#ifdef __SSE2__
	/*
	 * Sixteen bytes at a time, every byte that needs a look in one mask:
	 * '"', '\\', and (one signed compare) both controls and bytes >= 0x80.
	 * Escapes and UTF-8 sequences inside the block are stepped over in
	 * the mask, so a string full of \" escapes stays in this loop.
	 */
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	    space = _mm_set1_epi8(0x20);
	__m128i v;
	unsigned bits, b;
	size_t adv;

	while (i + 16 <= len) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
		    _mm_cmplt_epi8(v, space)));
		adv = 16;
		while (bits != 0) {
			b = (unsigned)__builtin_ctz(bits);
			c = p[i + b];
			*end = i + b;
			if (c == '"')
				return JSON_OK;
			if (c == '\\') {
				if ((k = escape_len(p + i + b, len - i - b)) == 0)
					return i + b + 1 >= len ? JSON_ESYNTAX :
					    JSON_EESCAPE;
			} else if (c < 0x20) {
				return c == 0 ? JSON_ENUL : JSON_ECTRL;
			} else if ((k = utf8_seqlen(p + i + b, len - i - b)) == 0) {
				return JSON_EUTF8;
			}
			if (b + k >= 16) {
				adv = b + k;
				break;
			}
			bits &= ~0u << (b + k);
		}
		i += adv;
	}
#endif
	for (;;) {
		while (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			/* '"', '\\', any byte < 0x20 (w - 0x20 borrows) or >= 0x80. */
			if ((m = ZEROBITS(w ^ (ONES * '"')) |
			    ZEROBITS(w ^ (ONES * '\\')) |
			    ((w | (w - ONES * 0x20)) & HIGHS)) != 0) {
				i += FIRSTBYTE(m);
				break;
			}
			i += 8;
		}
		*end = i;
		if (i >= len)
			return JSON_ESYNTAX;	/* unterminated */
		c = p[i];
		if (c == '"')
			return JSON_OK;
		if (c == '\\') {
			if ((k = escape_len(p + i, len - i)) == 0)
				return i + 1 >= len ? JSON_ESYNTAX : JSON_EESCAPE;
			i += k;
			continue;
		}
		if (c < 0x20)
			return c == 0 ? JSON_ENUL : JSON_ECTRL;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seqlen(p + i, len - i)) == 0)
			return JSON_EUTF8;
		i += k;
	}
}

/*
 * Whether s[*pos..end) is whitespace around exactly the punctuation
 * want (0 for none); advances *pos to end.
 */
static inline int
check_gap(const char *s, size_t *pos, size_t end, char want)
{
	size_t i = *pos;

	/* The usual gaps: nothing, "," or ":", and ", " or ": ". */
	if (want == 0 ? i == end : (end - i == 1 && s[i] == want) ||
	    (end - i == 2 && s[i] == want && s[i + 1] == ' ')) {
		*pos = end;
		return 1;
	}
	while (i < end && isws(s[i]))
		i++;
	if (want != 0) {
		if (i >= end || s[i] != want)
			return 0;
		i++;
		while (i < end && isws(s[i]))
			i++;
	}
	if (i != end)
		return 0;
	*pos = end;
	return 1;
}

/* Where the text after token t starts. */
static size_t
tok_after(const jsmntok_t *t)
{
	if (t->type == JSMN_STRING)
		return (size_t)t->end + 1;
	if (t->type == JSMN_PRIMITIVE)
		return (size_t)t->end;
	return (size_t)t->start + 1;	/* just inside the bracket */
}

/*
 * Closes the open containers from token c (inclusive) up to, but not
 * including, token stop: each must end after whitespace at its bracket.
 * Keys and values on the way close without text of their own.
 */
static inline int
close_upto(const struct json *j, int c, int stop, size_t *pos)
{
	const jsmntok_t *t;

	for (; c != stop; c = t->parent) {
		if (c < 0)
			return 0;
		t = &j->tok[c];
		if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY) {
			if (t->end < 1 || !check_gap(j->s, pos, (size_t)t->end - 1, 0))
				return 0;
			*pos = (size_t)t->end;
		}
	}
	return 1;
}

/*
 * The grammar jsmn does not check, read off its tokens: one root; keys
 * are strings, each with one value; exactly one ',' or ':' between
 * neighbours and only whitespace elsewhere; numbers and literals exact.
 * (Strings were checked by scan_string.)  Parent links make it a walk in
 * document order with no stack.
 */
static int
check_tokens(struct json *j)
{
	const char *s = j->s;
	size_t pos = 0;
	int k, q;
	const jsmntok_t *t, *pt;
	char want;

	for (k = 0; k < j->ntok; k++) {
		t = &j->tok[k];
		q = t->parent;
		if (k == 0) {
			if (q != -1)
				goto syntax;
		} else if (q == -1 || !close_upto(j, k - 1, q, &pos)) {
			goto syntax;	/* a second root, or a bad nesting */
		}
		want = 0;
		if (q >= 0) {
			pt = &j->tok[q];
			if (pt->type == JSMN_OBJECT) {
				if (t->type != JSMN_STRING || t->size != 1)
					goto syntax;	/* a key, with a value */
				want = k == q + 1 ? 0 : ',';
			} else if (pt->type == JSMN_ARRAY) {
				if (t->type == JSMN_STRING && t->size != 0)
					goto syntax;
				want = k == q + 1 ? 0 : ',';
			} else if (pt->type == JSMN_STRING &&
			    pt->parent >= 0 && j->tok[pt->parent].type == JSMN_OBJECT) {
				want = ':';
			} else {
				goto syntax;
			}
		}
		/* A string token starts after its quote. */
		if (!check_gap(s, &pos, (size_t)t->start - (t->type == JSMN_STRING),
		    want))
			goto syntax;
		if (t->type == JSMN_PRIMITIVE &&
		    !check_primitive(s, (size_t)t->start, (size_t)t->end))
			goto syntax;
		pos = tok_after(t);
	}
	if (j->ntok == 0 || !close_upto(j, j->ntok - 1, -1, &pos) ||
	    !check_gap(s, &pos, j->len, 0))
		goto syntax;
	return JSON_OK;
syntax:
	j->errpos = pos;
	if (memchr(s, '\0', j->len) != NULL)
		return JSON_ENUL;
	return JSON_ESYNTAX;
}

/*
 * Copies the text to j->skel with each string's contents taken out,
 * checking each string and noting where it was in j->str.  Returns
 * JSON_OK with *skellen and *nstr set, or an error with j->errpos set.
 */
static int
skeleton(struct json *j, const char *s, size_t len, size_t *skellen,
    size_t *nstr)
{
	const unsigned char *p = (const unsigned char *)s;
	struct json_str *st;
	size_t i = 0, n = 0, ns = 0, e, k;
	uint64_t w, m;
	char *d;
	int err;

	/* The skeleton is never longer than the text; 16 spare for copying. */
	if (len + 16 > j->skelcap) {
		if ((d = realloc(j->skel, len + 16)) == NULL)
			return JSON_ENOMEM;
		j->skel = d;
		j->skelcap = len + 16;
	}
	d = j->skel;
	for (;;) {
		/* Up to the next quote, sixteen or eight bytes at a time. */
#ifdef __SSE2__
		while (i + 16 <= len) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
			    (p + i));
			unsigned bits = (unsigned)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));

			_mm_storeu_si128((__m128i *)(void *)(d + n), v);
			if (bits != 0) {
				k = (size_t)__builtin_ctz(bits);
				i += k;
				n += k;
				goto quote;
			}
			i += 16;
			n += 16;
		}
#endif
		while (i + 8 <= len) {
			memcpy(&w, p + i, 8);
			memcpy(d + n, &w, 8);
			if ((m = ZEROBITS(w ^ (ONES * '"'))) != 0) {
				k = FIRSTBYTE(m);
				i += k;
				n += k;
				goto quote;
			}
			i += 8;
			n += 8;
		}
		while (i < len && s[i] != '"')
			d[n++] = s[i++];
		if (i == len)
			break;
quote:
		if (ns == j->strcap) {
			/* Each string is a token: more than maxtok is too big. */
			if (ns >= j->maxtok) {
				j->errpos = i;
				return JSON_ETOOBIG;
			}
			k = j->strcap ? j->strcap * 2 : TOK_FIRST;
			if (k > j->maxtok)
				k = j->maxtok;
			if ((st = realloc(j->str, k * sizeof *st)) == NULL)
				return JSON_ENOMEM;
			j->str = st;
			j->strcap = k;
		}
		if ((err = scan_string(s, i + 1, len, &e)) != JSON_OK) {
			j->errpos = e;
			return err;
		}
		j->str[ns].sq = (int)n;
		j->str[ns].start = (int)i + 1;
		j->str[ns].end = (int)e;
		ns++;
		d[n++] = '"';
		d[n++] = '"';
		i = e + 1;
	}
	*skellen = n;
	*nstr = ns;
	return JSON_OK;
}

/* The offset in the text of offset p of the skeleton. */
static int
text_offset(const struct json *j, size_t nstr, int p)
{
	size_t lo = 0, hi = nstr, mid;
	const struct json_str *st;

	/* The last string that opens before p shifts it. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (j->str[mid].sq < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return p;
	st = &j->str[lo - 1];
	return p + st->end - (st->sq + 1);
}

/*
 * Moves jsmn's tokens from the skeleton back onto the text.  Tokens come
 * in document order, so the strings before a token are the string tokens
 * before it; only a container's end needs a search.
 */
static int
remap(struct json *j, size_t nstr)
{
	const struct json_str *st;
	jsmntok_t *t;
	size_t ks = 0;
	int k, shift = 0;

	for (k = 0; k < j->ntok; k++) {
		t = &j->tok[k];
		if (t->type == JSMN_STRING) {
			if (ks >= nstr || t->start != j->str[ks].sq + 1)
				return -1;	/* cannot happen: jsmn saw "" there */
			st = &j->str[ks++];
			t->start = st->start;
			t->end = st->end;
			shift = st->end - (st->sq + 1);
			continue;
		}
		t->start += shift;
		if (t->type == JSMN_PRIMITIVE)
			t->end += shift;
		else
			t->end = text_offset(j, nstr, t->end);
	}
	return 0;
}

int
json_parse(struct json *j, const char *s, size_t len)
{
	jsmn_parser p;
	jsmntok_t *t;
	size_t i, skellen, nstr;
	int r;

	j->s = s;
	j->len = len;
	j->ntok = 0;
	j->errpos = 0;
	if (len >= INT_MAX - 16)
		return JSON_ETOOBIG;

	for (i = 0; i < len && isws(s[i]); i++)
		;
	if (i < len && s[i] != '{' && s[i] != '[' && s[i] != '"') {
		/* jsmn's strict mode cannot end on a bare primitive. */
		t = &j->tok[0];
		t->type = JSMN_PRIMITIVE;
		t->parent = -1;
		t->size = 0;
		t->start = (int)i;
		while (i < len && !isws(s[i]))
			i++;
		t->end = (int)i;
		j->ntok = 1;
		return check_tokens(j);
	}

	if ((r = skeleton(j, s, len, &skellen, &nstr)) != JSON_OK)
		return r == JSON_ESYNTAX && memchr(s, '\0', len) != NULL ?
		    JSON_ENUL : r;
	jsmn_init(&p);
	for (;;) {
		r = jsmn_parse(&p, j->skel, skellen, j->tok, (unsigned)j->tokcap);
		if (r >= 0)
			break;
		if (r != JSMN_ERROR_NOMEM || j->tokcap >= j->maxtok) {
			j->errpos = (size_t)text_offset(j, nstr, (int)p.pos);
			if (r == JSMN_ERROR_NOMEM)
				return JSON_ETOOBIG;
			if (memchr(s, '\0', len) != NULL)
				return JSON_ENUL;
			return JSON_ESYNTAX;
		}
		i = j->tokcap * 2 < j->maxtok ? j->tokcap * 2 : j->maxtok;
		if ((t = realloc(j->tok, i * sizeof *t)) == NULL)
			return JSON_ENOMEM;
		j->tok = t;
		j->tokcap = i;
	}
	j->ntok = r;
	if (remap(j, nstr) == -1) {
		j->ntok = 0;
		return JSON_ESYNTAX;
	}
	return check_tokens(j);
}

int
json_skip(const struct json *j, int i)
{
	int end = j->tok[i].end, k;

	for (k = i + 1; k < j->ntok && j->tok[k].start < end; k++)
		;
	return k;
}

int
json_streq(const struct json *j, int i, const char *key)
{
	const jsmntok_t *t = &j->tok[i];
	size_t n = (size_t)(t->end - t->start), klen = strlen(key);
	struct buf b = BUF_INIT(n);
	int eq;

	if (t->type != JSMN_STRING)
		return 0;
	if (memchr(j->s + t->start, '\\', n) == NULL)
		return n == klen && memcmp(j->s + t->start, key, n) == 0;
	if (json_unescape(&b, j->s + t->start, n) != JSON_OK) {
		buf_free(&b);
		return 0;
	}
	eq = b.len == klen && memcmp(b.data, key, klen) == 0;
	buf_free(&b);
	return eq;
}

int
json_get(const struct json *j, int obj, const char *key)
{
	int k, n;

	if (obj < 0 || obj >= j->ntok || j->tok[obj].type != JSMN_OBJECT)
		return -1;
	for (k = obj + 1, n = 0; n < j->tok[obj].size; n++) {
		if (json_streq(j, k, key))
			return k + 1;
		k = json_skip(j, k + 1);
	}
	return -1;
}

int
json_isnull(const struct json *j, int i)
{
	const jsmntok_t *t = &j->tok[i];

	return t->type == JSMN_PRIMITIVE && t->end - t->start == 4 &&
	    memcmp(j->s + t->start, "null", 4) == 0;
}

/* Writes code point cp as UTF-8 at d; returns the bytes written. */
static size_t
put_utf8(unsigned char *d, unsigned long cp)
{
	if (cp < 0x80) {
		d[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (unsigned char)(0xc0 | cp >> 6);
		d[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (unsigned char)(0xe0 | cp >> 12);
		d[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (unsigned char)(0xf0 | cp >> 18);
	d[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
hex4(const unsigned char *p, size_t n, unsigned long *v)
{
	if (n < 4 || !ishex(p[0]) || !ishex(p[1]) || !ishex(p[2]) || !ishex(p[3]))
		return -1;
	*v = hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
	    hexval(p[3]);
	return 0;
}

int
json_unescape(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	unsigned char *d;
	unsigned long cp, lo;
	uint64_t w, m;
	size_t k;
	int err;

	/* Unescaping never lengthens, so one reservation covers it all. */
	if (buf_reserve(out, len) == -1)
		return JSON_ENOMEM;
	d = (unsigned char *)out->data + out->len;
	while (p < e) {
		/*
		 * Eight bytes at a time up to the first '\\', NUL or
		 * non-ASCII byte.  The output has room: it never outgrows
		 * the input.
		 */
		while (e - p >= 8) {
			memcpy(&w, p, 8);
			memcpy(d, &w, 8);
			if ((m = ZEROBITS(w) | ZEROBITS(w ^ (ONES * '\\')) |
			    (w & HIGHS)) != 0) {
				k = FIRSTBYTE(m);
				p += k;
				d += k;
				break;
			}
			p += 8;
			d += 8;
		}
		if (p == e)
			break;
		if (*p >= 0x80) {
			if ((k = utf8_seqlen(p, (size_t)(e - p))) == 0) {
				err = JSON_EUTF8;
				goto fail;
			}
			memcpy(d, p, k);
			d += k;
			p += k;
			continue;
		}
		if (*p == '\0') {
			err = JSON_ENUL;
			goto fail;
		}
		if (*p != '\\') {
			*d++ = *p++;
			continue;
		}
		if (e - p < 2) {
			err = JSON_EESCAPE;
			goto fail;
		}
		switch (p[1]) {
		case '"':  *d++ = '"';  break;
		case '\\': *d++ = '\\'; break;
		case '/':  *d++ = '/';  break;
		case 'b':  *d++ = '\b'; break;
		case 'f':  *d++ = '\f'; break;
		case 'n':  *d++ = '\n'; break;
		case 'r':  *d++ = '\r'; break;
		case 't':  *d++ = '\t'; break;
		case 'u':
			if (hex4(p + 2, (size_t)(e - p - 2), &cp) == -1) {
				err = JSON_EESCAPE;
				goto fail;
			}
			p += 6;
			if (cp == 0) {
				err = JSON_ENUL;
				goto fail;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				err = JSON_ESURROGATE;
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    hex4(p + 2, 4, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					err = JSON_ESURROGATE;
					goto fail;
				}
				p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			d += put_utf8(d, cp);
			continue;
		default:
			err = JSON_EESCAPE;
			goto fail;
		}
		p += 2;
	}
	out->len = (size_t)(d - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	return JSON_OK;
fail:
	out->data[out->len] = '\0';
	return err;
}

int
json_tokstr(const struct json *j, int i, struct buf *out)
{
	const jsmntok_t *t = &j->tok[i];

	if (t->type != JSMN_STRING)
		return JSON_ESYNTAX;
	return json_unescape(out, j->s + t->start, (size_t)(t->end - t->start));
}

/* 0: copy as is; 1: escape; 2: first byte of a multibyte sequence. */
static const unsigned char wclass[256] = {
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
	0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
	2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2, 2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,
};

int
json_put_str(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t oldlen = out->len, k;
	unsigned char *d;
	uint64_t w, m;
	unsigned c;

	/* Room for the text unescaped; each escape reserves its own. */
	if (buf_reserve(out, len + 2) == -1)
		return JSON_ENOMEM;
	d = (unsigned char *)out->data + out->len;
	*d++ = '"';
	while (p < e) {
		/*
		 * Eight bytes at a time up to the first that is not plain
		 * printable ASCII.  There is room: at least what is left of
		 * the input, plus the closing quote, is reserved.
		 */
		while (e - p >= 8) {
			memcpy(&w, p, 8);
			memcpy(d, &w, 8);
			if ((m = ZEROBITS(w ^ (ONES * '"')) |
			    ZEROBITS(w ^ (ONES * '\\')) |
			    ((w - ONES * 0x20) & ~w & HIGHS) |
			    ((w | (w + ONES)) & HIGHS)) != 0) {
				k = FIRSTBYTE(m);
				p += k;
				d += k;
				break;
			}
			p += 8;
			d += 8;
		}
		if (p == e)
			break;
		c = *p;
		if (wclass[c] == 0) {
			*d++ = (unsigned char)c;
			p++;
			continue;
		}
		if (wclass[c] == 2) {
			if ((k = utf8_seqlen(p, (size_t)(e - p))) == 0) {
				buf_truncate(out, oldlen);
				return JSON_EUTF8;
			}
			memcpy(d, p, k);
			d += k;
			p += k;
			continue;
		}
		out->len = (size_t)(d - (unsigned char *)out->data);
		if (buf_reserve(out, 6 + (size_t)(e - p) + 1) == -1) {
			buf_truncate(out, oldlen);
			return JSON_ENOMEM;
		}
		d = (unsigned char *)out->data + out->len;
		*d++ = '\\';
		p++;
		switch (c) {
		case '"':  *d++ = '"';  break;
		case '\\': *d++ = '\\'; break;
		case '\b': *d++ = 'b';  break;
		case '\f': *d++ = 'f';  break;
		case '\n': *d++ = 'n';  break;
		case '\r': *d++ = 'r';  break;
		case '\t': *d++ = 't';  break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = (unsigned char)hex[c >> 4];
			*d++ = (unsigned char)hex[c & 0xf];
		}
	}
	*d++ = '"';
	out->len = (size_t)(d - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	return JSON_OK;
}

int
json_put_key(struct buf *out, const char *key)
{
	size_t n = strlen(key);

	if (buf_reserve(out, n + 3) == -1)
		return JSON_ENOMEM;
	out->data[out->len++] = '"';
	memcpy(out->data + out->len, key, n);
	out->len += n;
	out->data[out->len++] = '"';
	out->data[out->len++] = ':';
	out->data[out->len] = '\0';
	return JSON_OK;
}

int
json_put_int(struct buf *out, long long v)
{
	char tmp[24], *e = tmp + sizeof tmp, *q = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do
		*--q = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--q = '-';
	return buf_add(out, q, (size_t)(e - q)) == 0 ? JSON_OK : JSON_ENOMEM;
}
