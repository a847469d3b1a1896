#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "db.h"
#include "dbint.h"
#include "report.h"
#include "sig.h"

void
db_init(struct db *d, const char *conninfo)
{
	memset(d, 0, sizeof *d);
	d->conninfo = conninfo;
	buf_init(&d->err.text, ERR_TEXT_MAX);
	buf_init(&d->err.primary, ERR_TEXT_MAX);
	buf_init(&d->err.context, ERR_TEXT_MAX);
}

void
err_reset(struct dberr *e)
{
	e->rc = DB_OK;
	e->sqlstate[0] = '\0';
	e->column[0] = '\0';
	e->code = 0;
	buf_reset(&e->text);
	buf_reset(&e->primary);
	buf_reset(&e->context);
}

/* Keeps what fits of s, without its trailing newlines. */
void
keep(struct buf *b, const char *s)
{
	size_t n;

	buf_reset(b);
	if (s == NULL)
		return;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > b->max)
		n = b->max;
	(void)buf_add(b, s, n);
}

/*
 * Whether an error is about the data of a row: a data exception (22), a
 * constraint (23), a view's check option (44), a row too big (54000),
 * or what a trigger raises on purpose about the row that fired it,
 * RAISE EXCEPTION (P0001) and ASSERT (P0004).  The rest of what a
 * function can fail with, a missing RETURN (2F005), an external
 * routine's exception (38), a trigger called the wrong way (39P01), a
 * SELECT INTO STRICT that found nothing (P0002), is a bug in the
 * function, as a permission it lacks (42501) is a fault of the setup:
 * read as a row's, any of them would refuse every row of a stream, and
 * with a rejects file have every message acknowledged and deleted.
 */
static int
row_error(const char *st)
{
	return strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 ||
	    strncmp(st, "44", 2) == 0 || strcmp(st, "54000") == 0 ||
	    strcmp(st, "P0001") == 0 || strcmp(st, "P0004") == 0;
}

static int
classify(PGconn *c, const char *st)
{
	if (PQstatus(c) == CONNECTION_BAD)
		return DB_CONN;
	if (st == NULL || strlen(st) != 5)
		return DB_FATAL;
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0)
		return DB_CONN;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "55P03") == 0 || strcmp(st, "57014") == 0 ||
	    strncmp(st, "53", 2) == 0)
		return DB_RETRY;
	return row_error(st) ? DB_ROW : DB_FATAL;
}

/*
 * Whether line[0..n) is a server's error as the verbosity keeps it in
 * libpq's messages, its severity and SQLSTATE: "ERROR:  22P02".
 */
static int
state_line(const char *line, size_t n)
{
	const char *p = memchr(line, ':', n);
	size_t i;

	if (p == NULL || p == line || (size_t)(p - line) + 8 != n ||
	    memchr(line, ' ', (size_t)(p - line)) != NULL ||
	    p[1] != ' ' || p[2] != ' ')
		return 0;
	for (i = 3; i < 8; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'A' && p[i] <= 'Z')))
			return 0;
	return 1;
}

/*
 * libpq's own message in s, which the server's errors may come before,
 * and its later complaints ("invalid socket") after: its first line
 * that is neither a continuation nor a server's error, into b; the
 * first line if there is no such line.
 */
static void
keep_own(struct buf *b, const char *s)
{
	const char *line = s, *best = NULL, *eol;

	for (; *line != '\0' && best == NULL; line = eol + (*eol == '\n')) {
		eol = line + strcspn(line, "\n");
		if (eol > line && *line != '\t' && *line != ' ' &&
		    !state_line(line, (size_t)(eol - line)))
			best = line;
	}
	if (best == NULL)
		best = s;
	buf_reset(b);
	eol = best + strcspn(best, "\n");
	(void)buf_add(b, best, (size_t)(eol - best) > b->max ? b->max :
	    (size_t)(eol - best));
}

