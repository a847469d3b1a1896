/*
 * db: the connection, every statement's result checked, cleared and
 * classified, and the COPY IN sequence.  connect.h makes the connection.
 *
 * Every call returns one of enum db_rc; on anything but DB_OK the error
 * is in db->err until the next call.  Its text is the server's full
 * message, which can quote row values (COPY's CONTEXT line names the
 * value): it goes to the rejects file only, never to stderr.  sqlstate,
 * column and, for errors that are not about a row, primary are safe to
 * print.
 *
 * Statements are sent without blocking and their results awaited with
 * poll(2), so that a signal can end a wait the server would make endless
 * (a lock held by a session that never ends).  libpq's own copy of the
 * last error (PQerrorMessage) is kept to severities and SQLSTATEs: it
 * cannot quote a row either.
 */
#ifndef PG_LOAD_DB_H
#define PG_LOAD_DB_H

#include <libpq-fe.h>

#include "buf.h"

enum db_rc {
	DB_OK = 0,
	/*
	 * A row's data was refused: classes 22 and 23, 54000, what a
	 * trigger raises on purpose (P0001 RAISE EXCEPTION, P0004 ASSERT),
	 * or a view's check option (44).
	 */
	DB_ROW,
	DB_RETRY,	/* deadlock, serialization, lock or resource: retry */
	DB_CONN,	/* the connection is gone, or the server is stopping */
	DB_FATAL,	/* anything else: retrying will not help */
	DB_INTR		/* a signal had the statement cancelled */
};

struct dberr {
	int rc;
	char sqlstate[6];
	char column[64];	/* the column the server named, or "" */
	struct buf text;	/* full text: may quote data */
	struct buf primary;	/* primary message: may quote data for DB_ROW */
	struct buf context;	/* the CONTEXT field: may quote data */
	int code;		/* a sysexits code decided on the spot, or 0 */
};

struct db {
	PGconn *conn;
	const char *conninfo;	/* NULL: libpq's environment */
	struct dberr err;
	int cancelled;		/* a cancel was sent for this statement */
	double grace_end;	/* when statements are cancelled, after a signal */
	unsigned long serial;	/* connections made: tells one from the next */
};

void db_init(struct db *d, const char *conninfo);

/*
 * After a signal, a statement is given this long (seconds) to finish
 * the work the signal asks to be committed, and is then cancelled.
 */
#define DB_SIGNAL_GRACE 5.0

/* Closes the connection, if there is one. */
void db_close(struct db *d);

/* Closes the connection and frees what db_init() set up. */
void db_free(struct db *d);

/*
 * Runs one statement (or several without parameters) and expects
 * COMMAND_OK or TUPLES_OK.  With res non-NULL, a successful result is
 * handed over for the caller to PQclear; otherwise it is cleared.
 */
int db_exec(struct db *d, const char *sql, int nparams,
    const char *const *params, PGresult **res);

/* Runs sql, which must end in a COPY ... FROM STDIN, into COPY IN state. */
int db_copy_begin(struct db *d, const char *sql);

/* Sends chunk as COPY data and empties it. */
int db_copy_put(struct db *d, struct buf *chunk);

/*
 * Ends the COPY and collects its result.  After DB_ROW the transaction
 * is aborted; the connection stays usable.
 */
int db_copy_end(struct db *d);

/* Whether the last error was this SQLSTATE. */
int db_is(const struct db *d, const char *sqlstate);

/* A few words naming a common SQLSTATE, or "" (for diagnostics). */
const char *db_state_name(const char *sqlstate);

/*
 * The sysexits code for an error retrying will not mend, or for a
 * failed first connection: err.code when set, EX_NOPERM for a refused
 * login or privilege, EX_NOINPUT for a database that does not exist,
 * EX_TEMPFAIL for what a retry may mend, EX_UNAVAILABLE for the rest.
 */
int db_exit_code(const struct db *d);

#endif
