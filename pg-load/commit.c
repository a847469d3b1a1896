#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "commit.h"
#include "connect.h"
#include "copy.h"
#include "sig.h"

#define RETRIES_MAX 10		/* deadlocks etc. in a row before giving up */
#define BACKOFF_FIRST 0.1	/* seconds */
#define BACKOFF_MAX 5.0

static const char begin_sql[] = "BEGIN; SET CONSTRAINTS ALL IMMEDIATE";

/* Ends an open COPY or transaction after a failure, if the link lives. */
static void
abandon(struct loader *l)
{
	if (l->db.conn == NULL || PQstatus(l->db.conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(l->db.conn) == PQTRANS_ACTIVE)
		(void)db_copy_end(&l->db);
	(void)db_exec(&l->db, "ROLLBACK", 0, NULL, NULL);
}

/* After a signal, the statement that would not end was cancelled. */
static void __attribute__((noreturn))
interrupted(struct loader *l)
{
	load_die(l, EX_TEMPFAIL, "interrupted: a statement still running "
	    "%.0f s after the signal was cancelled; nothing uncommitted was "
	    "acknowledged", DB_SIGNAL_GRACE);
}

/*
 * The fast path broke with rc.  Only a lost connection starts the clock
 * of --retry-seconds: a refused row is no outage, and the careful path
 * it leads to can take long.
 */
static void
stream_fail(struct loader *l, int rc)
{
	if (rc == DB_INTR)
		interrupted(l);
	if (rc == DB_CONN && l->fail_t0 == 0)
		l->fail_t0 = mono_now();
	l->streaming = 0;
	l->stream_failed = 1;
	buf_reset(&l->chunk);
}

void
commit_stream_row(struct loader *l)
{
	int rc;

	if (!l->streaming && (l->stream_failed || l->pessimistic)) {
		buf_reset(&l->chunk);
		return;
	}
	if (!l->streaming) {
		if ((rc = db_copy_begin(&l->db, l->fast_sql)) != DB_OK) {
			abandon(l);
			stream_fail(l, rc);
			return;
		}
		l->streaming = 1;
	}
	if (l->chunk.len >= COPY_CHUNK &&
	    (rc = db_copy_put(&l->db, &l->chunk)) != DB_OK) {
		abandon(l);
		stream_fail(l, rc);
	}
}

/* Whether the role may run a function, false when the server has none. */
#define MAY_RUN(fn) \
	"has_function_privilege(to_regprocedure('" fn "'), 'EXECUTE') IS TRUE"

/*
 * Who the server connected to is, once per connection, before its first
 * COMMIT: its system identifier into l->server, and into l->life since
 * when it has run, as the microseconds of pg_postmaster_start_time() and
 * of the last reset of its cumulative statistics; "" for what the role
 * may not read.  A crash loses the transaction ids whose records had not
 * reached the disk, and hands them out again: txid_status() would then
 * answer for another transaction (outcome()).  A restart changes the
 * start time; a crash that the postmaster survives (one server process
 * killed, and the others reset in place) does not, but it resets the
 * statistics.  The system identifier is the same for a cluster and for
 * the standbys promoted from it.  Each function is open to every role
 * unless an administrator revoked it, and a query that names one it may
 * not run fails whole, taking the batch's transaction with it, so the
 * rights are asked first (to_regprocedure(): a function a later server
 * lacks is not a failure either).
 */
static int
server_id(struct loader *l)
{
	static const char rights[] = "SELECT "
	    MAY_RUN("pg_control_system()") ", "
	    MAY_RUN("pg_postmaster_start_time()") ", "
	    MAY_RUN("pg_stat_get_bgwriter_stat_reset_time()");
	static const char *const expr[] = {
		"(SELECT system_identifier::text FROM pg_control_system())",
		"(extract(epoch FROM pg_postmaster_start_time()) * 1000000)"
		    "::bigint::text",
		"(extract(epoch FROM pg_stat_get_bgwriter_stat_reset_time()) "
		    "* 1000000)::bigint::text",
	};
	struct db *d = &l->db;
	PGresult *r = NULL;
	char sql[512];
	int rc, i, ok[3];

	if (l->server_serial == d->serial)
		return DB_OK;
	l->server[0] = l->life[0] = '\0';
	if ((rc = db_exec(d, rights, 0, NULL, &r)) != DB_OK)
		return rc == DB_ROW ? DB_FATAL : rc;
	for (i = 0; i < 3; i++)
		ok[i] = PQntuples(r) == 1 && PQnfields(r) == 3 &&
		    strcmp(PQgetvalue(r, 0, i), "t") == 0;
	PQclear(r);
	r = NULL;
	snprintf(sql, sizeof sql, "SELECT %s, %s, %s",
	    ok[0] ? expr[0] : "NULL", ok[1] ? expr[1] : "NULL",
	    ok[2] ? expr[2] : "NULL");
	if ((rc = db_exec(d, sql, 0, NULL, &r)) != DB_OK)
		return rc == DB_ROW ? DB_FATAL : rc;
	if (PQntuples(r) == 1 && PQnfields(r) == 3) {
		if (!PQgetisnull(r, 0, 0) &&
		    (size_t)PQgetlength(r, 0, 0) < sizeof l->server)
			strcpy(l->server, PQgetvalue(r, 0, 0));
		if (!PQgetisnull(r, 0, 1) && !PQgetisnull(r, 0, 2) &&
		    (size_t)snprintf(l->life, sizeof l->life, "%s/%s",
		    PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2)) >= sizeof l->life)
			l->life[0] = '\0';
	}
	PQclear(r);
	l->server_serial = d->serial;
	return DB_OK;
}