/* Records r's error (r may be NULL: the connection's) and classifies it. */
static int
fail(struct db *d, PGresult *r)
{
	struct dberr *e = &d->err;
	const char *st = NULL;
	char *verbose;

	err_reset(e);
	if (r != NULL) {
		st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (st != NULL)
			snprintf(e->sqlstate, sizeof e->sqlstate, "%s", st);
		if (PQresultErrorField(r, PG_DIAG_COLUMN_NAME) != NULL)
			snprintf(e->column, sizeof e->column, "%s",
			    PQresultErrorField(r, PG_DIAG_COLUMN_NAME));
		/* Verbose: the SQLSTATE in the text, for the rejects file. */
		if ((verbose = PQresultVerboseErrorMessage(r, PQERRORS_VERBOSE,
		    PQSHOW_CONTEXT_ALWAYS)) != NULL) {
			keep(&e->text, verbose);
			PQfreemem(verbose);
		}
		keep(&e->primary,
		    PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY));
		keep(&e->context, PQresultErrorField(r, PG_DIAG_CONTEXT));
	}
	if (e->text.len == 0)
		keep(&e->text, PQerrorMessage(d->conn));
	if (e->sqlstate[0] == '\0')
		keep_own(&e->primary, buf_cstr(&e->text));
	else if (e->primary.len == 0)
		keep(&e->primary, PQerrorMessage(d->conn));
	e->rc = classify(d->conn, st);
	/* Our own cancel, after a signal: not a failure to retry. */
	if (d->cancelled && st != NULL && strcmp(st, "57014") == 0)
		e->rc = DB_INTR;
	return e->rc;
}

void
db_close(struct db *d)
{
	if (d->conn != NULL)
		PQfinish(d->conn);
	d->conn = NULL;
}

void
db_free(struct db *d)
{
	db_close(d);
	buf_free(&d->err.text);
	buf_free(&d->err.primary);
	buf_free(&d->err.context);
}

/* Asks the server to cancel the running statement. */
static void
cancel(struct db *d)
{
	PGcancel *c;
	char why[256];

	d->cancelled = 1;
	/* Left running, it ends in its time; a second signal ends pg-load. */
	if ((c = PQgetCancel(d->conn)) == NULL) {
		warnx("cannot cancel the statement: out of memory");
		return;
	}
	if (!PQcancel(c, why, sizeof why))
		warnx("cannot cancel the statement: %.*s",
		    (int)strcspn(why, "\n"), why);
	PQfreeCancel(c);
}

/*
 * Waits until libpq has sent what it holds and, with result set, until
 * PQgetResult() can answer without blocking, or the connection fails.
 * Without a signal the wait has no end but the server's: a statement
 * may wait on a lock, for as long as the session holding it lives.
 * After a signal the statements get DB_SIGNAL_GRACE seconds in all, from
 * the first wait that sees it, the time to commit what was read; one
 * still running then is cancelled: a lock held by a session that never
 * ends must not hold pg-load past a first signal, nor many statements
 * that each take a little less than the grace.
 */
static void
await(struct db *d, int result)
{
	PGconn *c = d->conn;
	int f, r;

	for (;;) {
		if (PQstatus(c) == CONNECTION_BAD || (f = PQflush(c)) == -1)
			return;	/* PQgetResult() says how */
		if (f == 0 && (!result || !PQisBusy(c)))
			return;
		if (sig_caught() && d->grace_end == 0)
			d->grace_end = mono_now() + DB_SIGNAL_GRACE;
		if (d->grace_end > 0 && !d->cancelled &&
		    mono_now() >= d->grace_end)
			cancel(d);
		r = wait_socket(PQsocket(c), f == 1 ? POLLIN | POLLOUT : POLLIN,
		    d->cancelled ? 0 : d->grace_end, !sig_caught());
		if (r == -1) {
			/*
			 * poll(2) itself failed (out of memory): libpq's
			 * own waits block, but see the statement through.
			 * Should that fail, the connection has, and
			 * PQgetResult() says so.
			 */
			(void)PQsetnonblocking(c, 0);
			return;
		}
		if (PQconsumeInput(c) == 0)
			return;
	}
}

/* The statement's next result, NULL at its end, waiting as await() does. */
static PGresult *
next(struct db *d)
{
	await(d, 1);
	return PQgetResult(d->conn);
}

/*
 * Collects the results left after the one that mattered.  A connection
 * lost on the way matters more than an error before it (a row's): the
 * transaction went with the connection, so nothing can be done about
 * the row, and the error is what pg-load must act on.
 */
