/*
 * Fuzz target: one input line through the record parser, the field
 * rules and the masking path, as login-mask runs them.  Properties: no
 * crash, leak or read past the line; an accepted line gives a row that
 * is one JSON object whose strings fit their columns and whose
 * reversible masks unmask to the values; a rejected one gives a reject
 * (and, when its receipt handle is good, an ack or release) that is
 * valid JSON, with a reason from the vocabulary.  And the fast path is the full one, faster: the flat
 * reader accepts only what json_parse accepts, with the same tokens and
 * escape flags, unescapes as json_unescape does, and reads a text inside
 * a string as json_parse reads it unescaped; a parser that reads with
 * lib/json.h alone comes to the same verdict, reason, identity and
 * login, and the same row or reject, byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flat.h"
#include "json.h"
#include "key.h"
#include "login.h"
#include "mask.h"
#include "reason.h"
#include "record.h"
#include "row.h"

static struct parser p, pfull;
static struct masker hm, sm;
static struct json j, jf, ji;
static unsigned char esc[RECORD_MAXTOK], iesc[RECORD_MAXTOK];

static void
check_json(const struct buf *b)
{
	const char *s = b->data;
	size_t n = b->len;

	/* One object per line, each line ending in a newline. */
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);

		if (nl == NULL || json_parse(&j, s, (size_t)(nl - s)) != JSON_OK ||
		    j.tok[0].type != JSMN_OBJECT)
			abort();
		n -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
}

/* The value of string key in the row just parsed into j, unescaped. */
static int
field(const char *key, struct buf *out)
{
	int v = json_get(&j, 0, key);

	buf_reset(out);
	return v > 0 && json_tokstr(&j, v, out) == JSON_OK ? 0 : -1;
}

/*
 * ji, the text inside a string read where it stands, against json_parse
 * of the string unescaped (u): the same tokens but for their offsets.
 */
static void
check_inner(const struct buf *u)
{
	const jsmntok_t *x, *y;
	int k;

	if (json_parse(&j, u->data, u->len) != JSON_OK || ji.ntok != j.ntok)
		abort();
	for (k = 0; k < ji.ntok; k++) {
		x = &ji.tok[k];
		y = &j.tok[k];
		if (x->type != y->type || x->size != y->size ||
		    x->parent != y->parent || (x->type == JSMN_STRING &&
		    iesc[k] != 0) || (x->type != JSMN_OBJECT &&
		    (x->end - x->start != y->end - y->start ||
		    memcmp(ji.s + x->start, j.s + y->start,
		    (size_t)(x->end - x->start)) != 0)))
			abort();
	}
}

/*
 * The flat reader on s[0..n), if it takes it, against json_parse, and
 * flat_unescape against json_unescape on each of its strings.
 */
static void
check_flat(const char *s, size_t n)
{
	struct buf a = BUF_INIT(RECORD_LINE_MAX), b = BUF_INIT(RECORD_LINE_MAX);
	const jsmntok_t *t;
	size_t len;
	int i, ra, rb;

	if (flat_parse(&jf, s, n, esc) != 0)
		return;
	if (json_parse(&j, s, n) != JSON_OK || jf.ntok != j.ntok ||
	    memcmp(jf.tok, j.tok, (size_t)j.ntok * sizeof *j.tok) != 0)
		abort();
	for (i = 0; i < jf.ntok; i++) {
		t = &jf.tok[i];
		if (t->type != JSMN_STRING)
			continue;
		len = (size_t)(t->end - t->start);
		if (esc[i] != (memchr(s + t->start, '\\', len) != NULL))
			abort();
		buf_reset(&a);
		buf_reset(&b);
		ra = flat_unescape(&a, s + t->start, len);
		rb = json_unescape(&b, s + t->start, len);
		if (ra != rb || (ra == JSON_OK && (a.len != b.len ||
		    memcmp(a.data, b.data, a.len) != 0)))
			abort();
		if (ra == JSON_OK && flat_parse_inner(&ji, s + t->start, len,
		    iesc) == 0)
			check_inner(&a);
	}
	buf_free(&a);
	buf_free(&b);
}

static int
same_text(const struct text *a, const struct text *b)
{
	return a->n == b->n && a->raw == b->raw && memcmp(a->p, b->p, a->n) == 0;
}