/*
 * COMMIT, checking it did commit: an aborted transaction "commits" too.
 * The transaction's id is taken first and kept in l->xid while the
 * COMMIT is in flight, with the server process that runs it and who the
 * server is (server_id()): when the link goes then, the server may
 * or may not have committed, and is asked which after reconnecting
 * (outcome()).  The ledger would catch a second load of keyed rows,
 * but not of rows without a message id, nor of any with --no-dedupe.
 */
static int
commit(struct loader *l)
{
	struct db *d = &l->db;
	PGresult *r = NULL;
	int rc, ok;

	if ((rc = server_id(l)) != DB_OK)
		return rc;
	if ((rc = db_exec(d, "SELECT txid_current(), pg_backend_pid()", 0,
	    NULL, &r)) != DB_OK)
		return rc;
	ok = PQntuples(r) == 1 && PQnfields(r) == 2 &&
	    PQgetlength(r, 0, 0) > 0 &&
	    (size_t)PQgetlength(r, 0, 0) < sizeof l->xid &&
	    (size_t)PQgetlength(r, 0, 1) < sizeof l->xid_pid;
	if (ok) {
		strcpy(l->xid, PQgetvalue(r, 0, 0));
		strcpy(l->xid_pid, PQgetvalue(r, 0, 1));
		strcpy(l->xid_server, l->server);
		strcpy(l->xid_life, l->life);
		l->xid_warned = 0;
	}
	PQclear(r);
	r = NULL;
	if (!ok)
		load_die(l, EX_SOFTWARE, "txid_current(): an answer not "
		    "understood");
	rc = db_exec(d, "COMMIT", 0, NULL, &r);
	if (rc != DB_CONN)
		l->xid[0] = '\0';
	if (rc != DB_OK)
		return rc;
	ok = strcmp(PQcmdStatus(r), "COMMIT") == 0;
	PQclear(r);
	if (!ok) {
		buf_reset(&d->err.primary);
		(void)buf_adds(&d->err.primary,
		    "the transaction was rolled back");
		strcpy(d->err.sqlstate, "25P02");
		d->err.rc = DB_FATAL;
		return DB_FATAL;
	}
	return DB_OK;
}

static void
mark_pending(struct batch *b, int status)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->rec[i].status == ST_PENDING)
			b->rec[i].status = (unsigned char)status;
}

