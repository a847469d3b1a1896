/*
 * credsint: what awsconf.c, creds.c and credsfetch.c share.  Private to
 * them: the interfaces are awsconf.h, creds.h and credsfetch.h.  Each
 * function's full contract is at its definition.
 */
#ifndef SQS_READ_CREDSINT_H
#define SQS_READ_CREDSINT_H

#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "creds.h"
#include "credsfetch.h"

/* awsconf.c: the environment and the files, read as the chain needs. */
const char *env(const char *name);	/* NULL when unset or empty */
int read_file(struct buf *b, const char *path);
int file_get(const struct buf *text, const char *profile, int config,
    const char *key, struct buf *val);
void buf_wipe(struct buf *b);		/* wipes the bytes, then frees */

/* creds.c: what a fetch checks an answer with. */
int printable(const char *s, size_t n);

/* credsfetch.c: the steps creds_resolve() and the refresh drive. */
int fetch_begin(struct creds_fetch *f, const struct creds *c, struct buf *err);
int step_done(struct creds_fetch *f, CURLcode rc, time_t now, struct buf *err);
void fetch_clear(struct creds_fetch *f);
void fetch_take(struct creds_fetch *f, struct creds *c);
int fetch_now(struct creds *c, time_t now, struct buf *err);

#endif
