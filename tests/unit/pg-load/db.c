/*
 * db: COPY data that libpq cannot queue.  libpq's calls on the COPY path
 * are replaced here by scripted ones, so that the connection needs no
 * server: PQputCopyData() and PQputCopyEnd() answer 0 (not queued) as
 * many times as a test says, PQflush() says whether anything is held,
 * and the socket is always ready.
 */
#include <fcntl.h>
#include <libpq-fe.h>
#include <sysexits.h>
#include <unistd.h>

#include "db.h"
#include "tap.h"

static int zeros;	/* answers of 0 still to come from the put calls */
static int held;	/* PQflush() answers 1 this many times, then 0 */
static int puts_made;	/* put calls made */
static int sock = -1;	/* always ready: /dev/null */

/* More calls than any test needs: the loop spins; stop it. */
#define PUTS_MAX 100

static int
put(void)
{
	if (++puts_made > PUTS_MAX)
		return -1;
	if (zeros > 0) {
		zeros--;
		return 0;
	}
	return 1;
}

int
PQputCopyData(PGconn *conn, const char *buffer, int nbytes)
{
	(void)conn;
	(void)buffer;
	(void)nbytes;
	return put();
}

int
PQputCopyEnd(PGconn *conn, const char *errormsg)
{
	(void)conn;
	(void)errormsg;
	return put();
}

int
PQflush(PGconn *conn)
{
	(void)conn;
	if (held > 0) {
		held--;
		return 1;
	}
	return 0;
}

ConnStatusType
PQstatus(const PGconn *conn)
{
	(void)conn;
	return CONNECTION_OK;
}

int
PQisBusy(PGconn *conn)
{
	(void)conn;
	return 0;
}

int
PQsocket(const PGconn *conn)
{
	(void)conn;
	return sock;
}

int
PQconsumeInput(PGconn *conn)
{
	(void)conn;
	return 1;
}

char *
PQerrorMessage(const PGconn *conn)
{
	(void)conn;
	return "cannot allocate memory for output buffer\n";
}

PGresult *
PQgetResult(PGconn *conn)
{
	(void)conn;
	return NULL;
}

/* A connection object that no call above looks into. */
static char fake;

static void
setup(struct db *d, int z, int h)
{
	db_init(d, NULL);
	d->conn = (PGconn *)(void *)&fake;
	zeros = z;
	held = h;
	puts_made = 0;
}

static void
teardown(struct db *d)
{
	d->conn = NULL;	/* not libpq's to finish */
	db_free(d);
}

int
main(void)
{
	struct db d;
	struct buf chunk = BUF_INIT(1 << 10);
	int rc;

	/* A loop that waits for ever fails the test, not the run. */
	alarm(10);
	if ((sock = open("/dev/null", O_RDWR)) == -1)
		return 1;

	/* A full buffer: what it holds is sent, and the data then goes. */
	setup(&d, 1, 1);
	(void)buf_adds(&chunk, "1\tx\n");
	rc = db_copy_put(&d, &chunk);
	ok(rc == DB_OK && puts_made == 2, "a full buffer is sent, then the "
	    "data is queued (rc %d, %d calls)", rc, puts_made);
	ok(chunk.len == 0, "the chunk is emptied");
	teardown(&d);

	/* Nothing held: one more try, which may work. */
	setup(&d, 1, 0);
	(void)buf_adds(&chunk, "1\tx\n");
	rc = db_copy_put(&d, &chunk);
	ok(rc == DB_OK && puts_made == 2, "with nothing held, tried once "
	    "more (rc %d, %d calls)", rc, puts_made);
	teardown(&d);

	/* Nothing held, and still no room: a failure, not a spin. */
	setup(&d, PUTS_MAX, 0);
	(void)buf_adds(&chunk, "1\tx\n");
	rc = db_copy_put(&d, &chunk);
	ok(puts_made == 2, "PQputCopyData: no spin when nothing is held "
	    "(%d calls)", puts_made);
	ok(rc == DB_FATAL && d.err.code == EX_OSERR, "it fails, out of "
	    "memory (rc %d, code %d)", rc, d.err.code);
	ok(strstr(buf_cstr(&d.err.text), "cannot allocate memory") != NULL,
	    "with libpq's message");
	teardown(&d);

	/* The same for the end of the COPY. */
	setup(&d, PUTS_MAX, 0);
	rc = db_copy_end(&d);
	ok(puts_made == 2, "PQputCopyEnd: no spin when nothing is held "
	    "(%d calls)", puts_made);
	ok(rc == DB_FATAL && d.err.code == EX_OSERR, "it fails, out of "
	    "memory (rc %d, code %d)", rc, d.err.code);
	teardown(&d);

	buf_free(&chunk);
	close(sock);
	return done_testing();
}