/* Finishes the fast path.  DB_OK, or why the careful path must follow. */
static int
fast_finish(struct loader *l)
{
	struct batch *b = &l->b;
	int rc;

	l->streaming = 0;
	if ((rc = db_copy_put(&l->db, &l->chunk)) == DB_OK)
		rc = db_copy_end(&l->db);
	if (rc == DB_OK && l->cfg->dedupe) {
		/* Two records of one message: both rows went; redo it. */
		if (batch_keys(b) > 0)
			rc = DB_ROW;
		else if (b->nkeys > 0)
			rc = ledger_copy(&l->db, &l->led, b->keys, b->nkeys,
			    &l->chunk);
	}
	if (rc == DB_OK)
		rc = commit(l);
	if (rc == DB_OK) {
		mark_pending(b, ST_LOADED);
		return DB_OK;
	}
	abandon(l);
	return rc;
}

/* The column an error names, as an index into the table's, or -1. */
static int
refused_column(const struct table *t, const struct dberr *e)
{
	const char *ctx = buf_cstr(&e->context), *p, *best = NULL;
	char pat[80];
	size_t c;
	int col = -1;

	for (c = 0; c < t->cols.n; c++)
		if (strcmp(e->column, t->cols.name[c]) == 0)
			return (int)c;
	/*
	 * COPY names the column in its CONTEXT line, after the table, the
	 * line number and (in English) "column"; the first " name:" is
	 * it, as the value comes after.
	 */
	for (c = 0; c < t->cols.n; c++) {
		snprintf(pat, sizeof pat, " %s:", t->cols.name[c]);
		p = strstr(ctx, pat);
		if (p != NULL && (best == NULL || p < best)) {
			best = p;
			col = (int)c;
		}
	}
	return col;
}

/* COPYs the rows l->idx[0..n) from their kept lines.  DB_* */
static int
copy_rows(struct loader *l, const size_t *idx, size_t n)
{
	struct record r;
	struct rec *rec;
	size_t i;
	int rc;

	if ((rc = db_copy_begin(&l->db, l->tab.copy_sql)) != DB_OK)
		return rc;
	buf_reset(&l->chunk);
	for (i = 0; i < n && rc == DB_OK; i++) {
		rec = &l->b.rec[idx[i]];
		if (record_parse(&l->rp, batch_line(&l->b, rec), rec->len,
		    &r) == -1 || record_copy_row(&l->rp, &r, &l->chunk) != 0)
			load_die(l, EX_SOFTWARE, "line %llu: could not be read "
			    "again", rec->lineno);
		if (l->chunk.len >= COPY_CHUNK)
			rc = db_copy_put(&l->db, &l->chunk);
	}
	if (rc == DB_OK)
		rc = db_copy_put(&l->db, &l->chunk);
	buf_reset(&l->chunk);
	return rc == DB_CONN ? rc : db_copy_end(&l->db);
}

/*
 * COPYs rows under a savepoint, so a refusal costs only them.  A row
 * refused alone is marked so, with the server's text.  DB_ROW means the
 * rows together were refused and nothing of them stays.
 */
static int
try_rows(struct loader *l, const size_t *idx, size_t n)
{
	struct dberr *e = &l->db.err;
	int rc;

	if ((rc = db_exec(&l->db, "SAVEPOINT pg_load", 0, NULL, NULL)) != DB_OK)
		return rc == DB_ROW ? DB_FATAL : rc;
	rc = copy_rows(l, idx, n);
	if (rc == DB_OK)
		return db_exec(&l->db, "RELEASE SAVEPOINT pg_load", 0, NULL,
		    NULL);
	if (rc != DB_ROW) {
		if (n == 1)
			l->blame = idx[0];
		return rc;
	}
	if (n == 1)
		batch_refuse(&l->b, &l->b.rec[idx[0]], buf_cstr(&e->text),
		    e->text.len, e->sqlstate, refused_column(&l->tab, e));
	rc = db_exec(&l->db, "ROLLBACK TO SAVEPOINT pg_load; "
	    "RELEASE SAVEPOINT pg_load", 0, NULL, NULL);
	return rc == DB_OK ? DB_ROW : rc;
}

