/*
 * run: the masking worker.  Reads lines from stdin until end of file,
 * writes row, ack and release records to stdout and rejects to the
 * rejects file, and prints the summary on stderr.
 *
 * Output is built in one buffer and written in large chunks, and always
 * before a read that may block, so a record never waits for the next
 * input.  The rejects file is fsync'd before any write of stdout that
 * follows a reject, so an ack_only record never reaches pg-load (and so
 * never deletes a message) before its reject is durable.
 */
#ifndef LOGIN_MASK_RUN_H
#define LOGIN_MASK_RUN_H

#include "config.h"
#include "mask.h"

/* Returns the exit status (sysexits.h). */
int mask_run(const struct config *cfg, const struct masker *m);

/*
 * --check: what mask_run would refuse before reading (the key is already
 * loaded): the rejects file can be opened, and is private.
 */
int mask_check(const struct config *cfg);

/*
 * The --unmask worker: reads row records or bare masks, one per line,
 * and writes each row record with masked_ip and masked_device_id
 * replaced by ip and device_id, or each bare mask's value, with the key
 * of ring[0..n) its key id names.  Returns the exit status: EX_CONFIG
 * if a mask's key was not in the ring, else EX_DATAERR if any line
 * could not be unmasked.
 */
int unmask_run(const struct masker *ring, size_t n);

#endif
