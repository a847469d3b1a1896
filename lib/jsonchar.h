/*
 * The character classes of JSON text and the byte-parallel tests that
 * lib's two JSON readers (json.c, the full one, and flat.c, the fast
 * one for flat objects) both use, so that they cannot come to disagree.
 */
#ifndef JSONCHAR_H
#define JSONCHAR_H

#include <stddef.h>

/* Byte-parallel tests on eight bytes in a uint64_t. */
#define ONES 0x0101010101010101ULL
#define HIGHS (ONES * 0x80)
/*
 * The high bit set in each zero byte of w.  Borrows can set bits above a
 * zero byte, never below, so the lowest set bit is always exact.
 */
#define ZEROBITS(w) (((w) - ONES) & ~(w) & HIGHS)
/* The index of the lowest byte flagged in a mask (little-endian). */
#define FIRSTBYTE(m) ((size_t)__builtin_ctzll(m) >> 3)

static inline int
isws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
ishex(unsigned char c)
{
	return (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * The bytes an escape at p[0] (a backslash) takes, or 0 if it is not a
 * JSON escape.  p[0..n) is what is left of the text.
 */
static inline size_t
escape_len(const unsigned char *p, size_t n)
{
	if (n < 2)
		return 0;
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return 2;
	case 'u':
		if (n < 6 || !ishex(p[2]) || !ishex(p[3]) || !ishex(p[4]) ||
		    !ishex(p[5]))
			return 0;
		return 6;
	}
	return 0;
}

#endif