/* Loads what it can of rows, refusing each row the server refuses. */
static int
bisect(struct loader *l, const size_t *idx, size_t n)
{
	int rc;

	if (n == 0)
		return DB_OK;
	if ((rc = try_rows(l, idx, n)) != DB_ROW || n == 1)
		return rc == DB_ROW ? DB_OK : rc;
	if ((rc = bisect(l, idx, n / 2)) != DB_OK)
		return rc;
	return bisect(l, idx + n / 2, n - n / 2);
}

/*
 * Claims the ledger keys k[0..n) under a savepoint, so that a key the
 * server refuses (a constraint or a trigger on the ledger) costs only
 * its record: the keys are halved until each refused one is alone, and
 * its record is refused.  claimed[] as ledger_claim() sets it, 0 for a
 * refused key.  DB_*, never DB_ROW.
 */
static int
claim(struct loader *l, const struct key *k, unsigned char *claimed, size_t n)
{
	struct dberr *e = &l->db.err;
	int rc;

	if (n == 0)
		return DB_OK;
	if ((rc = db_exec(&l->db, "SAVEPOINT pg_load_claim", 0, NULL,
	    NULL)) != DB_OK)
		return rc == DB_ROW ? DB_FATAL : rc;
	rc = ledger_claim(&l->db, &l->led, k, n, claimed);
	if (rc == DB_OK)
		return db_exec(&l->db, "RELEASE SAVEPOINT pg_load_claim", 0,
		    NULL, NULL);
	if (rc != DB_ROW) {
		if (n == 1)
			l->blame = k[0].rec;
		return rc;
	}
	if (n == 1)
		batch_refuse(&l->b, &l->b.rec[k[0].rec], buf_cstr(&e->text),
		    e->text.len, e->sqlstate, COL_LEDGER);
	if ((rc = db_exec(&l->db, "ROLLBACK TO SAVEPOINT pg_load_claim; "
	    "RELEASE SAVEPOINT pg_load_claim", 0, NULL, NULL)) != DB_OK)
		return rc == DB_ROW ? DB_FATAL : rc;
	if (n == 1) {
		claimed[0] = 0;
		return DB_OK;
	}
	if ((rc = claim(l, k, claimed, n / 2)) != DB_OK)
		return rc;
	return claim(l, k + n / 2, claimed + n / 2, n - n / 2);
}

/* One try of the careful path.  DB_* */
static int
careful(struct loader *l)
{
	struct batch *b = &l->b;
	struct rec *r;
	size_t i, n, dups = 0;
	int rc;

	/* Whatever a failed try decided is decided again. */
	buf_truncate(&b->reasons, b->reasons_mark);
	for (i = 0; i < b->n; i++) {
		r = &b->rec[i];
		if (r->kind == REC_ROW) {
			r->status = ST_PENDING;
			r->reason = NO_REASON;
			r->sqlstate[0] = '\0';
			r->col = -1;
		}
	}
	l->blame = NO_FIRST;
	if ((rc = db_exec(&l->db, begin_sql, 0, NULL, NULL)) != DB_OK)
		return rc;
	if (l->cfg->dedupe) {
		(void)batch_keys(b);
		if ((rc = claim(l, b->keys, b->flags, b->nkeys)) != DB_OK)
			return rc;
		for (i = 0; i < b->nkeys; i++) {
			r = &b->rec[b->keys[i].rec];
			if (!b->flags[i] && r->status == ST_PENDING) {
				r->status = ST_DUPLICATE;
				dups++;
			}
		}
		l->pessimistic = dups > 0;
	}
	for (i = 0, n = 0; i < b->n; i++)
		if (b->rec[i].status == ST_PENDING)
			l->idx[n++] = i;
	if ((rc = bisect(l, l->idx, n)) != DB_OK)
		return rc;
	if (l->cfg->dedupe) {
		/*
		 * A later copy of a refused message shares its fate: acked
		 * as a duplicate, it would be deleted with no copy kept.
		 */
		for (i = 0; i < b->n; i++) {
			r = &b->rec[i];
			if (r->status == ST_DUPLICATE && r->first != NO_FIRST &&
			    b->rec[r->first].status == ST_REFUSED)
				batch_refuse_as(r, &b->rec[r->first]);
		}
		/* A refused row's message is not in the table: unclaim it. */
		for (i = 0, n = 0; i < b->nkeys; i++)
			if (b->flags[i] &&
			    b->rec[b->keys[i].rec].status == ST_REFUSED)
				b->keys[n++] = b->keys[i];
		if ((rc = ledger_unclaim(&l->db, &l->led, b->keys, n)) != DB_OK)
			return rc;
	}
	if ((rc = commit(l)) != DB_OK)
		return rc;
	mark_pending(b, ST_LOADED);
	return DB_OK;
}

