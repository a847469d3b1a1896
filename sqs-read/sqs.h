/*
 * sqs: the Amazon SQS JSON 1.0 protocol: request bodies, and the parsing
 * and classification of responses.  No I/O: the functions here take and
 * give text, so tests and fuzz targets drive them directly.
 *
 * Every response is parsed with lib's strict JSON reader under a token
 * cap; strings are unescaped into capped buffers.  A message that breaks
 * a rule (a missing field, a body over SQS_BODY_MAX, an MD5OfBody that
 * does not match) is handed to the caller with a problem set rather
 * than dropped silently, so it can be reported by message id.
 */
#ifndef SQS_READ_SQS_H
#define SQS_READ_SQS_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

#define SQS_BODY_MAX (1 << 20)		/* SQS's own limit: 1 MiB */
#define SQS_ID_MAX 256
#define SQS_HANDLE_MAX 8192
/*
 * The longest response accepted: ten messages of SQS's largest size,
 * even with every byte of their bodies escaped as \uXXXX, fit with room
 * to spare, so no answer SQS can give is refused.
 */
#define SQS_RESPONSE_MAX (64 << 20)
#define SQS_TOKENS_MAX 4096		/* JSON tokens per response */
#define SQS_BATCH_MAX 10

enum sqs_action {
	SQS_RECEIVE, SQS_DELETE, SQS_VISIBILITY, SQS_GET_URL, SQS_GET_ATTRS
};

/* The X-Amz-Target operation name ("ReceiveMessage"...). */
const char *sqs_action_name(enum sqs_action a);

int sqs_receive_body(struct buf *out, const char *queue_url, int max,
    int wait, int visibility);
int sqs_get_url_body(struct buf *out, const char *name);
/* GetQueueAttributes for the queue's ARN alone: whether the queue answers. */
int sqs_get_attrs_body(struct buf *out, const char *queue_url);

/* A batch: begin, up to ten entries (Id is the index), end. */
int sqs_batch_begin(struct buf *out, const char *queue_url);
/* visibility < 0: a DeleteMessageBatch entry, without one. */
int sqs_batch_entry(struct buf *out, int id, const char *handle, size_t hlen,
    int visibility);
int sqs_batch_end(struct buf *out);

struct sqs_msg {
	const char *id;			/* unescaped; NULL if missing */
	size_t idlen;
	const char *handle;
	size_t hlen;
	const char *body;
	size_t blen;
	long long sent_ts;		/* -1 if absent */
	long long recv_count;		/* -1 if absent */
	const char *problem;		/* NULL, or why it cannot be used */
};

struct sqs_parser {
	struct json j;
	struct buf id, handle, body, md5, tmp;
};

int sqs_parser_init(struct sqs_parser *p);
void sqs_parser_free(struct sqs_parser *p);

/*
 * Parses a ReceiveMessage response, calling fn for each message in
 * order; fn's msg points into p and is valid during the call.  Returns
 * the number of messages, or -1 with the reason in err if the response
 * as a whole is unusable (not JSON, too many tokens, no object).
 */
int sqs_parse_receive(struct sqs_parser *p, const char *text, size_t len,
    void (*fn)(const struct sqs_msg *m, void *arg), void *arg,
    struct buf *err);

/* Parses a GetQueueUrl response into url.  0, or -1 with err. */
int sqs_parse_get_url(struct sqs_parser *p, const char *text, size_t len,
    struct buf *url, struct buf *err);

/* The outcome of one batch entry. */
enum sqs_entry {
	SQS_ENTRY_UNKNOWN = 0,	/* in neither list: treated as a retryable failure */
	SQS_ENTRY_OK,
	SQS_ENTRY_RETRY,	/* failed, not the sender's fault */
	SQS_ENTRY_FAILED	/* failed for good (SenderFault) */
};

struct sqs_batch_result {
	enum sqs_entry e[SQS_BATCH_MAX];
	char code[SQS_BATCH_MAX][64];	/* Code of a failed entry */
};

/*
 * Parses a DeleteMessageBatch or ChangeMessageVisibilityBatch response
 * for a batch of n entries.  Returns 0, or -1 with err.
 */
int sqs_parse_batch(struct sqs_parser *p, const char *text, size_t len, int n,
    struct sqs_batch_result *r, struct buf *err);

/* What a failed request means for the caller. */
enum sqs_fail {
	SQS_RETRY,		/* throttling, 5xx, network: try again later */
	SQS_NO_QUEUE,		/* the queue does not exist */
	SQS_BAD_CREDS,		/* the credentials or signature were refused */
	SQS_EXPIRED,		/* the credentials expired: refresh, then retry */
	SQS_DENIED,		/* access denied */
	SQS_REFUSED		/* any other error the service gave */
};

struct sqs_error {
	char code[96];		/* error code, namespace prefix removed */
	char message[200];	/* the service's message, printable ASCII only */
};

/*
 * Reads an error response: "__type" (with any "namespace#" prefix
 * removed) or "code" from the body, else the x-amzn-query-error header
 * (qerr, may be NULL), "message" or "Message" from the body.  Never
 * fails: what cannot be read stays empty.
 */
void sqs_parse_error(struct sqs_parser *p, const char *text, size_t len,
    const char *qerr, struct sqs_error *e);

/* Classifies an HTTP error status with its error code. */
enum sqs_fail sqs_classify(long status, const char *code);

/* Whether the MD5 of s[0..n) in hex is md5hex (any case). */
int md5_matches(const char *s, size_t n, const char *md5hex, size_t hexlen);

#endif
