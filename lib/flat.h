/*
 * flat: a fast path for the flat JSON objects (string, number and
 * literal values, no object or array values) that records nearly always
 * are.
 *
 * json_parse() runs jsmn and then checks its tokens against the
 * grammar: two passes and a pass per string, most of the reading cost
 * of a record.  flat_parse() reads a flat object in one pass, sixteen
 * bytes at a time through strings (64, their escapes as bit masks, where
 * a string has them), and leaves exactly the tokens json_parse() would
 * (jsmn's, with parent links).  It accepts
 * only what json_parse() accepts; for anything else (nested values,
 * errors, too many tokens) it returns -1 and the caller asks
 * json_parse(), which then decides and explains.  The fuzz targets
 * check both properties against json_parse() on every input.
 */
#ifndef LIB_FLAT_H
#define LIB_FLAT_H

#include <stddef.h>

#include "json.h"

/*
 * 0 with j's tokens filled as json_parse() would, or -1: ask it.  On 0,
 * esc[i] (room for j's token capacity) says whether string token i holds
 * a backslash, so callers need not look again.
 */
int flat_parse(struct json *j, const char *s, size_t len, unsigned char *esc);

/*
 * flat_parse() of the text that s[0..len), the contents of a string
 * token flat_parse() accepted, holds once unescaped (a JSON text inside
 * a string, as a record's body is), read as it stands, without
 * unescaping it: when its only escapes are \" (so that none of its own
 * strings holds an escape, nor its whitespace anything but spaces).
 * Then 0, with j's tokens those json_parse() leaves for the unescaped
 * text in all but their offsets, which are into s, and esc[i] zero;
 * else -1, and the caller unescapes and reads the text the usual way.
 */
int flat_parse_inner(struct json *j, const char *s, size_t len,
    unsigned char *esc);

/*
 * json_unescape() of s[0..n), the contents of a string token that
 * flat_parse() accepted: the same text appended to out, the same result.
 * Faster where escapes are many (a JSON text inside a string: \" every
 * few bytes), as flat_parse() already checked the string's bytes.
 */
int flat_unescape(struct buf *out, const char *s, size_t n);

#endif