/* Sleeps up to secs; 0 if a signal came. */
static int
nap(double secs)
{
	(void)sig_poll(-1, (long)(secs * 1000));
	return !sig_caught();
}

/*
 * What stderr may say of why a connection went: libpq's message, or
 * the server's for a connection error or a shutdown (08, 57P0x).  Any
 * other error of the server's (a row's, come just before the link went)
 * by its SQLSTATE and name alone, as it can quote the row.
 */
static void
lost_why(const struct dberr *e, char *s, size_t n)
{
	const char *st = e->sqlstate, *why = buf_cstr(&e->primary), *name;

	if (st[0] == '\0' || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P0", 4) == 0) {
		snprintf(s, n, "%.*s", (int)strcspn(why, "\n"), why);
		return;
	}
	name = db_state_name(st);
	snprintf(s, n, "SQLSTATE %s%s%s%s", st, name[0] ? " (" : "", name,
	    name[0] ? ")" : "");
}

/*
 * Connects again until it works or the batch's time is up.  After a
 * signal the connection is tried once more, and no more: the try under
 * way when the signal comes, or the next; the signal does not cut that
 * try short (a second one ends the process).
 */
static void
reconnect(struct loader *l)
{
	double delay = BACKOFF_FIRST, left;
	char why[300];

	lost_why(&l->db.err, why, sizeof why);
	warnx("connection lost, reconnecting for up to %ld s: %s",
	    l->cfg->retry_seconds, why);
	for (;;) {
		if (sig_caught()) {
			if (l->sig_retried)
				load_die(l, EX_TEMPFAIL, "interrupted, and the "
				    "connection was lost again; nothing "
				    "uncommitted was acknowledged");
			l->sig_retried = 1;
		}
		left = l->fail_t0 + (double)l->cfg->retry_seconds - mono_now();
		/* One try at least, of a length libpq would allow. */
		if (db_connect(&l->db, left > 2 ? left : 2, 0) == DB_OK) {
			if (sig_caught())
				l->sig_retried = 1;
			warnx("reconnected; %s", l->xid[0] != '\0' ?
			    "asking whether the batch committed" :
			    "loading the batch again");
			return;
		}
		if (sig_caught())
			load_die(l, EX_TEMPFAIL, "interrupted while "
			    "reconnecting, and the last try failed; nothing "
			    "uncommitted was acknowledged: %s",
			    buf_cstr(&l->db.err.text));
		left = l->fail_t0 + (double)l->cfg->retry_seconds - mono_now();
		if (left <= 0)
			load_die(l, EX_TEMPFAIL, "database unreachable for "
			    "%ld s, giving up; nothing uncommitted was "
			    "acknowledged: %s", l->cfg->retry_seconds,
			    buf_cstr(&l->db.err.text));
		/* A signal cuts the pause short, for the last try. */
		(void)nap(delay < left ? delay : left);
		delay = delay * 2 < BACKOFF_MAX ? delay * 2 : BACKOFF_MAX;
	}
}

