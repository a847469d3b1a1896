/*
 * loop: what run()'s parts share: the state of a run, and the pieces
 * of the loop, each in the file named for its part (receive.c: from
 * the queue to standard output; settle.c: from acks to deletes,
 * releases and visibility extensions; setup.c: start and end).
 * Private to sqs-read's run; the interface is run.h.
 */
#ifndef SQS_READ_LOOP_H
#define SQS_READ_LOOP_H

#include "ack.h"
#include "client.h"
#include "config.h"
#include "lineread.h"
#include "msgtab.h"
#include "out.h"
#include "report.h"

#define OUT_PAUSE (1 << 20)	/* receiving pauses while this much waits */
#define STOPPED (-1)		/* setup: a signal came before the queue answered */
#define DELETE_LINGER 0.02	/* a partial delete batch waits this long for more */
#define POLL_MAX 0.25		/* seconds: how late a signal may be seen */
#define IDSET_MAX (8u << 20)	/* message ids a dump remembers */
#define SYNC_EVERY 1000		/* records written between fsyncs, at most */
#define ACK_READS 16		/* reads of acks per turn of the loop */
#define RESERVE (1 << 20)	/* bytes set aside to give messages back once memory runs out */

enum mode { MODE_RING, MODE_DELETE, MODE_DUMP };

struct ctx {
	const struct config *cf;
	enum mode mode;
	struct client cl;
	struct req *recv, *ctl;
	int nrecv, nctl;
	struct out out;
	struct lineread in;
	int in_open;
	int in_oldfl;		/* standard input's flags as it came */
	int in_restore;		/* O_NONBLOCK on it is ours: cleared at the end */
	struct ack_parser ap;
	struct msgtab tab;
	struct idset seen;
	struct fifo writing, unsynced, delq, relq;
	double delq_since;
	struct progress prog;
	struct buf queue_url;
	struct buf err;
	int status;
	int done;
	int stop_recv;		/* no more receives */
	int drain_stop;		/* stopped because the queue looked drained */
	double drain_stop_at;	/* when */
	int hard_stop;		/* a signal, or a peer gone: close stdout now */
	int cut;		/* past the deadline: only the record begun goes out */
	int closed;		/* stdout closed */
	int finishing;		/* acks over: send what is queued, then leave */
	double deadline;	/* for the current phase; 0 for none */
	int signals_seen;
	int drain_empty;	/* an empty receive since the queue last grew */
	double last_release;	/* when a release last completed */
	int seen_full;
	unsigned long long received, written, acked, deleted, released, bad,
	    dups, del_failed, bad_acks;
	unsigned long long unwritten;	/* given back without a record */
	void *reserve;		/* RESERVE bytes, freed when memory runs out */
	double t0, rate_t;
	unsigned long long rate_n;
};

/* run.c: shared steps. */
/* Ends the run with code, printing the message in x->err. */
void fatal(struct ctx *x, int code);
/* The name a warning uses for a message. */
const char *mid(const struct msg *m);
void abort_receives(struct ctx *x);
/*
 * Stops receiving.  Soft: the receives in flight finish, and what they
 * bring is written and settled as usual.  Hard (a signal, a peer gone):
 * they are cut short, and stdout closes as soon as it is flushed, or at
 * the shutdown deadline.
 */
void stop(struct ctx *x, int hard, double now);
int req_idle(const struct req *r);
/* An idle request for deletes and visibility changes, or NULL. */
struct req *free_ctl(struct ctx *x);
int ctl_busy(const struct ctx *x);
int receives_busy(const struct ctx *x);
/* client_start(), ending the run if it fails. */
void start(struct ctx *x, struct req *r, enum sqs_action act);

/* receive.c: from the queue to standard output. */
void start_receives(struct ctx *x);
void on_receive(struct ctx *x, struct req *r, double now);
/* Queues m for deleting; it leaves the heartbeat list. */
void to_delete(struct ctx *x, struct msg *m, double now);
/* Writes what stdout takes; marks records written; syncs before deletes. */
void write_out(struct ctx *x, double now);

/* settle.c: from acks to deletes, releases and visibility extensions. */
/*
 * Queues m for giving back (visibility 0); it leaves the heartbeat list.
 * While visibility extensions of m are in flight the release waits for
 * the last, or an extension, applied after, would hide m again.
 */
void to_release(struct ctx *x, struct msg *m);
/* Reads the acks standard input has now; never waits for more. */
void read_acks(struct ctx *x, double now);
void start_batches(struct ctx *x, double now);
/* Drops r's references to its entries. */
void batch_clear(struct req *r);
void on_batch(struct ctx *x, struct req *r, double now);

/* setup.c: mode, descriptors, connections, the queue URL; and the end. */
int setup(struct ctx *x);
/* --check: looks the queue up, touching neither stdin nor stdout. */
int check_queue(struct ctx *x);
void teardown(struct ctx *x);

#endif
