/*
 * client: signed SQS requests over one curl multi handle.
 *
 * A request (struct req) owns an easy handle that is reused from one
 * call to the next, so connections stay open.  client_start() signs the
 * request's body afresh (a retry gets a new date, and new credentials
 * if they were refreshed) and adds it to the multi handle.  Temporary
 * credentials are refreshed through the same multi handle, so the
 * caller's loop never waits for the endpoint that gives them;
 * client_done() takes a finished transfer and says what it means:
 * success, a failure worth retrying, or a failure that ends the run.
 * Backoff is capped exponential with full jitter.
 */
#ifndef SQS_READ_CLIENT_H
#define SQS_READ_CLIENT_H

#include <curl/curl.h>

#include "buf.h"
#include "creds.h"
#include "credsfetch.h"
#include "endpoint.h"
#include "sqs.h"

struct msg;

struct req {
	CURL *easy;
	struct curl_slist *hdrs;
	enum sqs_action act;
	struct buf body, resp;
	char reqid[80];			/* x-amzn-RequestId of the answer */
	char qerr[128];			/* x-amzn-query-error of the answer */
	int ready;			/* the options that never change are set */
	int busy;			/* in the multi handle */
	int waiting;			/* a retry due at not_before */
	double not_before;
	double sent_at;			/* when it was last started */
	int attempt;			/* failures so far */
	unsigned creds_gen;		/* the credentials it was signed with (creds.gen) */
	long timeout_ms;
	struct buf why;			/* the last failure, for the final message */
	char cerr[CURL_ERROR_SIZE];	/* curl's own words on a failure */
	/* What the caller keeps with it. */
	struct msg *ent[SQS_BATCH_MAX];
	int nent;
	int want;			/* ReceiveMessage: messages asked for */
	int vis;			/* visibility batch: the timeout set */
};

struct client {
	CURLM *multi;
	struct endpoint ep;
	const char *region;
	const char *ca_bundle;
	struct creds *creds;
	int retries;
	int active;
	struct sqs_parser parser;
	struct creds_fetch refresh;	/* new credentials on their way */
	int refresh_code;		/* they could not come in time: the run ends */
	struct buf refresh_err;		/* and why */
};

enum client_result {
	CL_OK,		/* HTTP 200: the body is in resp */
	CL_RETRY,	/* worth another try: call client_retry() */
	CL_FATAL	/* the run ends: code and message set */
};

/* nreq: the requests there will be, each keeping a connection open. */
int client_init(struct client *c, const char *endpoint_url, const char *region,
    struct creds *creds, const char *ca_bundle, int retries, int nreq,
    struct buf *err);
void client_free(struct client *c);

int req_init(struct req *r);
void req_free(struct req *r);

/*
 * Signs r's body for action act and starts it.  Starts a refresh of the
 * credentials when one is due; while they are not usable (expired, or
 * refused by the service), r is not started but left waiting
 * (r->waiting, a retry due when new ones may have come, without an
 * attempt counted).  Returns 0, or a sysexits code with err set.
 */
int client_start(struct client *c, struct req *r, enum sqs_action act,
    struct buf *err);

/* Stops r if it is in flight. */
void client_abort(struct client *c, struct req *r);

/*
 * The next finished request, or NULL.  *res says what its outcome
 * means; for CL_FATAL, *code is a sysexits code and err the message;
 * for CL_RETRY, r->why holds the reason.
 */
struct req *client_done(struct client *c, enum client_result *res, int *code,
    struct buf *err);

/*
 * Schedules r again after a backoff.  Returns 0, or -1 once r has
 * failed more than the retries allowed (err then says why).
 */
int client_retry(struct client *c, struct req *r, double now, struct buf *err);

/* The backoff before retry number attempt (from 1), in seconds. */
double backoff_delay(int attempt);

/* Adds the request id, if any, to a message: " (request id ...)". */
void req_id_note(const struct req *r, struct buf *err);

#endif
