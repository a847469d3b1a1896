/*
 * msgtab: the messages sqs-read holds, by receipt handle, and the lists
 * that order them.
 *
 * A message is held from its receipt until it is deleted or given back.
 * While held it is in the table (found by receipt handle, for acks) and,
 * until an ack comes, on the heartbeat list, oldest visibility extension
 * first.  It is also on at most one FIFO: the records waiting to be
 * written, or the deletes or releases waiting for a request.  Requests
 * that name a message take a reference; a message removed from the
 * table is freed when the last reference goes.
 *
 * idset is the dump's memory of message ids already written: 16 bytes
 * (an MD5 of the id) per message, up to a cap.
 */
#ifndef SQS_READ_MSGTAB_H
#define SQS_READ_MSGTAB_H

#include <stddef.h>
#include <stdint.h>

enum msg_state {
	M_WRITING,	/* its record is not all written yet */
	M_HELD,		/* written, waiting for an ack */
	M_DELQ,		/* acked (or written, with --delete-after-write): to delete */
	M_DELETING,	/* in a DeleteMessageBatch request */
	M_RELQ,		/* to give back */
	M_RELEASING,	/* in a ChangeMessageVisibilityBatch request to 0 */
	M_GONE		/* out of the table; freed with its last reference */
};

struct msg {
	struct msg *hnext;		/* hash chain */
	struct msg *prev, *next;	/* heartbeat list */
	struct msg *qnext;		/* the FIFO it is on */
	unsigned long long out_end;	/* M_WRITING: where its record ends */
	double extend_at;		/* when its visibility is due an extension */
	uint64_t hash;
	enum msg_state state;
	int refs;
	int on_hb;
	int hb_busy;			/* visibility extensions of it in flight */
	int release_wait;		/* M_RELQ: queued once that request returns */
	int tries;			/* delete attempts that failed */
	size_t idlen, hlen;
	char *id, *handle;		/* NUL-terminated, inside the allocation */
};

struct fifo {
	struct msg *head, *tail;
	size_t n;
};

struct msgtab {
	struct msg **bucket;
	size_t nbucket, count;
	uint64_t seed;
	struct msg *hb_head, *hb_tail;
	size_t hb_n;
};

int msgtab_init(struct msgtab *t);
/* Frees every message still in the table. */
void msgtab_free(struct msgtab *t);

/* A new message (state M_WRITING, one reference: the table's). */
struct msg *msg_new(const char *id, size_t idlen, const char *handle, size_t hlen);

/*
 * Adds m.  It never fails: a table that cannot grow for want of memory
 * takes m all the same.  Handles are unique per receipt.
 */
void msgtab_add(struct msgtab *t, struct msg *m);
struct msg *msgtab_find(const struct msgtab *t, const char *handle, size_t hlen);
/* Removes m from the table and the heartbeat list; drops the table's reference. */
void msgtab_remove(struct msgtab *t, struct msg *m);

void msg_ref(struct msg *m);
/* Drops a reference; frees m when none is left. */
void msg_unref(struct msg *m);

/* The heartbeat list: append at the tail (latest due), unlink. */
void hb_append(struct msgtab *t, struct msg *m);
void hb_unlink(struct msgtab *t, struct msg *m);

void fifo_push(struct fifo *f, struct msg *m);
struct msg *fifo_pop(struct fifo *f);

struct idset {
	unsigned char (*slot)[16];
	size_t cap, n, max;
};

void idset_init(struct idset *s, size_t max);
void idset_free(struct idset *s);
/* 1 if id was new (and is now in), 0 if seen before, -1 if full or out of memory. */
int idset_add(struct idset *s, const char *id, size_t len);
/* 1 if id is in, 0 if not (or it cannot be told). */
int idset_has(const struct idset *s, const char *id, size_t len);

#endif
