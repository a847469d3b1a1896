/*
 * sigv4: AWS Signature Version 4 for one HTTP request, on OpenSSL.
 *
 * The caller passes the request as it will be sent: the method, the raw
 * (not yet percent-encoded) path, the raw query, the headers it will send
 * and sign, and the payload.  Header names may be in any case; values are
 * trimmed and their inner runs of spaces folded, as the canonical form
 * wants.  Paths are encoded once here, as every service but S3 expects.
 */
#ifndef SQS_READ_SIGV4_H
#define SQS_READ_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_req {
	const char *method;
	const char *path;		/* raw, "/" for the root */
	const char *query;		/* raw "a=1&b=2", or NULL */
	const struct sigv4_header *headers;
	size_t nheaders;
	const char *payload;
	size_t payload_len;
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service;
	const char *amz_date;		/* "YYYYMMDDTHHMMSSZ", as in X-Amz-Date */
};

/* The X-Amz-Date form of t (UTC) into out[17]. */
void sigv4_amz_date(char out[17], time_t t);

/*
 * Appends the Authorization header's value to out.  Returns 0, or -1 if
 * out's cap is reached, an allocation failed or the request is malformed
 * (a header value with a newline, too many headers, a short date).
 */
int sigv4_authorization(struct buf *out, const struct sigv4_req *r);

/* The canonical request alone, for tests that check it against AWS's. */
int sigv4_canonical_request(struct buf *out, const struct sigv4_req *r);

/* Lower-case hex SHA-256 of p[0..n) into out[65]. */
void sha256_hex(char out[65], const void *p, size_t n);

#endif