/* The record of the fast path is the full path's, in every part used. */
static void
check_same(int rc, const struct record *a, int rcf, const struct record *b)
{
	const struct login *x = &a->login, *y = &b->login;

	if (rc != rcf || a->message != b->message || a->ident != b->ident ||
	    a->ack != b->ack || a->mid != b->mid || a->midlen != b->midlen || a->rh != b->rh ||
	    a->rhlen != b->rhlen || a->ts != b->ts || a->tslen != b->tslen ||
	    (a->ts != NULL && a->ts_ms != b->ts_ms) || a->body != b->body ||
	    a->bodylen != b->bodylen)
		abort();
	if (rc == -1) {
		if (a->where != b->where || a->what != b->what)
			abort();
		return;
	}
	if (!same_text(&x->user_id, &y->user_id) ||
	    !same_text(&x->device_type, &y->device_type) ||
	    !same_text(&x->device_id, &y->device_id) ||
	    x->locale_null != y->locale_null ||
	    (!x->locale_null && !same_text(&x->locale, &y->locale)) ||
	    x->iplen != y->iplen || memcmp(x->ip, y->ip, x->iplen) != 0 ||
	    x->app_version_null != y->app_version_null ||
	    (!x->app_version_null && x->app_version != y->app_version))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct datecache dc = DATECACHE_INIT;
	struct buf out = BUF_INIT(1 << 24), v = BUF_INIT(1 << 20);
	struct buf fout = BUF_INIT(1 << 24);
	unsigned char plain[MASK_MAX];
	char kid[KEY_ID_LEN + 1];
	struct record r, rf;
	size_t n;
	char *line;
	int rc, rcf;

	if (!init) {
		if (parser_init(&p, 0) == -1 || parser_init(&pfull, 0) == -1 ||
		    json_init(&j, RECORD_MAXTOK) == -1 ||
		    json_init(&jf, RECORD_MAXTOK) == -1 ||
		    json_init(&ji, RECORD_MAXTOK) == -1)
			abort();
		pfull.full = 1;
		fuzz_masker(&hm, 0);
		fuzz_masker(&sm, 1);
		init = 1;
	}
	/* A line, as lineread hands them out: up to the first newline. */
	if ((line = memchr(data, '\n', size)) != NULL)
		size = (size_t)((const uint8_t *)line - data);
	if (size > RECORD_LINE_MAX)
		return 0;
	/* A private copy of exactly the line, so reads past it are caught. */
	if ((line = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	p.null_app_version = size > 0 && data[0] == ' ';
	pfull.null_app_version = p.null_app_version;
	check_flat(line, size);
	r.lineno = rf.lineno = 1;
	rc = record_parse(&p, line, size, &r);
	rcf = record_parse(&pfull, line, size, &rf);
	check_same(rc, &r, rcf, &rf);
	if (rc == 0) {
		if (row_put(&out, &r, &hm, &dc, 0) == -1 ||
		    row_put(&fout, &rf, &hm, &dc, 0) == -1 ||
		    out.len != fout.len || memcmp(out.data, fout.data, out.len) != 0)
			abort();
		check_json(&out);
		if (field("user_id", &v) || utf8_chars(v.data, v.len) > USER_ID_MAX ||
		    field("device_type", &v) ||
		    utf8_chars(v.data, v.len) > DEVICE_TYPE_MAX ||
		    field("masked_ip", &v) || v.len > MASK_MAX ||
		    field("masked_device_id", &v) || v.len > MASK_MAX)
			abort();
		buf_reset(&out);
		if (row_put(&out, &r, &sm, &dc, 0) == -1)
			abort();
		check_json(&out);
		if (field("masked_device_id", &v) || v.len > MASK_MAX ||
		    unmask_value(&sm, 1, FIELD_DEVICE_ID, v.data, v.len, NULL,
		    plain, &n, kid) != UNMASK_OK || n != r.login.device_id.n ||
		    memcmp(plain, r.login.device_id.p, n) != 0)
			abort();
		if (field("masked_ip", &v) || unmask_value(&sm, 1, FIELD_IP,
		    v.data, v.len, NULL, plain, &n, kid) != UNMASK_OK ||
		    n != r.login.iplen || memcmp(plain, r.login.ip, n) != 0)
			abort();
	} else {
		if (r.where < 0 || r.where >= NWHERE || r.what <= P_NONE ||
		    r.what >= NWHAT)
			abort();
		if (reject_put(&out, &r, line, size) == -1 ||
		    reject_put(&fout, &rf, line, size) == -1 ||
		    out.len != fout.len || memcmp(out.data, fout.data, out.len) != 0)
			abort();
		/* What may be acked has a receipt handle to ack it by. */
		if (r.ack != (r.rh != NULL) || (r.ident && !r.message) ||
		    (r.ack && !r.message))
			abort();
		if (r.ack && (ack_put(&out, &r) == -1 ||
		    release_put(&out, &r) == -1))
			abort();
		check_json(&out);
	}
	free(line);
	buf_free(&out);
	buf_free(&fout);
	buf_free(&v);
	return 0;
}
