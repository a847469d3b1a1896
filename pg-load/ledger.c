#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "copy.h"
#include "json.h"
#include "ledger.h"

#define SQL_MAX (1u << 16)
#define ARRAY_MAX (256u << 20)

/* Taken while creating, so concurrent pg-loads create one ledger. */
#define CREATE_LOCK "7809911098917320036"

static const char find_sql[] =
    "SELECT n.nspname, c.relname, EXISTS (SELECT 1 FROM pg_index i"
    " WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid"
    " AND i.indnatts = 3 AND (SELECT array_agg(a.attname::text"
    " ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid"
    " AND a.attnum = ANY (i.indkey))"
    " = ARRAY['message_id', 'sent_timestamp', 'target']),"
    " has_table_privilege(c.oid, 'SELECT')"
    " AND has_table_privilege(c.oid, 'INSERT')"
    " AND has_table_privilege(c.oid, 'DELETE')"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.oid = to_regclass($1)";

int
ledger_ddl(struct buf *out, const char *name)
{
	if (!sqlname_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	return buf_addf(out,
	    "CREATE TABLE IF NOT EXISTS %s(\n"
	    "    target text NOT NULL,\n"
	    "    sent_timestamp bigint NOT NULL,\n"
	    "    message_id text NOT NULL,\n"
	    "    loaded_at timestamptz NOT NULL DEFAULT now(),\n"
	    "    PRIMARY KEY (target, sent_timestamp, message_id));\n", name);
}

/* Creates the ledger unless it exists.  DB_* */
static int
create(struct db *d, const char *name)
{
	struct buf sql = BUF_INIT(SQL_MAX);
	int rc;

	if (buf_adds(&sql, "BEGIN; SELECT pg_advisory_xact_lock(" CREATE_LOCK
	    "); ") == -1 || ledger_ddl(&sql, name) == -1 ||
	    buf_adds(&sql, "COMMIT") == -1)
		err(EX_OSERR, "ledger DDL");
	rc = db_exec(d, sql.data, 0, NULL, NULL);
	if (rc != DB_OK && rc != DB_CONN)
		(void)db_exec(d, "ROLLBACK", 0, NULL, NULL);
	buf_free(&sql);
	return rc;
}

static char *
sqlf(const char *fmt, const char *a)
{
	struct buf b = BUF_INIT(SQL_MAX);

	if (buf_addf(&b, fmt, a) == -1)
		err(EX_OSERR, "ledger statements");
	return buf_detach(&b, NULL);
}

int
ledger_open(struct db *d, struct ledger *l, const char *name,
    const struct table *t, long retention_days)
{
	const char *param[1] = { name };
	PGresult *r = NULL;
	int rc, tries;

	memset(l, 0, sizeof *l);
	buf_init(&l->target_field, SQL_MAX);
	buf_init(&l->ts_array, ARRAY_MAX);
	buf_init(&l->mid_array, ARRAY_MAX);
	if (!sqlname_valid(name)) {
		warnx("--ledger %s: not a table name", name);
		return EX_USAGE;
	}
	for (tries = 0;; tries++) {
		if (db_exec(d, find_sql, 1, param, &r) != DB_OK) {
			warnx("ledger %s: %s", name, buf_cstr(&d->err.primary));
			return db_exit_code(d);
		}
		if (PQntuples(r) == 1 || tries > 0)
			break;
		PQclear(r);
		r = NULL;
		if ((rc = create(d, name)) != DB_OK) {
			warnx("ledger %s: cannot create it: %s", name,
			    buf_cstr(&d->err.primary));
			return db_exit_code(d);
		}
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		warnx("ledger %s: created, but not found by that name", name);
		return EX_CONFIG;
	}
	if (PQgetvalue(r, 0, 2)[0] != 't') {
		PQclear(r);
		warnx("ledger %s: no unique key on (target, sent_timestamp, "
		    "message_id): not a pg-load ledger", name);
		return EX_CONFIG;
	}
	/* Claims read what they insert; unclaims and prunes delete. */
	if (PQgetvalue(r, 0, 3)[0] != 't') {
		PQclear(r);
		warnx("ledger %s: SELECT, INSERT and DELETE on it are needed",
		    name);
		return EX_NOPERM;
	}
	l->qname = quote_qualified(d->conn, PQgetvalue(r, 0, 0),
	    PQgetvalue(r, 0, 1));
	PQclear(r);
	if (l->qname == NULL) {
		warnx("ledger %s: cannot quote its name: %s", name,
		    PQerrorMessage(d->conn));
		return EX_SOFTWARE;
	}
	l->target = t->target;
	if (copy_put_text(&l->target_field, t->target,
	    strlen(t->target)) == -1 || buf_addc(&l->target_field, '\t') == -1)
		err(EX_OSERR, "ledger");
	snprintf(l->retention_ms, sizeof l->retention_ms, "%lld",
	    (long long)retention_days * 86400000LL);
	l->copy_sql = sqlf("COPY %s (target, sent_timestamp, message_id)"
	    " FROM STDIN", l->qname);
	/* Sorted as ledger_sort sorts (bytes: COLLATE "C"), for lock order. */
	l->claim_sql = sqlf("INSERT INTO %s"
	    " (target, sent_timestamp, message_id) SELECT $1, t, m"
	    " FROM unnest($2::bigint[], $3::text[]) AS k(t, m)"
	    " ORDER BY t, m COLLATE \"C\""
	    " ON CONFLICT DO NOTHING RETURNING sent_timestamp, message_id",
	    l->qname);
	l->unclaim_sql = sqlf("DELETE FROM %s WHERE target = $1"
	    " AND (sent_timestamp, message_id) IN"
	    " (SELECT * FROM unnest($2::bigint[], $3::text[]))", l->qname);
	/*
	 * An entry goes once its message was both sent and loaded longer
	 * ago than the retention.  The first bound is a range of the key,
	 * so the ring's entries go by index order; the second keeps a
	 * replayed old file, or a message with no timestamp (keyed 0),
	 * from loading twice within the retention.
	 */
	l->prune_sql = sqlf("DELETE FROM %s WHERE target = $1 AND"
	    " sent_timestamp <"
	    " (extract(epoch FROM now()) * 1000)::bigint - $2::bigint AND"
	    " loaded_at < now() - $2::bigint * interval '1 millisecond'",
	    l->qname);
	return 0;
}

void
ledger_free(struct ledger *l)
{
	free(l->qname);
	free(l->copy_sql);
	free(l->claim_sql);
	free(l->unclaim_sql);
	free(l->prune_sql);
	buf_free(&l->target_field);
	buf_free(&l->ts_array);
	buf_free(&l->mid_array);
	memset(l, 0, sizeof *l);
}

int
ledger_key_cmp(const struct key *a, const struct key *b)
{
	size_t n = a->midlen < b->midlen ? a->midlen : b->midlen;
	int c;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (n > 0 && (c = memcmp(a->mid, b->mid, n)) != 0)
		return c;
	return (a->midlen > b->midlen) - (a->midlen < b->midlen);
}

static int
sort_cmp(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	int c = ledger_key_cmp(a, b);

	if (c != 0)
		return c;
	return (a->rec > b->rec) - (a->rec < b->rec);
}

void
ledger_sort(struct key *k, size_t n)
{
	size_t i;

	/* Keys nearly always arrive in order: check before sorting. */
	for (i = 1; i < n; i++)
		if (sort_cmp(&k[i - 1], &k[i]) > 0)
			break;
	if (i < n)
		qsort(k, n, sizeof *k, sort_cmp);
}

int
ledger_copy(struct db *d, struct ledger *l, const struct key *k, size_t n,
    struct buf *chunk)
{
	size_t i;
	int rc;

	if ((rc = db_copy_begin(d, l->copy_sql)) != DB_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (buf_add(chunk, l->target_field.data,
		    l->target_field.len) == -1 ||
		    copy_put_int(chunk, k[i].ts) == -1 ||
		    buf_addc(chunk, '\t') == -1 ||
		    copy_put_text(chunk, k[i].mid, k[i].midlen) == -1 ||
		    buf_addc(chunk, '\n') == -1)
			err(EX_OSERR, "ledger COPY data");
		if (chunk->len >= COPY_CHUNK &&
		    (rc = db_copy_put(d, chunk)) != DB_OK)
			break;
	}
	if (rc == DB_OK)
		rc = db_copy_put(d, chunk);
	buf_reset(chunk);
	/* After a failed send, ending the COPY collects the server's error. */
	return rc == DB_CONN ? rc : db_copy_end(d);
}

/* The keys as two array parameters. */
static void
arrays(struct ledger *l, const struct key *k, size_t n)
{
	size_t i;

	buf_reset(&l->ts_array);
	buf_reset(&l->mid_array);
	if (array_open(&l->ts_array) == -1 || array_open(&l->mid_array) == -1)
		err(EX_OSERR, "ledger keys");
	for (i = 0; i < n; i++)
		if (array_put_int(&l->ts_array, k[i].ts) == -1 ||
		    array_put_text(&l->mid_array, k[i].mid, k[i].midlen) == -1)
			err(EX_OSERR, "ledger keys");
	if (array_close(&l->ts_array) == -1 || array_close(&l->mid_array) == -1)
		err(EX_OSERR, "ledger keys");
}

int
ledger_claim(struct db *d, struct ledger *l, const struct key *k, size_t n,
    unsigned char *claimed)
{
	const char *param[3];
	struct key want;
	PGresult *r = NULL;
	size_t lo, hi, mid;
	int rc, row, c;

	memset(claimed, 0, n);
	arrays(l, k, n);
	param[0] = l->target;
	param[1] = l->ts_array.data;
	param[2] = l->mid_array.data;
	if ((rc = db_exec(d, l->claim_sql, 3, param, &r)) != DB_OK)
		return rc;
	for (row = 0; row < PQntuples(r); row++) {
		want.ts = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		want.mid = PQgetvalue(r, row, 1);
		want.midlen = (size_t)PQgetlength(r, row, 1);
		for (lo = 0, hi = n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if ((c = ledger_key_cmp(&k[mid], &want)) == 0) {
				claimed[mid] = 1;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	PQclear(r);
	return DB_OK;
}

int
ledger_unclaim(struct db *d, struct ledger *l, const struct key *k, size_t n)
{
	const char *param[3];

	if (n == 0)
		return DB_OK;
	arrays(l, k, n);
	param[0] = l->target;
	param[1] = l->ts_array.data;
	param[2] = l->mid_array.data;
	return db_exec(d, l->unclaim_sql, 3, param, NULL);
}

int
ledger_prune(struct db *d, struct ledger *l)
{
	const char *param[2] = { l->target, l->retention_ms };

	return db_exec(d, l->prune_sql, 2, param, NULL);
}
