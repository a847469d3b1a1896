#include <errno.h>
#include <stdio.h>

#include "json.h"
#include "reason.h"

static const char *const where_names[NWHERE] = {
	[W_LINE] = "line",
	[W_MESSAGE_ID] = "message_id",
	[W_RECEIPT_HANDLE] = "receipt_handle",
	[W_SENT_TIMESTAMP] = "sent_timestamp",
	[W_BODY] = "body",
	[W_USER_ID] = "user_id",
	[W_APP_VERSION] = "app_version",
	[W_DEVICE_TYPE] = "device_type",
	[W_IP] = "ip",
	[W_LOCALE] = "locale",
	[W_DEVICE_ID] = "device_id",
};

static const char *const what_names[NWHAT] = {
	[P_NONE] = "no problem",
	[P_TOO_LONG] = "too long",
	[P_NOT_JSON] = "not JSON",
	[P_TOO_BIG] = "too many JSON tokens",
	[P_CTRL] = "control character",
	[P_UTF8] = "invalid UTF-8",
	[P_SURROGATE] = "lone surrogate",
	[P_NUL] = "NUL character",
	[P_ESCAPE] = "bad escape",
	[P_NOT_OBJECT] = "not an object",
	[P_MISSING] = "missing",
	[P_DUPLICATE] = "duplicate key",
	[P_NOT_STRING] = "not a string",
	[P_NOT_INTEGER] = "not an integer",
	[P_EMPTY] = "empty",
	[P_INVALID] = "invalid",
	[P_RANGE] = "out of range",
};

const char *
where_name(int where)
{
	return where >= 0 && where < NWHERE ? where_names[where] : "?";
}

const char *
what_name(int what)
{
	return what >= 0 && what < NWHAT ? what_names[what] : "?";
}

int
what_json(int err)
{
	switch (err) {
	case JSON_ETOOBIG:	return P_TOO_BIG;
	case JSON_ECTRL:	return P_CTRL;
	case JSON_EUTF8:	return P_UTF8;
	case JSON_ESURROGATE:	return P_SURROGATE;
	case JSON_ENUL:		return P_NUL;
	case JSON_EESCAPE:	return P_ESCAPE;
	/* A cap reached while unescaping: the text was too long. */
	case JSON_ENOMEM:	return P_TOO_LONG;
	}
	return P_NOT_JSON;
}

void
reasons_count(struct reasons *r, int where, int what)
{
	r->n[where][what]++;
	r->total++;
}

int
reason_put(struct buf *b, int where, int what)
{
	if (buf_adds(b, where_name(where)) == -1 || buf_add(b, ": ", 2) == -1 ||
	    buf_adds(b, what_name(what)) == -1)
		return -1;
	return 0;
}

void
reasons_print(const struct reasons *r, FILE *fp)
{
	int w, p;

	for (w = 0; w < NWHERE; w++)
		for (p = 0; p < NWHAT; p++)
			if (r->n[w][p] > 0)
				fprintf(fp, "%s: rejected %llu: %s: %s\n",
				    program_invocation_short_name, r->n[w][p],
				    where_names[w], what_names[p]);
}
