/*
 * json: strict JSON reading on top of jsmn, string unescaping to UTF-8,
 * and string writing.
 *
 * jsmn tokenizes but does not validate: it accepts `tru`, `01`, `[1,]`,
 * `[1 2]`, raw control characters in strings and trailing garbage.  So
 * json_parse() tokenizes with jsmn, then checks every token and every
 * byte between tokens against the RFC 8259 grammar (one value; strings
 * of valid UTF-8 without raw control characters).  Nesting depth is
 * bounded only by the token cap, and nothing here recurses, so no input
 * can exhaust the stack.
 *
 * jsmn reads strings a byte at a time, and most of a record is strings.
 * So json_parse() first checks each string itself, eight bytes at a time
 * (escapes, control characters, UTF-8), and gives jsmn the text with
 * every string's contents taken out ("" in their place); jsmn's tokens
 * are then moved back onto the text.  jsmn still decides the structure.
 */
#ifndef LIB_JSON_H
#define LIB_JSON_H

#include <stddef.h>

#define JSMN_HEADER
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "buf.h"

enum json_err {
	JSON_OK = 0,
	JSON_ESYNTAX,		/* not JSON */
	JSON_ETOOBIG,		/* more tokens than the cap, or too long */
	JSON_ECTRL,		/* raw control character in a string */
	JSON_EUTF8,		/* invalid UTF-8 */
	JSON_ESURROGATE,	/* \u escape of a lone surrogate */
	JSON_ENUL,		/* NUL character in a string */
	JSON_EESCAPE,		/* malformed escape sequence */
	JSON_ENOMEM		/* out of memory (or a buffer's cap) */
};

struct json {
	const char *s;		/* the text last parsed (not owned) */
	size_t len;
	jsmntok_t *tok;		/* its tokens, in document order */
	int ntok;
	size_t errpos;		/* byte offset of the first error */
	/* private */
	size_t tokcap;
	size_t maxtok;
	char *skel;		/* the text without string contents, for jsmn */
	size_t skelcap;
	struct json_str *str;	/* where each string of the text is */
	size_t strcap;
};

/*
 * maxtok caps the tokens, and so the nesting, of any one text.  Keep it
 * to what the records need: jsmn walks up the open containers at each
 * closing bracket, so a text nested d deep costs O(d^2), and the cap is
 * what bounds d.
 */
int json_init(struct json *j, size_t maxtok);
void json_free(struct json *j);

/*
 * Parses s[0..len), which must hold exactly one JSON value, optionally
 * surrounded by whitespace.  Returns JSON_OK with j->tok filled, or an
 * error code with j->errpos set.  Tokens point into s, which must
 * outlive their use.
 */
int json_parse(struct json *j, const char *s, size_t len);

const char *json_strerror(int err);

/* The index of the token after token i and everything inside it. */
int json_skip(const struct json *j, int i);

/*
 * Whether string token i is, once unescaped, the NUL-terminated key.
 * Escaped keys take a slow path; plain ones are a length and memcmp.
 */
int json_streq(const struct json *j, int i, const char *key);

/* The value token of key in object token obj, or -1.  First match. */
int json_get(const struct json *j, int obj, const char *key);

/* Whether primitive token i is the literal null. */
int json_isnull(const struct json *j, int i);

/*
 * Appends the UTF-8 text of a JSON string body (the bytes between the
 * quotes) to out.  Surrogate pairs are joined; a lone surrogate, a
 * malformed escape, invalid UTF-8 or a NUL (raw or \u0000) is an error
 * and out is left at its old length.  Returns JSON_OK or an error code.
 */
int json_unescape(struct buf *out, const char *s, size_t len);

/* json_unescape() of string token i. */
int json_tokstr(const struct json *j, int i, struct buf *out);

/*
 * Appends s[0..len) as a quoted JSON string: quotes, backslashes and
 * control characters escaped, NUL as \u0000.  s must be valid UTF-8:
 * JSON_EUTF8 otherwise, and out is left at its old length.
 */
int json_put_str(struct buf *out, const char *s, size_t len);

/* Appends "key": to out.  key is trusted ASCII without specials. */
int json_put_key(struct buf *out, const char *key);

/* Appends a decimal integer. */
int json_put_int(struct buf *out, long long v);

/*
 * The length of the valid UTF-8 sequence at p (1 to 4), or 0 if the
 * bytes there are not one: overlong forms, surrogates and code points
 * past U+10FFFF are invalid.
 */
size_t utf8_seqlen(const unsigned char *p, size_t n);

/* Whether s[0..n) is valid UTF-8 (NUL bytes allowed). */
int utf8_valid(const char *s, size_t n);

#endif
