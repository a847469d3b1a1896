/*
 * creds: AWS credentials, found as AWS's own tools find them, and kept
 * fresh.  The shared files are awsconf.h's; fetching from the endpoints
 * is credsfetch.h's.
 *
 * Credentials, the first source that has them:
 *  1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 *     AWS_SESSION_TOKEN (skipped when --profile names a profile);
 *  2. the profile: aws_access_key_id, aws_secret_access_key and
 *     aws_session_token, in the credentials file, then the config file;
 *  3. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *     (on 169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI, with the
 *     Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN;
 *  4. EC2 instance metadata (IMDSv2, with a session token), unless
 *     AWS_EC2_METADATA_DISABLED is true; AWS_EC2_METADATA_SERVICE_ENDPOINT
 *     (or _MODE=IPv6) says where it is.
 * Credentials from 3 and 4 expire: new ones are fetched well before they
 * do, through the caller's curl multi handle (creds_refresh_start() and
 * creds_refresh_done()), so a slow endpoint never stops the caller's
 * loop; the current ones stay in use until the new ones arrive, unless
 * they have expired or the service has refused them as expired (then
 * nothing can be signed until new ones come, and a failed fetch is
 * tried again within seconds, up to CREDS_STALE_MAX).
 * Secrets live only in the struct's buffers, which creds_free() wipes;
 * no message here ever includes one.
 */
#ifndef SQS_READ_CREDS_H
#define SQS_READ_CREDS_H

#include <time.h>

#include <curl/curl.h>

#include "buf.h"

struct awsconf;
struct creds_fetch;

/* Seconds new credentials are sought once the service refused the current ones. */
#define CREDS_STALE_MAX 60

enum creds_source {
	CREDS_NONE, CREDS_ENV, CREDS_PROFILE, CREDS_CONTAINER, CREDS_IMDS
};

struct creds {
	struct buf akid, secret, token;
	enum creds_source src;
	time_t expires;			/* 0: they do not expire */
	time_t refresh_at;		/* fetch new ones from then on */
	int stale;			/* the service said they expired */
	time_t stale_since;		/* when it first said so */
	int fails;			/* fetches failed since they went stale */
	unsigned gen;			/* counts the credentials taken: 1 for the first */
	int renewed;			/* fetched because the last were refused, and
					   not yet accepted by the service */
	struct buf url;			/* container URI, or IMDS base URL */
	struct buf role;		/* the instance's role name (IMDS) */
	const char *ca_bundle;		/* for an https container endpoint */
	double timeout;			/* seconds per metadata request */
};

void creds_init(struct creds *c);
void creds_free(struct creds *c);

/*
 * Finds credentials as above.  Returns 0, or a sysexits code (EX_CONFIG
 * when there are none or they are malformed, EX_TEMPFAIL when an endpoint
 * that should have them failed) with the reason in err.
 */
int creds_resolve(struct creds *c, const struct awsconf *ac, struct buf *err);

/* Whether c should be refreshed at time now. */
int creds_due(const struct creds *c, time_t now);

/* Whether requests signed with c now can succeed: not expired, not stale. */
int creds_usable(const struct creds *c, time_t now);

/*
 * Starts fetching new credentials from the source that gave c, adding
 * f's handle to multi; nothing if f is busy already.  Returns 0; or,
 * when it cannot even start, what creds_refresh_done() returns after a
 * failure.
 */
int creds_refresh_start(struct creds *c, struct creds_fetch *f, CURLM *multi,
    time_t now, struct buf *err);

/*
 * Takes the end (rc) of f's transfer, which multi reported done.
 * Returns 1 while more requests are needed (the next one is in multi);
 * 0 when c holds the new credentials, or, after a failure, 0 with the
 * reason in err and another try set for later; or EX_TEMPFAIL with the
 * reason in err once c has expired, or has been stale for
 * CREDS_STALE_MAX seconds.
 */
int creds_refresh_done(struct creds *c, struct creds_fetch *f, CURLM *multi,
    CURLcode rc, time_t now, struct buf *err);

/*
 * Forces the next creds_due() to say yes and marks c stale (the service
 * said at time now that they expired): creds_usable() is false until
 * new ones come.  Nothing for credentials that cannot be refreshed.
 */
void creds_expire(struct creds *c, time_t now);

const char *creds_source_name(enum creds_source s);

/*
 * Reads an endpoint's credentials document ({"AccessKeyId",
 * "SecretAccessKey", "Token", "Expiration"}) into c and sets its refresh
 * time relative to now.  Returns 0, or -1 with the reason in err.
 */
int creds_parse_json(struct creds *c, const char *text, size_t len,
    time_t now, struct buf *err);

/* Parses an ISO 8601 UTC time ("2024-05-01T12:00:00Z", fractions and a
 * +00:00 offset allowed).  Returns -1 if it is not one. */
int parse_iso8601(const char *s, size_t n, time_t *t);

#endif
