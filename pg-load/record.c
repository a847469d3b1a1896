#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "flat.h"
#include "record.h"

/*
 * Tokens per record: a row record has about twenty; the rest is room for
 * json and jsonb values.  jsmn's cost grows with the square of nesting,
 * which this bounds.
 */
#define REC_MAXTOK 8192
/* The longest key or value unescaped (a record line is capped anyway). */
#define REC_SCRATCH (16u << 20)

enum meta { M_NONE, M_MID, M_RH, M_TS, M_ACK_ONLY, M_RELEASE };

int
recparser_init(struct recparser *p, const struct columns *cols)
{
	memset(p, 0, sizeof *p);
	p->cols = cols;
	buf_init(&p->scratch, REC_SCRATCH);
	if ((p->val = calloc(cols->n ? cols->n : 1, sizeof *p->val)) == NULL ||
	    (p->esc = calloc(REC_MAXTOK, 1)) == NULL ||
	    json_init(&p->j, REC_MAXTOK) == -1) {
		free(p->val);
		free(p->esc);
		p->val = NULL;
		p->esc = NULL;
		return -1;
	}
	return 0;
}

void
recparser_free(struct recparser *p)
{
	json_free(&p->j);
	free(p->val);
	free(p->esc);
	p->val = NULL;
	p->esc = NULL;
	buf_free(&p->scratch);
}

static enum meta
meta_key(const char *k, size_t n)
{
	switch (n) {
	case 7:
		return memcmp(k, "release", 7) == 0 ? M_RELEASE : M_NONE;
	case 8:
		return memcmp(k, "ack_only", 8) == 0 ? M_ACK_ONLY : M_NONE;
	case 10:
		return memcmp(k, "message_id", 10) == 0 ? M_MID : M_NONE;
	case 14:
		if (memcmp(k, "receipt_handle", 14) == 0)
			return M_RH;
		return memcmp(k, "sent_timestamp", 14) == 0 ? M_TS : M_NONE;
	}
	return M_NONE;
}

static int
bad(struct record *r, const char *fmt, const char *field)
{
	r->kind = REC_BAD;
	snprintf(r->why, sizeof r->why, fmt, field);
	return 0;
}

/*
 * Marks r bad for the first fault found in a field; the caller reads on,
 * for the ids the record's ack and its reject need.
 */
static void
fault(struct record *r, const char *fmt, const char *field)
{
	if (r->kind != REC_BAD)
		(void)bad(r, fmt, field);
}

/* Whether string token t, s[0..n), holds an escape. */
static int
escaped(const struct recparser *p, int t, const char *s, size_t n)
{
	return p->esc_known ? p->esc[t] : memchr(s, '\\', n) != NULL;
}

/* Whether token t is null (json_isnull, without a call per value). */
static int
isnull(const struct json *j, int t)
{
	return j->tok[t].type == JSMN_PRIMITIVE && j->s[j->tok[t].start] == 'n';
}

static const char *const meta_name[] = {
	[M_MID] = "message_id", [M_RH] = "receipt_handle",
	[M_TS] = "sent_timestamp", [M_ACK_ONLY] = "ack_only",
	[M_RELEASE] = "release",
};

