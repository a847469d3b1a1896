/*
 * flat: a fast path for the records pg-load reads nearly always, flat
 * JSON objects (no object or array values).
 *
 * Reading JSON is most of pg-load's own work per row, and its CPU is
 * taken from the server's on a small machine.  flat_parse() reads a flat
 * object in one pass, eight bytes at a time through strings, and leaves
 * exactly the tokens json_parse() would (jsmn's, with parent links).
 * It accepts only what json_parse() accepts; for anything else (nested
 * values, errors, too many tokens) it returns -1 and the caller asks
 * json_parse(), which then decides and explains.  The fuzz target checks
 * both properties against json_parse() on every input.
 */
#ifndef PG_LOAD_FLAT_H
#define PG_LOAD_FLAT_H

#include <stddef.h>

#include "json.h"

/*
 * 0 with j's tokens filled as json_parse() would, or -1: ask it.  On 0,
 * esc[i] (room for j's token capacity) says whether string token i holds
 * a backslash, so callers need not look again.
 */
int flat_parse(struct json *j, const char *s, size_t len, unsigned char *esc);

#endif
