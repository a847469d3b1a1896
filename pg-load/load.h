/*
 * load: the worker.  Reads records from stdin, loads them in batches,
 * and writes an ack for every record that carries a receipt handle once
 * its fate is durable: its row committed (loaded), found in the ledger
 * (duplicate), kept in the rejects file (rejected), or given back to the
 * queue (released).
 */
#ifndef PG_LOAD_LOAD_H
#define PG_LOAD_LOAD_H

#include "batch.h"
#include "catalog.h"
#include "config.h"
#include "db.h"
#include "fdio.h"
#include "ledger.h"
#include "lineread.h"
#include "record.h"
#include "report.h"

struct stats {
	unsigned long long records, loaded, duplicates, rejected, released;
	unsigned long long lost;	/* refused, and nowhere to keep them */
};

struct loader {
	const struct config *cfg;
	struct db db;
	struct table tab;
	struct ledger led;
	struct recparser rp;
	struct batch b;
	struct lineread lr;
	struct rejects rej;
	int have_rej;
	struct buf chunk;	/* COPY data on its way */
	struct buf out;		/* acks and reject lines on their way */
	size_t *idx;		/* rows to COPY on the careful path */
	char *fast_sql;		/* BEGIN ...; COPY table FROM STDIN */
	int streaming;		/* the batch's rows are being COPYed as read */
	int stream_failed;	/* the fast path broke: the careful path */
	int pessimistic;	/* claims found duplicates: claim first */
	double fail_t0;		/* when the batch first lost the connection, or 0 */
	char xid[24];		/* a transaction whose COMMIT's fate is unknown */
	char xid_pid[16];	/* the server process that ran it */
	char xid_server[24];	/* its server's system identifier, or "" */
	char xid_life[48];	/* and that server's life, or "" */
	char server[24];	/* the system identifier of db's server, or "" */
	char life[48];		/* since when it runs: see server_id() */
	unsigned long server_serial;	/* the connection server is of, or 0 */
	int xid_warned;		/* its session could not be ended: said so */
	int sig_retried;	/* reconnected once since the signal */
	size_t blame;		/* the record an error is known to be about */
	double next_prune;
	double t_start;
	struct progress prog;
	struct stats st;
};

/* A message id in a diagnostic is cut to this many bytes. */
#define MID_SHOWN 80

/*
 * How r is named in diagnostics, into s: its message id, or its line
 * number.  Returns s.
 */
const char *load_who(const struct loader *l, const struct rec *r, char *s,
    size_t n);

/* Returns the exit status (a sysexits code) or does not return. */
int load_run(const struct config *cfg);

/* Exits with code after a diagnostic and the summary. */
void load_die(struct loader *l, int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

#endif
