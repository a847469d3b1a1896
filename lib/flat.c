#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "flat.h"
#include "jsonchar.h"

static inline size_t
skip_ws(const unsigned char *p, size_t i, size_t n)
{
	/* Most gaps are empty: one compare settles those. */
	while (i < n && p[i] <= ' ' && isws(p[i]))
		i++;
	return i;
}

/*
 * The byte at p[0] inside a string, one that is not plain printable
 * ASCII: the bytes it takes (an escape or a UTF-8 sequence), or 0 if it
 * ends the string (a quote) or cannot be in one.
 */
static inline size_t
special_len(const unsigned char *p, size_t n, unsigned char *esc)
{
	if (p[0] == '\\') {
		*esc = 1;
		return escape_len(p, n);
	}
	if (p[0] < 0x80)
		return 0;	/* a quote, or a control character */
	return utf8_seqlen(p, n);
}

#ifdef __SSE2__
/* The characters that may follow a backslash, but for u: what they mean. */
static const unsigned char simple_escape[256] = {
	['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b', ['f'] = '\f',
	['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/*
 * Long strings are read in blocks of 64 bytes, each byte class a bit
 * mask, so that escapes cost no branch each: a body inside a record is
 * a string with an escaped quote every few bytes, and a branch per
 * escape that the processor cannot predict costs more than the rest.
 */
struct block {
	uint64_t quote, bslash, special;	/* special: < 0x20 or >= 0x80 */
};

static inline void
block_read(const unsigned char *p, struct block *b)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	    space = _mm_set1_epi8(0x20);
	__m128i v;
	int k;

	b->quote = b->bslash = b->special = 0;
	for (k = 0; k < 4; k++) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		b->quote |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(v, quote)) << (16 * k);
		b->bslash |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(v, bslash)) << (16 * k);
		/* Signed: bytes >= 0x80 are negative, so "< 0x20" too. */
		b->special |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmplt_epi8(v, space)) << (16 * k);
	}
}

/*
 * The block at p[i], or a copy of what is left of the text padded with
 * control characters, which no string holds: a string that runs into
 * them is left to the closer look.
 */
static inline const unsigned char *
block_at(const unsigned char *p, size_t i, size_t n, unsigned char *pad)
{
	if (n - i >= 64)
		return p + i;
	memcpy(pad, p + i, n - i);
	memset(pad + (n - i), 0x01, 64 - (n - i));
	return pad;
}

/*
 * The string from p[i] (inside it, not inside an escape), a block at a
 * time while its bytes are printable ASCII and its escapes single
 * backslashes before one of "\/bfnrt: a backslash is then an escape
 * exactly when the byte before it is not one.  Returns the index of the
 * closing quote, or 0 with *at where a closer look is needed (a control
 * character, non-ASCII, a run of backslashes, a \u escape or a bad one,
 * the end of the text), at the start of a character.
 */
static size_t
string_blocks(const unsigned char *p, size_t i, size_t n, unsigned char *esc,
    size_t *at)
{
	unsigned char pad[64];
	const unsigned char *blk;
	struct block b;
	uint64_t escaped, end, before, e, carry = 0;

	while (i < n) {
		blk = block_at(p, i, n, pad);
		block_read(blk, &b);
		/* Escaped if after a backslash: true up to the first run. */
		escaped = b.bslash << 1 | carry;
		end = b.quote & ~escaped;
		/* The bytes before the closing quote, if it is in this block. */
		before = end != 0 ? (end & (0 - end)) - 1 : ~(uint64_t)0;
		if (((b.bslash & escaped) | b.special) & before)
			break;
		if (b.bslash & before)
			*esc = 1;
		for (e = escaped & before; e != 0; e &= e - 1)
			if (simple_escape[blk[__builtin_ctzll(e)]] == 0)
				goto out;
		if (end != 0)
			return i + (size_t)__builtin_ctzll(end);
		carry = b.bslash >> 63;
		i += 64;
	}
out:
	/* Back to the backslash of an escape the block boundary split. */
	*at = i - carry;
	return 0;
}
#endif

/*
 * The string from p[i] (inside it, at the start of a character) up to
 * its closing quote, as string_end() says: plain bytes sixteen at a
 * time, escapes by blocks, and a closer look where they cannot go.
 */