/*
 * Gives up on the batch.  An error from the server is shown by its
 * SQLSTATE, and the column and the message when known, never by its
 * text: a trigger's or a constraint's can quote the row, and a ledger
 * statement's the message id.  libpq's own text, about the connection,
 * names no data and is shown.
 */
static void
give_up(struct loader *l, const char *what)
{
	struct dberr *e = &l->db.err;
	const char *why = buf_cstr(&e->primary), *name;
	char whom[MID_SHOWN + 40] = "", col[96] = "";
	int c = refused_column(&l->tab, e);

	if (l->blame != NO_FIRST && l->blame < l->b.n) {
		load_who(l, &l->b.rec[l->blame], whom, sizeof whom - 2);
		strcat(whom, ": ");
	}
	if (c >= 0)
		snprintf(col, sizeof col, "column %s: ", l->tab.cols.name[c]);
	if (e->sqlstate[0] == '\0')
		load_die(l, db_exit_code(&l->db), "%s: %s%s%.*s; nothing "
		    "uncommitted was acknowledged", what, whom, col,
		    (int)strcspn(why, "\n"), why);
	name = db_state_name(e->sqlstate);
	load_die(l, db_exit_code(&l->db), "%s: %s%sSQLSTATE %s%s%s%s; nothing "
	    "uncommitted was acknowledged", what, whom, col, e->sqlstate,
	    name[0] ? " (" : "", name, name[0] ? ")" : "");
}

/*
 * Ends the session that ran transaction l->xid if it sits idle in that
 * transaction: the COMMIT never reached it (lost on the way, the link
 * cut before it), and it would hold the batch's locks, its ledger keys
 * among them, until the server notices the link is gone, which may be
 * hours; every later load of those keys waits for it.  Whether the
 * COMMIT arrives as the session ends or not, the transaction's fate is
 * then settled, for txid_status() to tell.  Ending a session of one's
 * own role needs no privilege; where it is refused anyway, pg-load
 * says so once and waits.  DB_* (never DB_ROW).
 */
static int
end_orphan(struct loader *l)
{
	static const char sql[] =
	    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE pid = $1::int AND pid <> pg_backend_pid()"
	    " AND state = 'idle in transaction'"
	    " AND backend_xid::text = ($2::bigint % 4294967296)::text";
	const char *param[2] = { l->xid_pid, l->xid };
	const char *name;
	PGresult *r = NULL;
	int rc;

	if (l->xid_warned)
		return DB_OK;
	if ((rc = db_exec(&l->db, sql, 2, param, &r)) != DB_OK) {
		if (rc == DB_CONN || rc == DB_RETRY || rc == DB_INTR)
			return rc;
		name = db_state_name(l->db.err.sqlstate);
		warnx("batch from line %llu: its COMMIT never reached the "
		    "server, and its session cannot be ended (SQLSTATE "
		    "%s%s%s%s): waiting for it", l->b.rec[0].lineno,
		    l->db.err.sqlstate, name[0] ? " (" : "", name,
		    name[0] ? ")" : "");
		l->xid_warned = 1;
		return DB_OK;
	}
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		warnx("batch from line %llu: its COMMIT never reached the "
		    "server: ending the session left idle in its transaction",
		    l->b.rec[0].lineno);
	PQclear(r);
	return DB_OK;
}

/* What the server connected to is to the one l->xid ran on. */
enum kin {
	KIN_SAME,	/* that server, not restarted since */
	KIN_OTHER,	/* another system altogether */
	KIN_RESTARTED,	/* restarted, crashed or promoted since */
	KIN_UNKNOWN	/* the role may not read enough to tell */
};

static enum kin
kin(const struct loader *l)
{
	if (l->xid_server[0] != '\0' && l->server[0] != '\0' &&
	    strcmp(l->xid_server, l->server) != 0)
		return KIN_OTHER;
	if (l->xid_life[0] != '\0' && l->life[0] != '\0' &&
	    strcmp(l->xid_life, l->life) != 0)
		return KIN_RESTARTED;
	if (l->xid_server[0] == '\0' || l->server[0] == '\0' ||
	    l->xid_life[0] == '\0' || l->life[0] == '\0')
		return KIN_UNKNOWN;
	return KIN_SAME;
}