static int
drain(struct db *d, int rc)
{
	PGresult *r;
	ExecStatusType st;

	if (d->conn == NULL)
		return rc;
	while ((r = next(d)) != NULL) {
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    (rc == DB_OK || (rc != DB_CONN && rc != DB_INTR &&
		    PQstatus(d->conn) == CONNECTION_BAD)))
			rc = fail(d, r);
		PQclear(r);
		/* A COPY we did not ask for: ended, to stay in step. */
		if (st == PGRES_COPY_IN &&
		    PQputCopyEnd(d->conn, "unexpected COPY") == -1 &&
		    rc != DB_CONN)
			rc = fail(d, NULL);
	}
	if (rc != DB_CONN && rc != DB_INTR &&
	    PQstatus(d->conn) == CONNECTION_BAD)
		rc = fail(d, NULL);
	return rc;
}

/* Sends a statement, to be awaited with next().  DB_* */
static int
dispatch(struct db *d, const char *sql, int nparams, const char *const *params)
{
	int sent;

	if (d->conn == NULL)
		return fail(d, NULL);
	d->cancelled = 0;
	if (nparams > 0)
		sent = PQsendQueryParams(d->conn, sql, nparams, NULL, params,
		    NULL, NULL, 0);
	else
		sent = PQsendQuery(d->conn, sql);
	if (sent != 1)
		return drain(d, fail(d, NULL));
	return DB_OK;
}

int
db_exec(struct db *d, const char *sql, int nparams, const char *const *params,
    PGresult **res)
{
	PGresult *r, *last = NULL;
	ExecStatusType st;
	int rc;

	if ((rc = dispatch(d, sql, nparams, params)) != DB_OK)
		return rc;
	/* As PQexec(): the last result, or the first error. */
	while ((r = next(d)) != NULL) {
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			PQclear(last);
			rc = fail(d, r);
			PQclear(r);
			if (st == PGRES_COPY_IN &&
			    PQputCopyEnd(d->conn, "unexpected COPY") == -1)
				rc = fail(d, NULL);
			return drain(d, rc);
		}
		PQclear(last);
		last = r;
	}
	if (last == NULL)
		return fail(d, NULL);
	if (res != NULL)
		*res = last;
	else
		PQclear(last);
	return DB_OK;
}

int
db_copy_begin(struct db *d, const char *sql)
{
	PGresult *r;
	ExecStatusType st = PGRES_FATAL_ERROR;
	int rc;

	if ((rc = dispatch(d, sql, 0, NULL)) != DB_OK)
		return rc;
	/* Past the COPY IN result, libpq would hand out the same again. */
	while ((r = next(d)) != NULL &&
	    ((st = PQresultStatus(r)) == PGRES_COMMAND_OK ||
	    st == PGRES_TUPLES_OK))
		PQclear(r);
	if (r != NULL && st == PGRES_COPY_IN) {
		PQclear(r);
		return DB_OK;
	}
	rc = fail(d, r);
	if (rc == DB_ROW)
		rc = DB_FATAL;	/* not a COPY at all */
	PQclear(r);
	return drain(d, rc);
}

/*
 * libpq could not queue COPY data (0 from PQputCopyData() or
 * PQputCopyEnd()): sends what it holds, and says whether to try again.
 * When it held nothing, once more and no more (*idle counts): its buffer
 * cannot grow (out of memory), and trying on would spin.
 */
static int
room(struct db *d, int *idle)
{
	int f = PQflush(d->conn);

	if (f == -1)
		return 0;
	if (f == 0)
		return (*idle)++ == 0;
	*idle = 0;
	await(d, 0);
	return PQstatus(d->conn) != CONNECTION_BAD;
}

/* The failure of a COPY call that room() gave up on: 0 is memory. */
static int
put_fail(struct db *d, int put)
{
	int rc = fail(d, NULL);

	if (put == 0 && rc == DB_FATAL)
		d->err.code = EX_OSERR;
	return rc;
}

