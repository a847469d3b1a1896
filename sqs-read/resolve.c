#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "endpoint.h"
#include "resolve.h"

void
settings_init(struct settings *s)
{
	buf_init(&s->endpoint, 4096);
	buf_init(&s->region, 64);
	buf_init(&s->ca_bundle, 4096);
}

void
settings_free(struct settings *s)
{
	buf_free(&s->endpoint);
	buf_free(&s->region);
	buf_free(&s->ca_bundle);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
settings_resolve(struct settings *s, const char *queue, const char *endpoint_opt,
    const char *region_opt, const struct awsconf *ac, struct buf *err)
{
	struct endpoint e = { BUF_INIT(4096), BUF_INIT(1024), BUF_INIT(4096), 0 };
	const char *v, *why, *source = "-e";
	int have_region = 0, rc = EX_CONFIG;

	if (region_opt != NULL) {
		if (buf_adds(&s->region, region_opt) == -1 || !region_valid(region_opt)) {
			buf_addf(err, "--region %s: not a region name", region_opt);
			return EX_USAGE;
		}
		have_region = 1;
	}
	/* The endpoint, if something names it; else it follows the region. */
	if ((v = endpoint_opt) != NULL ||
	    ((v = env("AWS_ENDPOINT_URL_SQS")) != NULL && (source = "AWS_ENDPOINT_URL_SQS")) ||
	    ((v = env("AWS_ENDPOINT_URL")) != NULL && (source = "AWS_ENDPOINT_URL"))) {
		if (buf_adds(&s->endpoint, v) == -1)
			goto toolong;
	} else if (awsconf_get(ac, "endpoint_url", &s->endpoint) == 1) {
		source = "the profile's endpoint_url";
	} else if (is_url(queue)) {
		source = "the queue URL";
		if (url_origin(&s->endpoint, queue) == -1) {
			buf_addf(err, "queue %s: not a usable URL", queue);
			return EX_USAGE;
		}
	}
	if (s->endpoint.len > 0) {
		if (endpoint_parse(&e, buf_cstr(&s->endpoint), &why) == -1) {
			buf_addf(err, "%s %s: %s", source, buf_cstr(&s->endpoint), why);
			rc = strcmp(source, "-e") == 0 ? EX_USAGE : EX_CONFIG;
			goto out;
		}
		if (!have_region && region_from_host(&s->region, buf_cstr(&e.host)) == 0)
			have_region = 1;
	}
	if (!have_region) {
		if ((v = env("AWS_REGION")) != NULL || (v = env("AWS_DEFAULT_REGION")) != NULL) {
			if (buf_adds(&s->region, v) == -1)
				goto toolong;
		} else if (awsconf_get(ac, "region", &s->region) != 1) {
			buf_addf(err, "no region: give --region, or set AWS_REGION "
			    "or the profile's region");
			goto out;
		}
		if (!region_valid(buf_cstr(&s->region))) {
			buf_addf(err, "region %s: not a region name", buf_cstr(&s->region));
			goto out;
		}
	}
	if (s->endpoint.len == 0 && endpoint_default(&s->endpoint, buf_cstr(&s->region)) == -1)
		goto toolong;
	if ((v = env("AWS_CA_BUNDLE")) != NULL) {
		if (buf_adds(&s->ca_bundle, v) == -1)
			goto toolong;
	} else if (awsconf_get(ac, "ca_bundle", &s->ca_bundle) == -1) {
		goto toolong;
	}
	if (s->ca_bundle.len > 0 && access(buf_cstr(&s->ca_bundle), R_OK) == -1) {
		buf_addf(err, "CA bundle %s: cannot be read", buf_cstr(&s->ca_bundle));
		goto out;
	}
	rc = 0;
	goto out;
toolong:
	buf_addf(err, "a setting is too long");
out:
	endpoint_free(&e);
	return rc;
}