/*
 * The fate of the COMMIT cannot be known: the batch is loaded again.
 * The ledger finds what did commit and keeps it from loading twice; a
 * record it does not cover (no message id, --no-dedupe) loads twice if
 * the COMMIT went through.  A session still idle in the transaction is
 * ended first: it would hold the batch's locks (end_orphan()).
 */
static int
unknowable(struct loader *l, const char *why)
{
	int rc;

	if ((rc = end_orphan(l)) != DB_OK)
		return rc;
	warnx("batch from line %llu: %s, so whether it committed cannot be "
	    "known: loading it again%s", l->b.rec[0].lineno, why,
	    l->cfg->dedupe ? "; the ledger skips what did commit" :
	    "; without the ledger, it is in the table twice if it did commit");
	l->xid[0] = '\0';
	return DB_OK;
}

/*
 * After a link lost with a COMMIT in flight: asks the server whether
 * transaction l->xid committed, waiting while it is still in progress
 * (its session may yet be finishing the COMMIT, or be left idle in the
 * transaction, which end_orphan() ends).  *committed is 1 when it did;
 * 0 when it aborted, is not known any more or cannot be asked, so the
 * batch is loaded again.  Only the server the COMMIT went to can answer,
 * and only if it has not restarted since (server_id()): after a crash
 * the transaction's id may belong to another transaction, or to none
 * yet (SQLSTATE 22023, "in the future": the transaction is lost).
 * Another system (a host of a multi-host connection string that is not
 * a replica) is not asked, and the connection is tried again as if
 * lost.  DB_* (l->xid is cleared once the answer is known).
 */
static int
outcome(struct loader *l, int *committed)
{
	struct dberr *e = &l->db.err;
	const char *param[1] = { l->xid };
	const char *st;
	PGresult *r = NULL;
	int rc, running;

	*committed = 0;
	if ((rc = server_id(l)) != DB_OK)
		return rc;
	switch (kin(l)) {
	case KIN_OTHER:
		e->sqlstate[0] = '\0';
		buf_reset(&e->primary);
		(void)buf_addf(&e->primary, "another server answered (system "
		    "identifier %s), not the one the batch's COMMIT went to "
		    "(%s)", l->server, l->xid_server);
		buf_reset(&e->text);
		(void)buf_adds(&e->text, buf_cstr(&e->primary));
		e->rc = DB_CONN;
		return DB_CONN;
	case KIN_RESTARTED:
		return unknowable(l, "the server restarted or crashed since "
		    "its COMMIT was sent");
	case KIN_UNKNOWN:
		return unknowable(l, "whether the server restarted since its "
		    "COMMIT was sent cannot be told (the role may not run "
		    "pg_control_system(), pg_postmaster_start_time() or "
		    "pg_stat_get_bgwriter_stat_reset_time())");
	case KIN_SAME:
		break;
	}
	for (;;) {
		rc = db_exec(&l->db, "SELECT txid_status($1::bigint)", 1, param,
		    &r);
		if (rc == DB_ROW && db_is(&l->db, "22023")) {
			warnx("batch from line %llu: the server has no record "
			    "of its transaction, lost in a crash: loading it "
			    "again", l->b.rec[0].lineno);
			l->xid[0] = '\0';
			return DB_OK;
		}
		if (rc != DB_OK)
			return rc == DB_ROW ? DB_FATAL : rc;
		st = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ?
		    PQgetvalue(r, 0, 0) : "";
		*committed = strcmp(st, "committed") == 0;
		running = strcmp(st, "in progress") == 0;
		PQclear(r);
		r = NULL;
		if (!running) {
			l->xid[0] = '\0';
			return DB_OK;
		}
		if ((rc = end_orphan(l)) != DB_OK)
			return rc;
		if (mono_now() - l->fail_t0 > (double)l->cfg->retry_seconds)
			load_die(l, EX_TEMPFAIL, "batch from line %llu: its "
			    "COMMIT is still in progress after %ld s, giving "
			    "up; nothing uncommitted was acknowledged",
			    l->b.rec[0].lineno, l->cfg->retry_seconds);
		if (!nap(BACKOFF_FIRST))
			load_die(l, EX_TEMPFAIL, "interrupted while waiting "
			    "for a COMMIT; nothing uncommitted was "
			    "acknowledged");
	}
}