int
db_copy_put(struct db *d, struct buf *chunk)
{
	int r = 1, idle = 0;

	while (chunk->len > 0 &&
	    (r = PQputCopyData(d->conn, chunk->data, (int)chunk->len)) == 0 &&
	    room(d, &idle))
		;
	buf_reset(chunk);
	if (r != 1)
		return put_fail(d, r);
	/*
	 * Sent before more is read: a server that stops reading (a lock)
	 * is waited for here, where a signal can end the wait.
	 */
	await(d, 0);
	if (PQstatus(d->conn) == CONNECTION_BAD)
		return fail(d, NULL);
	return DB_OK;
}

int
db_copy_end(struct db *d)
{
	PGresult *r;
	int rc = DB_OK, put, idle = 0;

	while ((put = PQputCopyEnd(d->conn, NULL)) == 0 && room(d, &idle))
		;
	if (put != 1)
		return drain(d, put_fail(d, put));
	if ((r = next(d)) == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = fail(d, r);
	PQclear(r);
	return drain(d, rc);
}

int
db_is(const struct db *d, const char *sqlstate)
{
	return strcmp(d->err.sqlstate, sqlstate) == 0;
}

const char *
db_state_name(const char *st)
{
	static const struct { const char *code, *name; } names[] = {
		{ "22001", "value too long" },
		{ "22003", "numeric value out of range" },
		{ "22007", "invalid datetime format" },
		{ "22008", "datetime field out of range" },
		{ "22021", "character not in repertoire" },
		{ "22P02", "invalid text representation" },
		{ "22P05", "untranslatable character" },
		{ "23502", "not-null violation" },
		{ "23503", "foreign key violation" },
		{ "23505", "unique violation" },
		{ "23514", "check violation" },
		{ "23P01", "exclusion violation" },
		{ "25P02", "in failed transaction" },
		{ "28000", "invalid authorization" },
		{ "2F005", "function executed no return statement" },
		{ "28P01", "invalid password" },
		{ "39P01", "trigger protocol violated" },
		{ "3D000", "database does not exist" },
		{ "40001", "serialization failure" },
		{ "40P01", "deadlock detected" },
		{ "42501", "insufficient privilege" },
		{ "42P01", "undefined table" },
		{ "53100", "disk full" },
		{ "53200", "out of memory" },
		{ "53300", "too many connections" },
		{ "54000", "program limit exceeded" },
		{ "55P03", "lock not available" },
		{ "57014", "query canceled" },
		{ "57P01", "admin shutdown" },
		{ "P0001", "raise exception" },
		{ "P0002", "no data found" },
		{ "P0003", "too many rows" },
		{ "P0004", "assert failure" },
	};
	static const struct { const char *class, *name; } classes[] = {
		{ "08", "connection exception" },
		{ "22", "data exception" },
		{ "23", "integrity constraint violation" },
		{ "25", "invalid transaction state" },
		{ "28", "invalid authorization" },
		{ "2F", "SQL routine exception" },
		{ "38", "external routine exception" },
		{ "39", "external routine invocation exception" },
		{ "40", "transaction rollback" },
		{ "42", "syntax error or access rule violation" },
		{ "44", "WITH CHECK OPTION violation" },
		{ "53", "insufficient resources" },
		{ "54", "program limit exceeded" },
		{ "55", "object not in prerequisite state" },
		{ "57", "operator intervention" },
		{ "58", "system error" },
		{ "P0", "PL/pgSQL error" },
		{ "XX", "internal error" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(st, names[i].code) == 0)
			return names[i].name;
	for (i = 0; i < sizeof classes / sizeof *classes; i++)
		if (strlen(st) == 5 && strncmp(st, classes[i].class, 2) == 0)
			return classes[i].name;
	return "";
}

int
db_exit_code(const struct db *d)
{
	const char *st = d->err.sqlstate;

	if (d->err.code != 0)
		return d->err.code;
	if (strcmp(st, "42501") == 0 || strncmp(st, "28", 2) == 0)
		return EX_NOPERM;
	if (strcmp(st, "3D000") == 0)
		return EX_NOINPUT;
	if (d->err.rc == DB_CONN || d->err.rc == DB_RETRY ||
	    d->err.rc == DB_INTR)
		return EX_TEMPFAIL;
	return EX_UNAVAILABLE;
}