static size_t
string_rest(const unsigned char *p, size_t i, size_t n, unsigned char *esc)
{
	uint64_t w, m;
	size_t k, lim;

	for (;;) {
#ifdef __SSE2__
		while (n - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)
			    (const void *)(p + i));
			unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

			if (bits == 0) {
				i += 16;
				continue;
			}
			i += (size_t)__builtin_ctz(bits);
			if (p[i] == '"')
				return i;
			if (p[i] == '\\' &&
			    (k = string_blocks(p, i, n, esc, &i)) != 0)
				return k;
			break;
		}
#endif
		/* A block's worth of closer look, then faster again. */
		for (lim = i + 64; i < lim;) {
#ifdef __SSE2__
			/*
			 * Sixteen bytes at a time up to each byte that needs
			 * a look, escapes and UTF-8 sequences stepped over in
			 * the mask.
			 */
			if (i + 16 <= n) {
				__m128i v = _mm_loadu_si128((const __m128i *)
				    (const void *)(p + i));
				unsigned bits = (unsigned)_mm_movemask_epi8(
				    _mm_or_si128(_mm_or_si128(
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
				    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
				size_t b, adv = 16;

				while (bits != 0) {
					b = (size_t)__builtin_ctz(bits);
					if (p[i + b] == '"')
						return i + b;
					if ((k = special_len(p + i + b, n - i - b,
					    esc)) == 0)
						return 0;
					if (b + k >= 16) {
						adv = b + k;
						break;
					}
					bits &= ~0u << (b + k);
				}
				i += adv;
				continue;
			}
#endif
			/* Up to the first quote, backslash, control or non-ASCII. */
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
			if (i >= n)
				return 0;
			if (p[i] == '"')
				return i;
			if (p[i] >= 0x20 && p[i] < 0x80 && p[i] != '\\') {
				i++;
				continue;
			}
			if ((k = special_len(p + i, n - i, esc)) == 0)
				return 0;
			i += k;
		}
	}
}

/*
 * The string whose opening quote is at p[i]: returns the index of its
 * closing quote, or 0 if it is not a valid JSON string.  *esc is set if
 * it holds an escape.
 */
static inline size_t
string_end(const unsigned char *p, size_t i, size_t n, unsigned char *esc)
{
#ifdef __SSE2__
	/* Most strings are short and plain: one look settles those. */
	if (n - i > 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i + 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

		if (m != 0 && p[i + 1 + (size_t)__builtin_ctz(m)] == '"')
			return i + 1 + (size_t)__builtin_ctz(m);
	}
#endif
	return string_rest(p, i + 1, n, esc);
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

/*
 * Ends a parse whose object closes at s[close] and whose trailing white
 * space ends at after: the text must end there too, and the tokens fit
 * the caller's cap, as json_parse() requires.
 */
static int
flat_close(struct json *j, const char *s, size_t len, size_t close,
    size_t after, int n)
{
	if (after != len || (size_t)n > j->maxtok)
		return -1;
	j->tok[0].end = (int)close + 1;
	j->s = s;
	j->len = len;
	j->ntok = n;
	j->errpos = 0;
	return 0;
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
	return flat_close(j, s, len, i, skip_ws(p, i + 1, len), n);
}

static inline size_t
skip_sp(const unsigned char *p, size_t i, size_t n)
{
	while (i < n && p[i] == ' ')
		i++;
	return i;
}

/* Whether p[i..] starts with \", a quote of the text inside. */
static inline int
inner_quote(const unsigned char *p, size_t i, size_t n)
{
	return n - i >= 2 && p[i] == '\\' && p[i + 1] == '"';
}

/*
 * The string of the text inside whose contents start at p[i]: the index
 * of the backslash of its closing \", or 0 if it holds a backslash of
 * its own (an escape of the text inside) or a bare quote.
 */
static inline size_t
inner_string_end(const unsigned char *p, size_t i, size_t n)
{
#ifdef __SSE2__
	while (n - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

		if (bits != 0) {
			i += (size_t)__builtin_ctz(bits);
			return inner_quote(p, i, n) ? i : 0;
		}
		i += 16;
	}
#endif
	while (i < n && p[i] != '\\' && p[i] != '"')
		i++;
	return inner_quote(p, i, n) ? i : 0;
}

int
flat_parse_inner(struct json *j, const char *s, size_t len, unsigned char *esc)
{
	const unsigned char *p = (const unsigned char *)s;
	jsmntok_t *t = j->tok;
	size_t i, e, cap = j->tokcap;
	int n = 1, key;

	if (len >= (size_t)INT32_MAX || cap < 1)
		return -1;
	i = skip_sp(p, 0, len);
	if (i >= len || p[i] != '{')
		return -1;
	t[0] = (jsmntok_t){ .type = JSMN_OBJECT, .start = (int)i, .end = -1,
	    .size = 0, .parent = -1 };
	i = skip_sp(p, i + 1, len);
	if (i < len && p[i] == '}')
		goto close;
	for (;;) {
		if (!inner_quote(p, i, len) || (size_t)n + 2 > cap ||
		    (e = inner_string_end(p, i + 2, len)) == 0)
			return -1;
		key = n;
		esc[n] = 0;
		t[n++] = (jsmntok_t){ .type = JSMN_STRING, .start = (int)i + 2,
		    .end = (int)e, .size = 1, .parent = 0 };
		t[0].size++;
		i = skip_sp(p, e + 2, len);
		if (i >= len || p[i] != ':')
			return -1;
		i = skip_sp(p, i + 1, len);
		if (i >= len)
			return -1;
		if (inner_quote(p, i, len)) {
			if ((e = inner_string_end(p, i + 2, len)) == 0)
				return -1;
			esc[n] = 0;
			t[n++] = (jsmntok_t){ .type = JSMN_STRING,
			    .start = (int)i + 2, .end = (int)e, .size = 0,
			    .parent = key };
			e += 2;
		} else {
			if ((e = primitive_end(p, i, len)) == 0)
				return -1;
			t[n++] = (jsmntok_t){ .type = JSMN_PRIMITIVE,
			    .start = (int)i, .end = (int)e, .size = 0,
			    .parent = key };
		}
		i = skip_sp(p, e, len);
		if (i < len && p[i] == ',') {
			i = skip_sp(p, i + 1, len);
			continue;
		}
		if (i < len && p[i] == '}')
			break;
		return -1;
	}
close:
	return flat_close(j, s, len, i, skip_sp(p, i + 1, len), n);
}

#ifdef __SSE2__
/*
 * Copies src[0..len) to d, sixteen bytes at a time: d has room for
 * sixteen past what is copied, and src is read no further than end.
 */
static inline char *
copy_span(char *d, const unsigned char *src, size_t len,
    const unsigned char *end)
{
	for (; len >= 16; d += 16, src += 16, len -= 16)
		_mm_storeu_si128((__m128i *)(void *)d,
		    _mm_loadu_si128((const __m128i *)(const void *)src));
	if (len > 0) {
		if (end - src >= 16)
			_mm_storeu_si128((__m128i *)(void *)d,
			    _mm_loadu_si128((const __m128i *)(const void *)src));
		else
			memcpy(d, src, len);
	}
	return d + len;
}
#endif

int
flat_unescape(struct buf *out, const char *s, size_t n)
{
#ifdef __SSE2__
	const unsigned char *p = (const unsigned char *)s, *blk;
	const __m128i bslash = _mm_set1_epi8('\\');
	unsigned char pad[64];
	uint64_t bs, e, carry = 0;
	size_t i, x, from = 0;
	char *d;
	int k;

	if (buf_reserve(out, n + 16) == -1)
		return json_unescape(out, s, n);
	d = out->data + out->len;
	for (i = 0; i < n; i += 64) {
		/* The string was checked: only its backslashes matter. */
		blk = block_at(p, i, n, pad);
		for (bs = 0, k = 0; k < 4; k++)
			bs |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_loadu_si128((const __m128i *)(const void *)
			    (blk + 16 * k)), bslash)) << (16 * k);
		/* Runs of backslashes and \u escapes go the slow way. */
		if ((bs & (bs << 1 | carry)) != 0)
			return json_unescape(out, s, n);
		for (e = bs; e != 0; e &= e - 1) {
			x = i + (size_t)__builtin_ctzll(e);
			if (x + 1 >= n || simple_escape[p[x + 1]] == 0)
				return json_unescape(out, s, n);
			d = copy_span(d, p + from, x - from, p + n);
			*d++ = (char)simple_escape[p[x + 1]];
			from = x + 2;
		}
		carry = bs >> 63;
	}
	d = copy_span(d, p + from, n - from, p + n);
	out->len = (size_t)(d - out->data);
	out->data[out->len] = '\0';
	return JSON_OK;
#else
	return json_unescape(out, s, n);
#endif
}
