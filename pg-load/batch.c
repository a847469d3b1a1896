#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "json.h"
#include "out.h"

/* One refusal's text is kept up to this much. */
#define REASON_MAX (8u << 10)
#define REASONS_BYTES (16u << 20)
#define MIDS_BYTES (64u << 20)

int
batch_init(struct batch *b, size_t max)
{
	memset(b, 0, sizeof *b);
	buf_init(&b->text, BATCH_TEXT_BYTES + LINE_MAX_BYTES + 1);
	buf_init(&b->mids, MIDS_BYTES);
	/* Ids come from the text; each ack adds a few dozen bytes. */
	buf_init(&b->acks, BATCH_TEXT_BYTES + LINE_MAX_BYTES + 64 * max);
	buf_init(&b->reasons, REASONS_BYTES);
	b->max = max;
	b->rec = calloc(max, sizeof *b->rec);
	b->keys = calloc(max, sizeof *b->keys);
	b->flags = calloc(max, 1);
	if (b->rec == NULL || b->keys == NULL || b->flags == NULL) {
		batch_free(b);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void
batch_free(struct batch *b)
{
	buf_free(&b->text);
	buf_free(&b->mids);
	buf_free(&b->acks);
	buf_free(&b->reasons);
	free(b->rec);
	free(b->keys);
	free(b->flags);
	b->rec = NULL;
	b->keys = NULL;
	b->flags = NULL;
	b->n = b->max = 0;
}

void
batch_reset(struct batch *b)
{
	buf_reset(&b->text);
	buf_reset(&b->mids);
	buf_reset(&b->acks);
	buf_reset(&b->reasons);
	b->n = b->rows = b->nkeys = b->reasons_mark = 0;
}

int
batch_full(const struct batch *b)
{
	return b->n >= b->max || b->text.len >= BATCH_TEXT_BYTES;
}

struct rec *
batch_add(struct batch *b, const char *line, size_t len,
    unsigned long long lineno)
{
	struct rec *r;

	if (b->n >= b->max) {
		errno = EMSGSIZE;
		return NULL;
	}
	r = &b->rec[b->n];
	memset(r, 0, sizeof *r);
	r->off = b->text.len;
	r->len = len;
	r->lineno = lineno;
	r->reason = NO_REASON;
	r->first = NO_FIRST;
	r->col = -1;
	if (buf_add(&b->text, line, len) == -1 ||
	    buf_addc(&b->text, '\0') == -1) {
		buf_truncate(&b->text, r->off);
		return NULL;
	}
	b->n++;
	return r;
}

int
batch_set_ack(struct batch *b, struct rec *r, const char *rh, size_t rhlen,
    const char *mid, size_t midlen)
{
	r->ack = b->acks.len;
	if (ack_head(&b->acks, rh, rhlen, mid, midlen) == -1)
		return -1;
	r->acklen = b->acks.len - r->ack;
	r->has_rh = 1;
	return 0;
}

int
batch_set_mid(struct batch *b, struct rec *r, const char *raw, size_t n,
    int escaped)
{
	size_t old = b->mids.len;

	r->mid = old;
	if (escaped ? json_unescape(&b->mids, raw, n) != JSON_OK :
	    buf_add(&b->mids, raw, n) == -1) {
		buf_truncate(&b->mids, old);
		errno = ENOMEM;
		return -1;
	}
	r->midlen = b->mids.len - old;
	r->has_mid = 1;
	return 0;
}

void
batch_refuse(struct batch *b, struct rec *r, const char *reason, size_t n,
    const char *sqlstate, int col)
{
	char brief[64];

	r->status = ST_REFUSED;
	r->col = col;
	snprintf(r->sqlstate, sizeof r->sqlstate, "%s", sqlstate);
	if (n > REASON_MAX)
		n = REASON_MAX;
	r->reason = b->reasons.len;
	if (buf_add(&b->reasons, reason, n) == 0 &&
	    buf_addc(&b->reasons, '\0') == 0)
		return;
	buf_truncate(&b->reasons, r->reason);
	n = (size_t)snprintf(brief, sizeof brief, "SQLSTATE %s (text dropped: "
	    "too many refusals in one batch)", sqlstate);
	if (buf_add(&b->reasons, brief, n + 1) == -1)
		r->reason = NO_REASON;
}

void
batch_refuse_as(struct rec *r, const struct rec *first)
{
	r->status = ST_REFUSED;
	r->reason = first->reason;
	r->col = first->col;
	memcpy(r->sqlstate, first->sqlstate, sizeof r->sqlstate);
}

size_t
batch_keys(struct batch *b)
{
	struct rec *r;
	size_t i, n = 0, dropped = 0;

	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		if (r->status != ST_PENDING || !r->has_mid)
			continue;
		r->first = NO_FIRST;
		b->keys[n].ts = r->ts;
		b->keys[n].mid = b->mids.data + r->mid;
		b->keys[n].midlen = r->midlen;
		b->keys[n].rec = i;
		n++;
	}
	ledger_sort(b->keys, n);
	/* Equal keys sort together, the first in input order first. */
	for (i = 0, b->nkeys = 0; i < n; i++) {
		if (b->nkeys > 0 &&
		    ledger_key_cmp(&b->keys[b->nkeys - 1], &b->keys[i]) == 0) {
			b->rec[b->keys[i].rec].status = ST_DUPLICATE;
			b->rec[b->keys[i].rec].first =
			    b->keys[b->nkeys - 1].rec;
			dropped++;
			continue;
		}
		b->keys[b->nkeys++] = b->keys[i];
	}
	return dropped;
}
