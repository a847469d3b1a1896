/*
 * Fuzz target: pg-load's reading of a row record and its COPY row.
 * Properties: no crash or leak on any input; flat_parse() accepts only
 * what json_parse() accepts, with the same tokens, and says rightly
 * which strings hold an escape; a row's COPY text,
 * read back by the server's rules, gives each column's value exactly
 * (strings unescaped, other values as their JSON text, NULL for null or
 * missing); reject and ack lines are JSON objects.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../unit/pg-load/copytext.h"
#include "flat.h"
#include "out.h"
#include "record.h"

static char *names[] = {
	"user_id", "locale", "app_version", "doc", "message_id"
};
static size_t lens[] = { 7, 6, 11, 3, 10 };
static const struct columns cols = { 5, names, lens };

/* The value column c should get, or NULL for SQL NULL. */
static const char *
expected(struct recparser *p, struct buf *v, size_t c, size_t *n)
{
	const struct json *j = &p->j;
	const jsmntok_t *t;

	if (p->val[c] < 0 || json_isnull(j, p->val[c]))
		return NULL;
	t = &j->tok[p->val[c]];
	buf_reset(v);
	if (t->type == JSMN_STRING) {
		if (json_tokstr(j, p->val[c], v) != JSON_OK)
			abort();	/* the row was encoded, so it unescapes */
	} else if (buf_add(v, j->s + t->start, (size_t)(t->end - t->start)) == -1) {
		abort();
	}
	*n = v->len;
	return buf_cstr(v);
}

static void
check_row(struct recparser *p, struct record *r, struct buf *row)
{
	struct field f[8];
	struct buf v = BUF_INIT(1 << 24);
	const char *want;
	char *out;
	size_t c, n = 0;
	int nf;

	if (row->len == 0 || row->data[row->len - 1] != '\n')
		abort();
	if ((out = malloc(row->len)) == NULL)
		return;
	nf = copy_decode_row(row->data, row->len - 1, f, 8, out);
	if (nf != (int)cols.n)
		abort();
	for (c = 0; c < cols.n; c++) {
		want = expected(p, &v, c, &n);
		if (want == NULL ? !f[c].null : f[c].null || f[c].len != n ||
		    memcmp(out + f[c].off, want, n) != 0)
			abort();
	}
	(void)r;
	free(out);
	buf_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct recparser p;
	static struct json j, j2;
	static unsigned char esc[8192];
	static int init;
	struct buf row = BUF_INIT(1 << 25), line = BUF_INIT(1 << 26);
	struct record r;
	char *text;
	int rc, i;

	if (!init) {
		if (recparser_init(&p, &cols) == -1 || json_init(&j, 8192) == -1 ||
		    json_init(&j2, 8192) == -1)
			abort();
		init = 1;
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);

	/* Prime j's token room as the parser's is: the first parse grows it. */
	if (flat_parse(&j, text, size, esc) == 0) {
		if (json_parse(&j2, text, size) != JSON_OK || j.ntok != j2.ntok ||
		    memcmp(j.tok, j2.tok, (size_t)j.ntok * sizeof *j.tok) != 0)
			abort();
		for (i = 0; i < j.ntok; i++)
			if (j.tok[i].type == JSMN_STRING && esc[i] !=
			    (memchr(text + j.tok[i].start, '\\',
			    (size_t)(j.tok[i].end - j.tok[i].start)) != NULL))
				abort();
	}
	(void)json_parse(&j, text, size);

	if (record_parse(&p, text, size, &r) == -1)
		goto out;
	if (r.kind == REC_ROW) {
		rc = record_copy_row(&p, &r, &row);
		if (rc == 0)
			check_row(&p, &r, &row);
		else if (rc == 1 && (r.kind != REC_BAD || row.len != 0))
			abort();
	}
	if (r.kind == REC_BAD && (r.why[0] == '\0' || strlen(r.why) >= sizeof r.why))
		abort();
	if (reject_line(&line, &j, text, size, r.kind == REC_BAD ? r.why : "x") == 0) {
		if (json_parse(&j2, line.data, line.len - 1) != JSON_OK ||
		    j2.tok[0].type != JSMN_OBJECT)
			abort();
	}
	if (r.rh != NULL) {
		buf_reset(&line);
		if (ack_line(&line, r.rh, r.rhlen, r.mid, r.midlen, "loaded") != 0 ||
		    json_parse(&j2, line.data, line.len - 1) != JSON_OK)
			abort();
	}
out:
	free(text);
	buf_free(&row);
	buf_free(&line);
	return 0;
}
