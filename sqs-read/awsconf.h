/*
 * awsconf: the AWS shared config and credentials files, found and read
 * as AWS's own tools do.
 *
 * The profile is --profile, else AWS_PROFILE, else "default"; the
 * shared credentials file is AWS_SHARED_CREDENTIALS_FILE, else
 * ~/.aws/credentials; the config file AWS_CONFIG_FILE, else
 * ~/.aws/config.  A missing file reads as empty.
 */
#ifndef SQS_READ_AWSCONF_H
#define SQS_READ_AWSCONF_H

#include "buf.h"

/* The longest shared file read (a larger one is refused). */
#define AWS_FILE_MAX (1 << 20)

struct awsconf {
	struct buf profile;		/* the profile in use */
	int profile_named;		/* by --profile or AWS_PROFILE */
	int profile_flag;		/* by --profile: the environment's keys are skipped */
	struct buf cred_path, cfg_path;
	struct buf cred, cfg;		/* the files' contents ("" if absent) */
};

/*
 * Reads the shared files for profile_opt (NULL: AWS_PROFILE or default).
 * Returns 0, or a sysexits code with the reason in err.
 */
int awsconf_load(struct awsconf *ac, const char *profile_opt, struct buf *err);

/*
 * A setting of the profile in the config file (region, ca_bundle,
 * endpoint_url...).  1 with the value in val, 0 if unset, -1 if too long.
 */
int awsconf_get(const struct awsconf *ac, const char *key, struct buf *val);

/* Wipes and frees the files' contents. */
void awsconf_free(struct awsconf *ac);

#endif