/* A JSON integer token as a non-negative int64, or -1. */
static int64_t
tok_uint(const char *s, const jsmntok_t *t)
{
	int64_t v = 0;
	int i;

	if (t->type != JSMN_PRIMITIVE || t->end - t->start > 18)
		return -1;
	for (i = t->start; i < t->end; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* true, false or null (as false) into *v; -1 for anything else. */
static int
tok_bool(const struct json *j, int i, int *v)
{
	const jsmntok_t *t = &j->tok[i];
	size_t n = (size_t)(t->end - t->start);

	if (t->type != JSMN_PRIMITIVE)
		return -1;
	if (n == 4 && memcmp(j->s + t->start, "true", 4) == 0)
		*v = 1;
	else if ((n == 5 && memcmp(j->s + t->start, "false", 5) == 0) ||
	    json_isnull(j, i))
		*v = 0;
	else
		return -1;
	return 0;
}

int
record_parse(struct recparser *p, const char *line, size_t len,
    struct record *r)
{
	const struct columns *cols = p->cols;
	struct json *j = &p->j;
	const jsmntok_t *kt, *vt;
	const char *key;
	size_t klen, c, i, next = 0;
	int rc, k, v, n, ack_only = 0, release = 0, seen[M_RELEASE + 1] = { 0 };
	enum meta m;

	/* Not a memset: why is long, and this runs for every line. */
	r->kind = REC_ROW;
	r->mid = r->rh = NULL;
	r->midlen = r->rhlen = 0;
	r->midesc = 0;
	r->ts = 0;
	r->ncols = 0;
	r->why[0] = '\0';
	for (c = 0; c < cols->n; c++)
		p->val[c] = -1;
	p->esc_known = flat_parse(j, line, len, p->esc) == 0;
	if (!p->esc_known && (rc = json_parse(j, line, len)) != JSON_OK) {
		if (rc == JSON_ENOMEM) {
			errno = ENOMEM;
			return -1;
		}
		return bad(r, "not a JSON object: %s", json_strerror(rc));
	}
	if (j->tok[0].type != JSMN_OBJECT)
		return bad(r, "not a JSON object: %s", "another JSON value");

	/*
	 * A fault in one field does not end the reading: message_id,
	 * receipt_handle and sent_timestamp may come after it, and a bad
	 * record is still acknowledged, by its handle, and named by its id.
	 */
	for (k = 1, n = 0; n < j->tok[0].size; n++, k = json_skip(j, v)) {
		kt = &j->tok[k];
		v = k + 1;
		vt = &j->tok[v];
		key = line + kt->start;
		klen = (size_t)(kt->end - kt->start);
		if (escaped(p, k, key, klen)) {
			buf_reset(&p->scratch);
			if (json_unescape(&p->scratch, key, klen) != JSON_OK) {
				fault(r, "a key is %s", "not valid text");
				continue;
			}
			key = p->scratch.data;
			klen = p->scratch.len;
		}
		/* Keys mostly come in column order: try the next one first. */
		for (i = 0, c = next; i < cols->n;
		    i++, c = c + 1 < cols->n ? c + 1 : 0) {
			if (cols->len[c] != klen ||
			    memcmp(cols->name[c], key, klen) != 0)
				continue;
			if (p->val[c] != -1) {
				fault(r, "key %s: given twice", cols->name[c]);
				break;
			}
			p->val[c] = v;
			r->ncols++;
			next = c + 1 < cols->n ? c + 1 : 0;
			break;
		}
		if ((m = meta_key(key, klen)) == M_NONE)
			continue;
		/* The first of two stands: the ack names one handle. */
		if (seen[m]++) {
			fault(r, "key %s: given twice", meta_name[m]);
			continue;
		}
		if (isnull(j, v))
			continue;
		switch (m) {
		case M_MID:
		case M_RH:
			if (vt->type != JSMN_STRING) {
				fault(r, "%s: not a string", meta_name[m]);
				break;
			}
			if (m == M_RH) {
				r->rh = line + vt->start;
				r->rhlen = (size_t)(vt->end - vt->start);
				break;
			}
			r->mid = line + vt->start;
			r->midlen = (size_t)(vt->end - vt->start);
			/* It goes into the ledger as text. */
			r->midesc = escaped(p, v, r->mid, r->midlen);
			buf_reset(&p->scratch);
			if (r->midesc && json_unescape(&p->scratch, r->mid,
			    r->midlen) != JSON_OK)
				fault(r, "%s: a NUL or a lone surrogate, which "
				    "text cannot hold", meta_name[m]);
			else if ((r->midesc ? p->scratch.len : r->midlen) >
			    MID_MAX)
				/* Its ledger key would pass the index's limit. */
				fault(r, "%s: longer than " MID_MAX_TEXT
				    " bytes", meta_name[m]);
			break;
		case M_TS:
			if ((r->ts = tok_uint(line, vt)) < 0) {
				r->ts = 0;
				fault(r, "%s: not a non-negative integer",
				    meta_name[m]);
			}
			break;
		case M_ACK_ONLY:
		case M_RELEASE:
			if (tok_bool(j, v, m == M_ACK_ONLY ? &ack_only :
			    &release))
				fault(r, "%s: neither true nor false",
				    meta_name[m]);
			break;
		case M_NONE:
			break;
		}
	}
	if (r->kind == REC_BAD)
		return 0;
	if (ack_only && release)
		return bad(r, "%s: set together with release", "ack_only");
	if (ack_only)
		r->kind = REC_ACK_ONLY;
	else if (release)
		r->kind = REC_RELEASE;
	else if (r->ncols == 0)
		return bad(r, "%s", "no key names a column of the table");
	return 0;
}

int
record_copy_row(struct recparser *p, struct record *r, struct buf *out)
{
	const struct json *j = &p->j;
	const jsmntok_t *t;
	size_t c, n, old = out->len;
	int v, rc;

	for (c = 0; c < p->cols->n; c++) {
		if (c > 0 && buf_addc(out, '\t') == -1)
			goto fail;
		v = p->val[c];
		if (v < 0 || isnull(j, v)) {
			rc = copy_put_null(out);
		} else {
			t = &j->tok[v];
			n = (size_t)(t->end - t->start);
			if (t->type == JSMN_STRING && p->esc_known &&
			    !p->esc[v])
				/* No escape: no byte COPY needs escaped. */
				rc = buf_add(out, j->s + t->start, n);
			else if (t->type == JSMN_STRING)
				rc = copy_put_jstring(out, &p->scratch,
				    j->s + t->start, n);
			else
				rc = copy_put_text(out, j->s + t->start, n);
		}
		if (rc == -1) {
			if (errno != EINVAL && errno != EILSEQ)
				goto fail;
			buf_truncate(out, old);
			bad(r, errno == EINVAL ? "column %s: a NUL character, "
			    "which PostgreSQL text cannot hold" : "column %s: "
			    "a lone surrogate escape, which is no UTF-8",
			    p->cols->name[c]);
			return 1;
		}
	}
	if (buf_addc(out, '\n') == -1)
		goto fail;
	return 0;
fail:
	buf_truncate(out, old);
	return -1;
}
