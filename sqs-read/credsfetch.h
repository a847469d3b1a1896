/*
 * credsfetch: credentials from the container endpoint or EC2 instance
 * metadata (IMDSv2) over HTTP, one request at a time on the fetch's own
 * easy handle: through the caller's multi handle for a refresh (see
 * creds_refresh_start()), blocking at start.  Never through a proxy:
 * these addresses are local.
 */
#ifndef SQS_READ_CREDSFETCH_H
#define SQS_READ_CREDSFETCH_H

#include <curl/curl.h>

#include "buf.h"
#include "creds.h"

/*
 * A fetch of new credentials in progress: one HTTP request at a time on
 * its own easy handle, which is in the caller's multi handle while busy.
 * Zeroed by creds_fetch_init(); creds_fetch_free() removes the handle
 * from multi (may be NULL when it is not in one) and wipes the rest.
 */
struct creds_fetch {
	struct creds n;			/* the credentials being fetched */
	CURL *easy;
	struct curl_slist *hdrs;
	struct buf resp, url, line;
	int step;
	int role_kept;			/* IMDS: the role name is an earlier fetch's */
	int busy;			/* easy is in the multi handle */
};

void creds_fetch_init(struct creds_fetch *f);
void creds_fetch_free(struct creds_fetch *f, CURLM *multi);

/*
 * curl callbacks every transfer of sqs-read uses: a body appended to the
 * struct buf given as CURLOPT_WRITEDATA, and sockets opened close-on-exec.
 */
size_t transfer_into_buf(char *p, size_t sz, size_t n, void *arg);
curl_socket_t transfer_socket(void *arg, curlsocktype purpose,
    struct curl_sockaddr *a);

/*
 * Wipes the strings of a curl header list (they may hold a token), then
 * frees it.  l may be NULL.
 */
void slist_wipe(struct curl_slist *l);

#endif
