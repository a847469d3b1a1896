#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "db.h"
#include "report.h"
#include "sig.h"

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

/* SQLSTATE classes of errors about the data of a row. */
static const char row_classes[][3] = {
	"22",	/* data exception */
	"23",	/* integrity constraint violation */
	"2F",	/* SQL routine exception */
	"38",	/* external routine exception */
	"39",	/* external routine invocation exception */
	"44",	/* WITH CHECK OPTION violation */
	"P0",	/* PL/pgSQL: RAISE EXCEPTION, ASSERT */
};

static int
classify(PGconn *c, const char *st)
{
	size_t i;

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
	/*
	 * A trigger's exception is about the row that fired it as much as a
	 * constraint is.  Permissions (42501) and the like are not: read as
	 * a row's, they would refuse every row of a healthy stream.
	 */
	for (i = 0; i < sizeof row_classes / sizeof *row_classes; i++)
		if (strncmp(st, row_classes[i], 2) == 0)
			return DB_ROW;
	if (strcmp(st, "54000") == 0)
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

static void
drop_notice(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

/*
 * The SQLSTATE in a verbose message from the server ("FATAL:  28000:
 * role ..."), the last one when libpq tried several hosts, into st; ""
 * when there is none.
 */
static void
state_in(char st[6], const char *s)
{
	const char *p;
	size_t i;

	st[0] = '\0';
	for (p = s; (p = strstr(p, ":  ")) != NULL; p++) {
		for (i = 3; i < 8 && ((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'A' && p[i] <= 'Z')); i++)
			;
		if (i == 8 && p[8] == ':' && p[9] == ' ') {
			memcpy(st, p + 3, 5);
			st[5] = '\0';
		}
	}
}

/*
 * Keeps why a connection failed (libpq's message when why is NULL),
 * without the verbose message's source locations, and closes it.
 */
static int
conn_fail(struct db *d, const char *why)
{
	struct dberr *e = &d->err;
	const char *s = why, *eol;
	size_t n;

	if (s == NULL)
		s = d->conn != NULL ? PQerrorMessage(d->conn) : "out of memory";
	buf_reset(&e->text);
	for (; *s != '\0'; s = eol) {
		eol = s + strcspn(s, "\n");
		if (*eol == '\n')
			eol++;
		n = (size_t)(eol - s);
		if (strncmp(s, "LOCATION:", 9) != 0 &&
		    e->text.len + n <= e->text.max)
			(void)buf_add(&e->text, s, n);
	}
	while (e->text.len > 0 && e->text.data[e->text.len - 1] == '\n')
		buf_truncate(&e->text, e->text.len - 1);
	keep(&e->primary, buf_cstr(&e->text));
	state_in(e->sqlstate, buf_cstr(&e->text));
	/* libpq's own refusal: the server asked for a password it lacks. */
	if (e->sqlstate[0] == '\0' && d->conn != NULL &&
	    PQconnectionNeedsPassword(d->conn))
		strcpy(e->sqlstate, "28000");
	db_close(d);
	e->rc = DB_CONN;
	return DB_CONN;
}

/* A connection setting as libpq resolved it, or NULL when unset. */
static const char *
setting(const PQconninfoOption *o, const char *kw)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* connect_timeout in seconds, 0 for none; -1 if it is not a number. */
static long
connect_timeout(const PQconninfoOption *o)
{
	const char *s = setting(o, "connect_timeout");
	char *end;
	long v;

	if (s == NULL)
		return DB_CONNECT_TIMEOUT;
	errno = 0;
	v = strtol(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end != '\0' || errno != 0)
		return -1;
	return v > 0 ? v : 0;
}

/*
 * Sets the TCP options the user's settings leave open.  Without them a
 * server gone without a word (a host frozen, a route or NAT entry
 * lost) leaves pg-load waiting on a half-open connection for hours,
 * deaf to --retry-seconds and to signals.  A local socket gets a deep
 * send queue instead: it holds about 200 kB by default, a millisecond
 * of the server's work, so the server waits whenever pg-load loses the
 * CPU for longer.  -1 with errno if an option cannot be set.
 */
static int
tune_socket(int fd, const PQconninfoOption *o)
{
	static const struct {
		const char *kw;
		int opt, val, keepalive;
	} def[] = {
		{ "keepalives_idle", TCP_KEEPIDLE, DB_KEEPALIVES_IDLE, 1 },
		{ "keepalives_interval", TCP_KEEPINTVL, DB_KEEPALIVES_INTERVAL,
		    1 },
		{ "keepalives_count", TCP_KEEPCNT, DB_KEEPALIVES_COUNT, 1 },
		{ "tcp_user_timeout", TCP_USER_TIMEOUT, DB_TCP_USER_TIMEOUT, 0 },
	};
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	const char *ka = setting(o, "keepalives");
	int size = SOCKET_QUEUE, off = ka != NULL && strtol(ka, NULL, 10) == 0;
	size_t i;

	if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		return -1;
	if (sa.ss_family == AF_UNIX) {
		/* Only a hint: the kernel may allow less. */
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		return 0;
	}
	if (sa.ss_family != AF_INET && sa.ss_family != AF_INET6)
		return 0;
	for (i = 0; i < sizeof def / sizeof *def; i++) {
		if ((def[i].keepalive && off) || setting(o, def[i].kw) != NULL)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, def[i].opt, &def[i].val,
		    sizeof def[i].val) == -1)
			return -1;
	}
	return 0;
}

