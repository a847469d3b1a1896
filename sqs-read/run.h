/*
 * run: sqs-read's one loop.
 *
 * One poll over the HTTP sockets (curl multi), standard input (the acks)
 * and standard output (the records, written without blocking) drives
 * everything: receives, writes, deletes, releases and visibility
 * extensions.  So a reader that stops reading never stops acks from
 * being read, and the ring cannot deadlock.
 *
 * Modes, from standard input and the options:
 *  ring    stdin is a pipe, FIFO or socket: it carries acks; a message is
 *          deleted only when acked, and held (its visibility extended)
 *          until then, at most --max-inflight at once.
 *  delete  --delete-after-write: a message is deleted once its record is
 *          written (and fsync'd, when stdout is a regular file).
 *  dump    otherwise: nothing is deleted or extended; a message id seen
 *          twice is written once.
 */
#ifndef SQS_READ_RUN_H
#define SQS_READ_RUN_H

#include <signal.h>

#include "config.h"

/* Set by the SIGINT/SIGTERM handler: how many came, and the last one. */
extern volatile sig_atomic_t run_signals, run_last_signal;

/* Runs until done; returns the exit status (0 or a sysexits code). */
int run(const struct config *cf);

#endif
