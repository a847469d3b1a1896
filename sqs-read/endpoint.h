/*
 * endpoint: where requests go and which region signs them.
 *
 * An endpoint is an http or https URL; what sqs-read keeps of it is its
 * origin (scheme://host[:port]) and its path, to which requests are
 * POSTed.  Amazon SQS hosts name their region (sqs.REGION.amazonaws.com,
 * sqs-fips.REGION..., REGION.queue.amazonaws.com, .amazonaws.com.cn in
 * China); other hosts (an emulator, a VPC endpoint alias) do not.
 */
#ifndef SQS_READ_ENDPOINT_H
#define SQS_READ_ENDPOINT_H

#include "buf.h"

struct endpoint {
	struct buf url;		/* what requests are POSTed to */
	struct buf host;	/* Host header value: host[:port] as in the URL */
	struct buf path;	/* the raw path, "/" at least */
	int https;
};

/*
 * Parses url into e (whose buffers must be initialised).  Returns 0, or
 * -1 with a reason in why (a static string) for anything that is not an
 * absolute http(s) URL with a host and without a query, user or fragment.
 */
int endpoint_parse(struct endpoint *e, const char *url, const char **why);
void endpoint_free(struct endpoint *e);

/*
 * The origin of an absolute URL (scheme://host[:port]) into out, for
 * taking the endpoint from a queue URL.  Returns -1 if it is not one.
 */
int url_origin(struct buf *out, const char *url);

/* Whether s looks like a URL rather than a queue name. */
int is_url(const char *s);

/*
 * The region an Amazon SQS host names, into out; 0 if it names one, -1
 * if the host is not an Amazon SQS host.
 */
int region_from_host(struct buf *out, const char *host);

/* The default endpoint for a region: https://sqs.REGION.amazonaws.com */
int endpoint_default(struct buf *out, const char *region);

/* Whether a region name is plausible: [a-z0-9-], 1 to 32 characters. */
int region_valid(const char *region);

/* Whether host (without port) is a loopback address or "localhost". */
int host_is_loopback(const char *host);

#endif
