#include <string.h>

#include "flat.h"
#include "reason.h"
#include "record.h"

/* In the order sqs-read writes them, which next_name() tries first. */
enum { R_MESSAGE_ID, R_RECEIPT_HANDLE, R_SENT_TIMESTAMP, R_BODY, NRKEYS };

static const struct name rkey_names[NRKEYS] = {
	NAME("message_id"), NAME("receipt_handle"), NAME("sent_timestamp"),
	NAME("body"),
};

/* 9999-12-31T23:59:59.999Z: create_date has four-digit years. */
#define TS_MAX 253402300799999LL

int
parser_init(struct parser *p, int null_app_version)
{
	memset(p, 0, sizeof *p);
	p->null_app_version = null_app_version;
	buf_init(&p->bodytext, RECORD_LINE_MAX);
	buf_init(&p->scratch.b, RECORD_LINE_MAX + 64);
	if (json_init(&p->rec, RECORD_MAXTOK) == -1)
		return -1;
	if (json_init(&p->body, RECORD_MAXTOK) == -1) {
		json_free(&p->rec);
		return -1;
	}
	return 0;
}

void
parser_free(struct parser *p)
{
	json_free(&p->rec);
	json_free(&p->body);
	buf_free(&p->bodytext);
	buf_free(&p->scratch.b);
}

static int
fail(struct record *r, int where, int what)
{
	r->where = where;
	r->what = what;
	return -1;
}

/*
 * An identity string: kept as read (it goes out as read), but it must
 * unescape cleanly, as pg-load and sqs-read will unescape it.
 */
static int
ident_string(struct parser *p, int v, const char **s, size_t *n)
{
	const jsmntok_t *t = &p->rec.tok[v];
	int err;

	if (t->type != JSMN_STRING)
		return P_NOT_STRING;
	*s = p->rec.s + t->start;
	*n = (size_t)(t->end - t->start);
	if (*n == 0)
		return P_EMPTY;
	if (p->resc != NULL ? p->resc[v] : has_backslash(*s, *n)) {
		buf_reset(&p->scratch.b);
		if ((err = json_unescape(&p->scratch.b, *s, *n)) != JSON_OK)
			return what_json(err);
	}
	return P_NONE;
}

/* A JSON integer of digits only, 0 to TS_MAX. */
static int
timestamp(const struct json *j, int v, long long *ms)
{
	const jsmntok_t *t = &j->tok[v];
	const char *s = j->s + t->start;
	int i, n = t->end - t->start;
	long long x = 0;

	if (t->type != JSMN_PRIMITIVE)
		return P_NOT_INTEGER;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return s[i] == '-' ? P_RANGE : P_NOT_INTEGER;
		if (x > TS_MAX)
			return P_RANGE;
		x = x * 10 + (s[i] - '0');
	}
	if (n == 0)
		return P_NOT_INTEGER;
	if (x > TS_MAX)
		return P_RANGE;
	*ms = x;
	return P_NONE;
}

/*
 * The identity of a message record, each field checked on its own, so
 * that a good receipt handle can ack or release the message whatever
 * else is wrong with it.  dup has bit f set for an identity key given
 * twice.  Returns 0 with r->ident set, or -1 with the first bad field
 * (in the order sqs-read writes them) as the reason.
 */
static int
identity(struct parser *p, const int slot[NRKEYS], unsigned dup,
    struct record *r)
{
	const jsmntok_t *t;
	int wmid = P_NONE, wrh = P_NONE, wts = P_NONE, ts;

	if (dup & 1u << R_MESSAGE_ID)
		wmid = P_DUPLICATE;
	else if (slot[R_MESSAGE_ID] >= 0)
		wmid = ident_string(p, slot[R_MESSAGE_ID], &r->mid, &r->midlen);
	else if (slot[R_RECEIPT_HANDLE] >= 0)
		wmid = P_MISSING;	/* it could be acked, never deduplicated */
	if (wmid != P_NONE) {
		r->mid = NULL;
		r->midlen = 0;
	}

	if (dup & 1u << R_RECEIPT_HANDLE)
		wrh = P_DUPLICATE;
	else if (slot[R_RECEIPT_HANDLE] >= 0)
		wrh = ident_string(p, slot[R_RECEIPT_HANDLE], &r->rh, &r->rhlen);
	if (wrh != P_NONE) {
		r->rh = NULL;
		r->rhlen = 0;
	}
	r->ack = r->rh != NULL;

	ts = slot[R_SENT_TIMESTAMP];
	if (dup & 1u << R_SENT_TIMESTAMP) {
		wts = P_DUPLICATE;
	} else if (ts >= 0 && !json_isnull(&p->rec, ts) &&
	    (wts = timestamp(&p->rec, ts, &r->ts_ms)) == P_NONE) {
		t = &p->rec.tok[ts];
		r->ts = p->rec.s + t->start;
		r->tslen = (size_t)(t->end - t->start);
	}

