/*
 * reason: why a line was rejected, from a fixed vocabulary, so the
 * summary can count rejects by reason and scripts can match them.
 *
 * A reason is a place (the line, the record, the body, or one field)
 * and a problem, and reads "place: problem" ("ip: invalid address").
 * Neither part ever holds a value from the input.
 */
#ifndef LOGIN_MASK_REASON_H
#define LOGIN_MASK_REASON_H

#include <stdio.h>

#include "buf.h"

enum where {
	W_LINE,			/* the input line as a whole */
	W_MESSAGE_ID,
	W_RECEIPT_HANDLE,
	W_SENT_TIMESTAMP,
	W_BODY,			/* a message record's body */
	W_USER_ID,
	W_APP_VERSION,
	W_DEVICE_TYPE,
	W_IP,
	W_LOCALE,
	W_DEVICE_ID,
	NWHERE
};

enum what {
	P_NONE,
	P_TOO_LONG,		/* longer than its column (or the line cap) */
	P_NOT_JSON,
	P_TOO_BIG,		/* too many tokens: too deep or too many keys */
	P_CTRL,			/* raw control character in a string */
	P_UTF8,
	P_SURROGATE,
	P_NUL,
	P_ESCAPE,
	P_NOT_OBJECT,
	P_MISSING,
	P_DUPLICATE,		/* the key appears twice */
	P_NOT_STRING,
	P_NOT_INTEGER,
	P_EMPTY,
	P_INVALID,		/* not the form the field rules allow */
	P_RANGE,		/* well formed, but does not fit */
	NWHAT
};

struct reasons {
	unsigned long long n[NWHERE][NWHAT];
	unsigned long long total;
};

const char *where_name(int where);
const char *what_name(int what);

/* The problem a lib/json.h error code stands for. */
int what_json(int json_err);

void reasons_count(struct reasons *r, int where, int what);

/* Appends "place: problem" to b; -1 if b is full. */
int reason_put(struct buf *b, int where, int what);

/* One line per reason seen, "prog: rejected N: place: problem". */
void reasons_print(const struct reasons *r, FILE *fp);

#endif
