/*
 * resolve: where sqs-read's settings come from when the command line
 * leaves them out.
 *
 * Endpoint: -e, else AWS_ENDPOINT_URL_SQS, else AWS_ENDPOINT_URL, else
 * the profile's endpoint_url, else the queue URL's own host, else
 * https://sqs.REGION.amazonaws.com.
 * Region: --region, else the region an Amazon SQS endpoint names, else
 * AWS_REGION, AWS_DEFAULT_REGION, the profile's region.
 * CA bundle: AWS_CA_BUNDLE, else the profile's ca_bundle.
 */
#ifndef SQS_READ_RESOLVE_H
#define SQS_READ_RESOLVE_H

#include "awsconf.h"
#include "buf.h"

struct settings {
	struct buf endpoint, region, ca_bundle;
};

void settings_init(struct settings *s);
void settings_free(struct settings *s);

/*
 * Fills s from the options given (NULL when absent), the environment
 * and the profile.  Returns 0, or a sysexits code with err set.
 */
int settings_resolve(struct settings *s, const char *queue,
    const char *endpoint_opt, const char *region_opt,
    const struct awsconf *ac, struct buf *err);

#endif
