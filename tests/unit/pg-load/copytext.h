/*
 * copytext.h: a reader of COPY text rows and of array literals, written
 * from PostgreSQL's rules (CopyReadAttributesText in copyfromparse.c,
 * ReadArrayStr in arrayfuncs.c), for the tests to check what pg-load
 * writes.  It is the server's reading, not pg-load's writing turned
 * around: any encoding it decodes back to the same bytes is one the
 * server reads the same way.
 */
#ifndef TEST_COPYTEXT_H
#define TEST_COPYTEXT_H

#include <stddef.h>
#include <string.h>

struct field {
	int null;
	size_t off, len;	/* in the decoded output */
};

static int
ct_octal(int c)
{
	return c >= '0' && c <= '7';
}

static int
ct_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * Decodes one row s[0..n) (its newline excluded) into fields, their
 * bytes in out (room for n bytes).  Returns the number of fields, or -1
 * for what the server refuses or misreads: a raw carriage return or
 * newline, the end-of-data marker, or more than maxf fields.
 */
static int __attribute__((unused))
copy_decode_row(const char *s, size_t n, struct field *f, int maxf, char *out)
{
	size_t i = 0, o = 0, start;
	int nf = 0;

	/* A row of just \. ends the data (text format, any version). */
	if (n == 2 && s[0] == '\\' && s[1] == '.')
		return -1;
	for (;;) {
		if (nf == maxf)
			return -1;
		start = i;
		f[nf].off = o;
		while (i < n && s[i] != '\t') {
			unsigned char c = (unsigned char)s[i++];

			if (c == '\r' || c == '\n')
				return -1;
			if (c != '\\') {
				out[o++] = (char)c;
				continue;
			}
			if (i >= n)
				return -1;	/* a backslash at the end of data */
			c = (unsigned char)s[i++];
			if (ct_octal(c)) {
				int v = c - '0';

				if (i < n && ct_octal(s[i])) {
					v = v * 8 + (s[i++] - '0');
					if (i < n && ct_octal(s[i]))
						v = v * 8 + (s[i++] - '0');
				}
				out[o++] = (char)(v & 0377);
				continue;
			}
			switch (c) {
			case 'x':
				if (i < n && ct_hexval(s[i]) >= 0) {
					int v = ct_hexval(s[i++]);

					if (i < n && ct_hexval(s[i]) >= 0)
						v = v * 16 + ct_hexval(s[i++]);
					out[o++] = (char)v;
				} else {
					out[o++] = 'x';
				}
				break;
			case 'b': out[o++] = '\b'; break;
			case 'f': out[o++] = '\f'; break;
			case 'n': out[o++] = '\n'; break;
			case 'r': out[o++] = '\r'; break;
			case 't': out[o++] = '\t'; break;
			case 'v': out[o++] = '\v'; break;
			default: out[o++] = (char)c;
			}
		}
		/* \N as the whole raw field is NULL; "\\N" is the text \N. */
		f[nf].null = i - start == 2 && s[start] == '\\' && s[start + 1] == 'N';
		f[nf].len = f[nf].null ? 0 : o - f[nf].off;
		if (f[nf].null)
			o = f[nf].off;
		nf++;
		if (i >= n)
			return nf;
		i++;	/* the tab */
	}
}

/*
 * Decodes a one-dimensional array literal of quoted or unquoted text
 * elements.  Unquoted elements have surrounding whitespace dropped and
 * NULL (any case) is a null; in quoted ones a backslash takes the next
 * byte as it is.  Returns the number of elements or -1.
 */
static int __attribute__((unused))
array_decode(const char *s, size_t n, struct field *f, int maxf, char *out)
{
	size_t i = 0, o = 0, last;
	int nf = 0, quoted;

	while (i < n && s[i] == ' ')
		i++;
	if (i >= n || s[i++] != '{')
		return -1;
	while (i < n && s[i] == ' ')
		i++;
	if (i < n && s[i] == '}')
		return i + 1 == n ? 0 : -1;
	for (;;) {
		if (nf == maxf)
			return -1;
		while (i < n && s[i] == ' ')
			i++;
		f[nf].off = o;
		f[nf].null = 0;
		quoted = i < n && s[i] == '"';
		if (quoted) {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && ++i >= n)
					return -1;
				out[o++] = s[i];
			}
			if (i >= n)
				return -1;
			i++;
			while (i < n && s[i] == ' ')
				i++;
		} else {
			last = o;
			for (; i < n && s[i] != ',' && s[i] != '}'; i++) {
				if (s[i] == '"' || s[i] == '{')
					return -1;
				if (s[i] == '\\' && ++i >= n)
					return -1;
				out[o++] = s[i];
				if (s[i] != ' ')
					last = o;
			}
			o = last;
			if (o - f[nf].off == 4 &&
			    strncasecmp(out + f[nf].off, "null", 4) == 0) {
				f[nf].null = 1;
				o = f[nf].off;
			}
		}
		f[nf].len = o - f[nf].off;
		nf++;
		if (i >= n)
			return -1;
		if (s[i] == '}')
			return i + 1 == n ? nf : -1;
		if (s[i++] != ',')
			return -1;
	}
}

#endif
