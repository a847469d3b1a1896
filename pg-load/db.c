#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "db.h"

/* Error texts are kept whole up to this much; the rest is cut. */
#define ERR_TEXT_MAX (64u << 10)
#define SOCKET_QUEUE (4 << 20)	/* bytes; the kernel may allow less */

void
db_init(struct db *d, const char *conninfo)
{
	memset(d, 0, sizeof *d);
	d->conninfo = conninfo;
	buf_init(&d->err.text, ERR_TEXT_MAX);
	buf_init(&d->err.primary, ERR_TEXT_MAX);
	buf_init(&d->err.context, ERR_TEXT_MAX);
}

static void
err_reset(struct dberr *e)
{
	e->rc = DB_OK;
	e->sqlstate[0] = '\0';
	e->column[0] = '\0';
	buf_reset(&e->text);
	buf_reset(&e->primary);
	buf_reset(&e->context);
}

/* Keeps what fits of s, without its trailing newlines. */
static void
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
	if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 ||
	    strcmp(st, "54000") == 0)
		return DB_ROW;
	return DB_FATAL;
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
	if (e->primary.len == 0)
		keep(&e->primary, PQerrorMessage(d->conn));
	e->rc = classify(d->conn, st);
	return e->rc;
}

/*
 * COPY data queues in the socket while the server works through it.  A
 * local socket holds about 200 kB by default, a millisecond of the
 * server's work: when pg-load loses the CPU for longer, the server
 * waits.  A deeper queue rides that out.  TCP tunes its own buffers.
 */
static void
deep_socket(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int size = SOCKET_QUEUE;

	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    sa.ss_family == AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

static void
drop_notice(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

int
db_connect(struct db *d)
{
	/* Later keywords win: the encoding is ours whatever PG* says. */
	static const char *const kw[] = {
		"fallback_application_name", "dbname", "client_encoding", NULL
	};
	const char *val[] = { "pg-load", d->conninfo, "UTF8", NULL };

	db_close(d);
	err_reset(&d->err);
	d->conn = PQconnectdbParams(kw, val, 1);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		keep(&d->err.text, d->conn != NULL ? PQerrorMessage(d->conn) :
		    "out of memory");
		keep(&d->err.primary, buf_cstr(&d->err.text));
		d->err.rc = DB_CONN;
		return DB_CONN;
	}
	PQsetNoticeReceiver(d->conn, drop_notice, NULL);
	deep_socket(PQsocket(d->conn));
	return DB_OK;
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

/* Collects the results left after the one that mattered. */
static int
drain(struct db *d, int rc)
{
	PGresult *r;

	while ((r = PQgetResult(d->conn)) != NULL) {
		if (rc == DB_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK)
			rc = fail(d, r);
		PQclear(r);
	}
	return rc;
}

int
db_exec(struct db *d, const char *sql, int nparams, const char *const *params,
    PGresult **res)
{
	PGresult *r;
	ExecStatusType st;
	int rc;

	if (d->conn == NULL)
		return fail(d, NULL);
	if (nparams > 0)
		r = PQexecParams(d->conn, sql, nparams, NULL, params, NULL,
		    NULL, 0);
	else
		r = PQexec(d->conn, sql);
	st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (res != NULL)
			*res = r;
		else
			PQclear(r);
		return DB_OK;
	}
	rc = fail(d, r);
	PQclear(r);
	/* A COPY we did not ask for: end it so the connection stays in step. */
	if (st == PGRES_COPY_IN)
		(void)PQputCopyEnd(d->conn, "unexpected COPY");
	return drain(d, rc);
}

int
db_copy_begin(struct db *d, const char *sql)
{
	PGresult *r;
	int rc;

	if (d->conn == NULL)
		return fail(d, NULL);
	r = PQexec(d->conn, sql);
	if (r != NULL && PQresultStatus(r) == PGRES_COPY_IN) {
		PQclear(r);
		return DB_OK;
	}
	rc = fail(d, r);
	if (rc == DB_OK || rc == DB_ROW)
		rc = DB_FATAL;	/* not a COPY at all */
	PQclear(r);
	return drain(d, rc);
}

int
db_copy_put(struct db *d, struct buf *chunk)
{
	int r = 1;

	if (chunk->len > 0)
		r = PQputCopyData(d->conn, chunk->data, (int)chunk->len);
	buf_reset(chunk);
	if (r != 1)
		return fail(d, NULL);
	return DB_OK;
}

int
db_copy_end(struct db *d)
{
	PGresult *r;
	int rc = DB_OK;

	if (PQputCopyEnd(d->conn, NULL) != 1)
		return drain(d, fail(d, NULL));
	if ((r = PQgetResult(d->conn)) == NULL ||
	    PQresultStatus(r) != PGRES_COMMAND_OK)
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
		{ "40001", "serialization failure" },
		{ "40P01", "deadlock detected" },
		{ "53100", "disk full" },
		{ "53200", "out of memory" },
		{ "53300", "too many connections" },
		{ "54000", "program limit exceeded" },
		{ "55P03", "lock not available" },
		{ "57014", "query canceled" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		if (strcmp(st, names[i].code) == 0)
			return names[i].name;
	return "";
}

int
db_exit_code(const struct db *d)
{
	const char *st = d->err.sqlstate;

	if (strcmp(st, "42501") == 0 || strncmp(st, "28", 2) == 0)
		return EX_NOPERM;
	if (d->err.rc == DB_CONN || d->err.rc == DB_RETRY)
		return EX_TEMPFAIL;
	return EX_UNAVAILABLE;
}