	if (wmid != P_NONE)
		return fail(r, W_MESSAGE_ID, wmid);
	if (wrh != P_NONE)
		return fail(r, W_RECEIPT_HANDLE, wrh);
	if (wts != P_NONE)
		return fail(r, W_SENT_TIMESTAMP, wts);
	r->ident = 1;
	return 0;
}

/*
 * Reads one JSON text into j: the flat reader for a flat object (nearly
 * every record and body), json_parse for the rest, which also decides
 * and explains every error the flat reader declined.  *esc is then the
 * flat reader's escape flags, or NULL.
 */
static int
parse(const struct parser *p, struct json *j, const char *s, size_t n,
    unsigned char *flags, const unsigned char **esc)
{
	if (!p->full && flat_parse(j, s, n, flags) == 0) {
		*esc = flags;
		return JSON_OK;
	}
	*esc = NULL;
	return json_parse(j, s, n);
}

int
record_parse(struct parser *p, const char *line, size_t len, struct record *r)
{
	const struct json *j = &p->rec;
	const jsmntok_t *t;
	int slot[NRKEYS], i, n, f, h, err;
	unsigned dup = 0;

	r->message = r->ident = r->ack = 0;
	r->mid = r->rh = r->ts = r->body = NULL;
	r->midlen = r->rhlen = r->tslen = r->bodylen = 0;
	r->where = W_LINE;
	r->what = P_NONE;

	if ((err = parse(p, &p->rec, line, len, p->rflags, &p->resc)) !=
	    JSON_OK)
		return fail(r, W_LINE, what_json(err));
	if (j->tok[0].type != JSMN_OBJECT)
		return fail(r, W_LINE, P_NOT_OBJECT);

	for (f = 0; f < NRKEYS; f++)
		slot[f] = -1;
	for (i = 1, n = 0, h = 0; n < j->tok[0].size; n++) {
		if ((f = next_name(j, i, rkey_names, NRKEYS, h)) >= 0) {
			if (slot[f] != -1)
				dup |= 1u << f;
			slot[f] = i + 1;
			h = f + 1;
		}
		i = next_key(j, i);
	}

	if (slot[R_BODY] < 0 && slot[R_RECEIPT_HANDLE] < 0) {
		/* A bare login body: the line is the login. */
		if (login_parse(j, 0, p->resc, &p->scratch, p->null_app_version,
		    &r->login, &r->where, &r->what) == -1)
			return -1;
		return 0;
	}

	r->message = 1;
	if (identity(p, slot, dup, r) == -1)
		return -1;
	if (dup & 1u << R_BODY)
		return fail(r, W_BODY, P_DUPLICATE);
	if (slot[R_BODY] < 0)
		return fail(r, W_BODY, P_MISSING);
	t = &j->tok[slot[R_BODY]];
	if (t->type == JSMN_STRING) {
		r->body = line + t->start - 1;
		r->bodylen = (size_t)(t->end - t->start) + 2;
	} else {
		r->body = line + t->start;
		r->bodylen = (size_t)(t->end - t->start);
		return fail(r, W_BODY, P_NOT_STRING);
	}

	/*
	 * A body whose only escapes are its quotes' is read where it
	 * stands; any other is unescaped first.
	 */
	if (p->resc != NULL && flat_parse_inner(&p->body, r->body + 1,
	    r->bodylen - 2, p->bflags) == 0) {
		p->besc = p->bflags;
		return login_parse(&p->body, 0, p->besc, &p->scratch,
		    p->null_app_version, &r->login, &r->where, &r->what);
	}
	buf_reset(&p->bodytext);
	if (p->resc != NULL)
		err = flat_unescape(&p->bodytext, r->body + 1, r->bodylen - 2);
	else
		err = json_tokstr(j, slot[R_BODY], &p->bodytext);
	if (err != JSON_OK)
		return fail(r, W_BODY, what_json(err));
	if ((err = parse(p, &p->body, p->bodytext.data, p->bodytext.len,
	    p->bflags, &p->besc)) != JSON_OK)
		return fail(r, W_BODY, what_json(err));
	if (p->body.tok[0].type != JSMN_OBJECT)
		return fail(r, W_BODY, P_NOT_OBJECT);
	return login_parse(&p->body, 0, p->besc, &p->scratch,
	    p->null_app_version, &r->login, &r->where, &r->what);
}

void
record_too_long(struct record *r, unsigned long long lineno)
{
	memset(r, 0, sizeof *r);
	r->lineno = lineno;
	r->where = W_LINE;
	r->what = P_TOO_LONG;
}
