/*
 * config: sqs-read's settings, filled by main() from the command line,
 * the environment and the shared files, and handed to run().
 */
#ifndef SQS_READ_CONFIG_H
#define SQS_READ_CONFIG_H

#include "creds.h"

struct config {
	const char *queue;		/* as given: a name or a URL */
	const char *queue_url;		/* resolved */
	const char *endpoint;		/* where requests go */
	const char *region;
	const char *ca_bundle;		/* extra CAs, or NULL */
	struct creds *creds;
	int concurrency;		/* receive requests in flight */
	long max_inflight;		/* messages held at once */
	int wait;			/* long-poll seconds */
	int visibility;			/* seconds */
	int drain;
	unsigned long long max_messages;	/* 0: no limit */
	int delete_after_write;
	int retries;			/* per request */
	int timeout;			/* seconds per request, past the long poll */
	int shutdown_timeout;		/* seconds to wait for acks after a signal */
	int verbose;
	int check;			/* --check: look the queue up and exit */
};

#endif