/*
 * Waits for the socket.  A signal ends the wait only if it is the first:
 * after one, a connection is being made to finish the work it asked
 * for, and a second signal ends the process anyway.
 */
static int
wait_socket(int fd, short events, double end, int interruptible)
{
	struct pollfd p = { .fd = fd, .events = events };
	long ms = -1;
	int r;

	if (end > 0) {
		ms = (long)((end - mono_now()) * 1000.0) + 1;
		if (ms < 0)
			ms = 0;
	}
	if (interruptible)
		return sig_wait(fd, events, ms);
	do
		r = poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
	while (r == -1 && errno == EINTR);
	return r == -1 ? -1 : r > 0;
}

/* When a wait of secs seconds from now ends; 0 for no end. */
static double
deadline(double secs)
{
	return secs > 0 ? mono_now() + secs : 0;
}

int
db_connect(struct db *d, double limit)
{
	/* Later keywords win: the encoding is ours whatever PG* says. */
	static const char *const kw[] = {
		"fallback_application_name", "dbname", "client_encoding", NULL
	};
	const char *val[] = { "pg-load", d->conninfo, "UTF8", NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PQconninfoOption *o;
	struct buf msg = BUF_INIT(ERR_TEXT_MAX);
	const char *host = NULL, *port = NULL;
	char why[300], late[300] = "";
	double wait, end = 0;
	long secs;
	int r, interruptible = !sig_caught();

	db_close(d);
	err_reset(&d->err);
	/*
	 * Not PQconnectdbParams(): it cannot be interrupted, and its message
	 * for a refused login has no SQLSTATE to tell it from a server
	 * that is down.  So libpq's own steps, with the error verbosity set
	 * first, and connect_timeout kept here: libpq keeps it only for
	 * the blocking call.
	 */
	if ((d->conn = PQconnectStartParams(kw, val, 1)) == NULL)
		return conn_fail(d, "out of memory");
	PQsetErrorVerbosity(d->conn, PQERRORS_VERBOSE);
	if (PQstatus(d->conn) == CONNECTION_BAD)
		return conn_fail(d, NULL);
	/* What libpq resolved: the string, a service file, PG*, defaults. */
	if ((o = PQconninfo(d->conn)) == NULL)
		return conn_fail(d, "out of memory");
	if ((secs = connect_timeout(o)) < 0) {
		snprintf(why, sizeof why, "invalid connect_timeout \"%.40s\"",
		    setting(o, "connect_timeout"));
		PQconninfoFree(o);
		return conn_fail(d, why);
	}
	wait = (double)secs;
	if (limit > 0 && (wait == 0 || limit < wait))
		wait = limit;
	while (st != PGRES_POLLING_OK) {
		/* As libpq does, each host gets the whole timeout. */
		if (PQhost(d->conn) != host || PQport(d->conn) != port) {
			host = PQhost(d->conn);
			port = PQport(d->conn);
			end = deadline(wait);
		}
		r = wait_socket(PQsocket(d->conn), st == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, end, interruptible);
		if (r == 0 && !(interruptible && sig_caught()) &&
		    PQstatus(d->conn) == CONNECTION_STARTED) {
			/*
			 * The TCP handshake got no answer (a host down, a
			 * firewall that drops).  Resetting it makes libpq try
			 * the next address or host, as its own timeout does.
			 */
			snprintf(late, sizeof late, "no answer from \"%.100s\", "
			    "port %.20s in %.0f s: pg-load reset the "
			    "connection", host, port, wait);
			if (shutdown(PQsocket(d->conn), SHUT_RDWR) == 0) {
				end = deadline(wait);
				r = 1;
			} else {
				r = -1;
			}
		}
		if (r != 1) {
			if (r == -1)
				snprintf(why, sizeof why, "connecting: %s",
				    strerror(errno));
			else if (interruptible && sig_caught())
				snprintf(why, sizeof why, "interrupted");
			else
				snprintf(why, sizeof why, "connection to server "
				    "at \"%.100s\", port %.20s: no answer in "
				    "%.0f s", host, port, wait);
			PQconninfoFree(o);
			return conn_fail(d, why);
		}
		if ((st = PQconnectPoll(d->conn)) == PGRES_POLLING_FAILED) {
			PQconninfoFree(o);
			if (late[0] == '\0')
				return conn_fail(d, NULL);
			/* libpq saw a reset: say why there was one. */
			if (buf_adds(&msg, PQerrorMessage(d->conn)) == -1 ||
			    buf_adds(&msg, late) == -1) {
				buf_free(&msg);
				return conn_fail(d, late);
			}
			r = conn_fail(d, buf_cstr(&msg));
			buf_free(&msg);
			return r;
		}
	}
	PQsetErrorVerbosity(d->conn, PQERRORS_DEFAULT);
	PQsetNoticeReceiver(d->conn, drop_notice, NULL);
	r = tune_socket(PQsocket(d->conn), o);
	PQconninfoFree(o);
	if (r == -1) {
		snprintf(why, sizeof why, "socket options: %s",
		    strerror(errno));
		return conn_fail(d, why);
	}
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
		{ "25P02", "in failed transaction" },
		{ "28000", "invalid authorization" },
		{ "28P01", "invalid password" },
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

	if (strcmp(st, "42501") == 0 || strncmp(st, "28", 2) == 0)
		return EX_NOPERM;
	if (strcmp(st, "3D000") == 0)
		return EX_NOINPUT;
	if (d->err.rc == DB_CONN || d->err.rc == DB_RETRY)
		return EX_TEMPFAIL;
	return EX_UNAVAILABLE;
}