void
commit_batch(struct loader *l)
{
	struct batch *b = &l->b;
	double delay = BACKOFF_FIRST;
	int rc, retries = 0, committed;

	b->reasons_mark = b->reasons.len;
	l->xid[0] = '\0';
	l->blame = NO_FIRST;
	if (l->streaming) {
		if ((rc = fast_finish(l)) == DB_OK)
			goto done;
		if (rc == DB_INTR)
			interrupted(l);
		if (rc == DB_CONN && l->fail_t0 == 0)
			l->fail_t0 = mono_now();
	} else if (l->stream_failed) {
		abandon(l);
	}
	if (b->rows == 0)
		goto done;	/* nothing for the database */
	for (;;) {
		if (l->db.conn == NULL ||
		    PQstatus(l->db.conn) != CONNECTION_OK) {
			if (l->fail_t0 == 0)
				l->fail_t0 = mono_now();
			reconnect(l);
		}
		rc = DB_OK;
		if (l->xid[0] != '\0' &&
		    (rc = outcome(l, &committed)) == DB_OK && committed) {
			warnx("batch from line %llu: committed before the "
			    "connection was lost; not loading it again",
			    b->rec[0].lineno);
			mark_pending(b, ST_LOADED);
			break;
		}
		if (rc == DB_OK && (rc = careful(l)) == DB_OK)
			break;
		abandon(l);
		switch (rc) {
		case DB_CONN:
			/* Lost again after reconnecting: the bound holds. */
			if (l->fail_t0 == 0)
				l->fail_t0 = mono_now();
			if (mono_now() - l->fail_t0 >
			    (double)l->cfg->retry_seconds)
				give_up(l, "the connection keeps failing");
			db_close(&l->db);
			/* Cut short by a signal: reconnect() decides. */
			(void)nap(delay);
			delay = delay * 2 < BACKOFF_MAX ? delay * 2 :
			    BACKOFF_MAX;
			break;
		case DB_RETRY:
			if (++retries > RETRIES_MAX)
				give_up(l, "retried too often");
			warnx("batch from line %llu: SQLSTATE %s (%s): trying it "
			    "again", b->rec[0].lineno, l->db.err.sqlstate,
			    db_state_name(l->db.err.sqlstate));
			/*
			 * After a signal the pause is cut short, not the
			 * retry: a signal asks for what was read to be
			 * committed, and this retry is how.
			 */
			(void)nap(BACKOFF_FIRST * retries);
			break;
		case DB_INTR:
			interrupted(l);
		default:
			give_up(l, "cannot load");
		}
	}
done:
	l->streaming = l->stream_failed = 0;
	l->fail_t0 = 0;
}

void
commit_prune(struct loader *l, int force)
{
	double now = mono_now();
	const char *name;

	if (!l->cfg->dedupe || (!force && now < l->next_prune))
		return;
	l->next_prune = now + (double)l->cfg->prune_interval;
	if (l->db.conn == NULL || PQstatus(l->db.conn) != CONNECTION_OK)
		return;
	/* The server's text could quote a message id: its SQLSTATE only. */
	if (ledger_prune(&l->db, &l->led) != DB_OK) {
		name = db_state_name(l->db.err.sqlstate);
		warnx("ledger %s: prune failed: SQLSTATE %s%s%s%s", l->led.qname,
		    l->db.err.sqlstate[0] ? l->db.err.sqlstate : "none",
		    name[0] ? " (" : "", name, name[0] ? ")" : "");
	}
}
