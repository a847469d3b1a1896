/*
 * db: the connection, every statement's result checked, cleared and
 * classified, and the COPY IN sequence.
 *
 * Every call returns one of enum db_rc; on anything but DB_OK the error
 * is in db->err until the next call.  Its text is the server's full
 * message, which can quote row values (COPY's CONTEXT line names the
 * value): it goes to the rejects file only, never to stderr.  sqlstate,
 * column and, for errors that are not about a row, primary are safe to
 * print.
 */
#ifndef PG_LOAD_DB_H
#define PG_LOAD_DB_H

#include <libpq-fe.h>

#include "buf.h"

enum db_rc {
	DB_OK = 0,
	DB_ROW,		/* a row's data was refused: class 22, 23, 54000 */
	DB_RETRY,	/* deadlock, serialization, lock or resource: retry */
	DB_CONN,	/* the connection is gone, or the server is stopping */
	DB_FATAL	/* anything else: retrying will not help */
};

struct dberr {
	int rc;
	char sqlstate[6];
	char column[64];	/* the column the server named, or "" */
	struct buf text;	/* full text: may quote data */
	struct buf primary;	/* primary message: may quote data for DB_ROW */
	struct buf context;	/* the CONTEXT field: may quote data */
};

struct db {
	PGconn *conn;
	const char *conninfo;	/* NULL: libpq's environment */
	struct dberr err;
};

void db_init(struct db *d, const char *conninfo);

/*
 * Connects (closing any old connection) as pg-load, in UTF-8, with the
 * server's notices dropped (they can quote data).  DB_OK or DB_CONN,
 * with libpq's message in err.text (it names no data).
 */
int db_connect(struct db *d);
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

/* The sysexits code for a DB_FATAL error. */
int db_exit_code(const struct db *d);

#endif
