#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include <curl/curl.h>

#include "awsconf.h"
#include "creds.h"
#include "credsint.h"
#include "endpoint.h"
#include "json.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"
#define SECRET_MAX 4096		/* longest key, secret or token */

void
creds_init(struct creds *c)
{
	memset(c, 0, sizeof *c);
	buf_init(&c->akid, SECRET_MAX);
	buf_init(&c->secret, SECRET_MAX);
	buf_init(&c->token, 4 * SECRET_MAX);
	buf_init(&c->url, 4096);
	buf_init(&c->role, 256);
	c->timeout = 2;
}

void
creds_free(struct creds *c)
{
	buf_wipe(&c->akid);
	buf_wipe(&c->secret);
	buf_wipe(&c->token);
	buf_free(&c->url);
	buf_free(&c->role);
}

const char *
creds_source_name(enum creds_source s)
{
	switch (s) {
	case CREDS_NONE:	return "none";
	case CREDS_ENV:		return "the environment";
	case CREDS_PROFILE:	return "the shared files";
	case CREDS_CONTAINER:	return "the container credentials endpoint";
	case CREDS_IMDS:	return "the instance metadata service";
	}
	return "?";
}

/* A secret must be printable ASCII: it goes into a header. */
int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
set_static(struct creds *c, const char *id, size_t idlen, const char *sk,
    size_t sklen, const char *tok, size_t toklen, struct buf *err,
    const char *where)
{
	buf_wipe(&c->akid);
	buf_wipe(&c->secret);
	buf_wipe(&c->token);
	if (buf_add(&c->akid, id, idlen) == -1 ||
	    buf_add(&c->secret, sk, sklen) == -1 ||
	    (tok != NULL && buf_add(&c->token, tok, toklen) == -1)) {
		buf_addf(err, "%s: credentials too long", where);
		return -1;
	}
	if (idlen == 0 || sklen == 0 || !printable(id, idlen) ||
	    !printable(sk, sklen) || (tok != NULL && !printable(tok, toklen))) {
		buf_addf(err, "%s: malformed credentials", where);
		return -1;
	}
	return 0;
}

int
parse_iso8601(const char *s, size_t n, time_t *t)
{
	struct tm tm;
	char tmp[40];
	int y, mo, d, h, mi, sec, k = 0;
	size_t i;

	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (sscanf(tmp, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &k) != 6 || k != 19)
		return -1;
	i = 19;
	if (tmp[i] == '.')
		for (i++; tmp[i] >= '0' && tmp[i] <= '9'; i++)
			;
	if (strcmp(tmp + i, "Z") != 0 && strcmp(tmp + i, "+00:00") != 0 &&
	    strcmp(tmp + i, "z") != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    y < 1970)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/* Sets when to refresh: well before expiry, halfway for short lives. */
static void
set_refresh(struct creds *c, time_t now)
{
	time_t life = c->expires - now, margin = 15 * 60;

	if (c->expires == 0) {
		c->refresh_at = 0;
		return;
	}
	if (margin > life / 2)
		margin = life / 2;
	c->refresh_at = c->expires - margin;
}

int
creds_parse_json(struct creds *c, const char *text, size_t len, time_t now,
    struct buf *err)
{
	struct json j;
	struct buf id = BUF_INIT(SECRET_MAX), sk = BUF_INIT(SECRET_MAX),
	    tok = BUF_INIT(4 * SECRET_MAX), exp = BUF_INIT(64);
	int r, i, rc = -1;
	time_t t = 0;

	if (json_init(&j, 256) == -1) {
		buf_addf(err, "out of memory");
		return -1;
	}
	if ((r = json_parse(&j, text, len)) != JSON_OK || j.tok[0].type != JSMN_OBJECT) {
		buf_addf(err, "credentials response is not a JSON object");
		goto out;
	}
	if ((i = json_get(&j, 0, "Code")) >= 0 && !json_streq(&j, i, "Success")) {
		buf_addf(err, "credentials response is not a success");
		goto out;
	}
	if ((i = json_get(&j, 0, "AccessKeyId")) < 0 || json_tokstr(&j, i, &id) != JSON_OK ||
	    (i = json_get(&j, 0, "SecretAccessKey")) < 0 ||
	    json_tokstr(&j, i, &sk) != JSON_OK) {
		buf_addf(err, "credentials response without AccessKeyId and SecretAccessKey");
		goto out;
	}
	if ((i = json_get(&j, 0, "Token")) >= 0 && !json_isnull(&j, i) &&
	    json_tokstr(&j, i, &tok) != JSON_OK) {
		buf_addf(err, "credentials response with a malformed Token");
		goto out;
	}
	if ((i = json_get(&j, 0, "Expiration")) >= 0 && !json_isnull(&j, i)) {
		if (json_tokstr(&j, i, &exp) != JSON_OK ||
		    parse_iso8601(exp.data ? exp.data : "", exp.len, &t) == -1) {
			buf_addf(err, "credentials response with a malformed Expiration");
			goto out;
		}
		if (t <= now) {
			buf_addf(err, "credentials response has already expired");
			goto out;
		}
	}
	if (set_static(c, buf_cstr(&id), id.len, buf_cstr(&sk), sk.len,
	    tok.len ? buf_cstr(&tok) : NULL, tok.len, err, "credentials response") == -1)
		goto out;
	c->expires = t;
	set_refresh(c, now);
	rc = 0;
out:
	json_free(&j);
	buf_wipe(&id);
	buf_wipe(&sk);
	buf_wipe(&tok);
	buf_free(&exp);
	return rc;
}

/* Whether a container FULL_URI may be used over plain http. */
static int
container_host_ok(const char *uri)
{
	struct endpoint e = { BUF_INIT(4096), BUF_INIT(4096), BUF_INIT(4096), 0 };
	const char *why;
	char host[300];
	int ok = 0;
	size_t n;

	if (endpoint_parse(&e, uri, &why) == 0) {
		if (e.https) {
			ok = 1;
		} else {
			const char *h = buf_cstr(&e.host), *colon = strrchr(h, ':');
			n = colon != NULL && h[0] != '[' ? (size_t)(colon - h) :
			    h[0] == '[' ? (size_t)(strchr(h, ']') - h + 1) : strlen(h);
			if (n < sizeof host) {
				memcpy(host, h, n);
				host[n] = '\0';
				ok = host_is_loopback(host) ||
				    strcmp(host, "169.254.170.2") == 0 ||
				    strcmp(host, "169.254.170.23") == 0 ||
				    strcmp(host, "[fd00:ec2::23]") == 0;
			}
		}
	}
	endpoint_free(&e);
	return ok;
}

static int
from_profile(struct creds *c, const struct awsconf *ac, struct buf *err)
{
	struct buf id = BUF_INIT(SECRET_MAX), sk = BUF_INIT(SECRET_MAX),
	    tok = BUF_INIT(4 * SECRET_MAX), v = BUF_INIT(4096);
	const char *p = buf_cstr(&ac->profile);
	static const char *const unsupported[] = {
		"role_arn", "credential_process", "sso_session", "sso_start_url",
		"web_identity_token_file", "login_session"
	};
	int r = 0, cfg, i;
	size_t k;

	/* The credentials file first, then the config file, as AWS does. */
	for (cfg = 0; cfg <= 1 && r == 0; cfg++) {
		const struct buf *t = cfg ? &ac->cfg : &ac->cred;
		int a = file_get(t, p, cfg, "aws_access_key_id", &id);
		int b = file_get(t, p, cfg, "aws_secret_access_key", &sk);
		if (a == -1 || b == -1) {
			buf_addf(err, "profile %s: credentials too long", p);
			r = -1;
			break;
		}
		if (a == 1 && b == 1) {
			if (file_get(t, p, cfg, "aws_session_token", &tok) == -1) {
				buf_addf(err, "profile %s: session token too long", p);
				r = -1;
				break;
			}
			r = set_static(c, id.data, id.len, sk.data, sk.len,
			    tok.len ? tok.data : NULL, tok.len, err, p) == 0 ? 1 : -1;
			if (r == -1) {
				buf_reset(err);
				buf_addf(err, "profile %s: malformed credentials in %s", p,
				    buf_cstr(cfg ? &ac->cfg_path : &ac->cred_path));
			}
		} else if (a == 1 || b == 1) {
			buf_addf(err, "profile %s: %s without %s in %s", p,
			    a == 1 ? "aws_access_key_id" : "aws_secret_access_key",
			    a == 1 ? "aws_secret_access_key" : "aws_access_key_id",
			    buf_cstr(cfg ? &ac->cfg_path : &ac->cred_path));
			r = -1;
		}
	}
	if (r == 0 && ac->profile_named) {
		/* A profile that asks for a way we do not support: say so. */
		for (k = 0; k < sizeof unsupported / sizeof *unsupported; k++) {
			for (i = 0; i <= 1; i++)
				if (file_get(i ? &ac->cfg : &ac->cred, p, i,
				    unsupported[k], &v) == 1) {
					buf_addf(err, "profile %s: %s is not supported; "
					    "export the credentials it gives instead",
					    p, unsupported[k]);
					r = -1;
					goto out;
				}
		}
	}
out:
	buf_wipe(&id);
	buf_wipe(&sk);
	buf_wipe(&tok);
	buf_free(&v);
	return r;
}

int
creds_resolve(struct creds *c, const struct awsconf *ac, struct buf *err)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY"),
	    *tok = env("AWS_SESSION_TOKEN"), *rel, *full, *v, *mode;
	time_t now = time(NULL);
	int r;

	if (!ac->profile_flag && (id != NULL || sk != NULL)) {
		if (id == NULL || sk == NULL) {
			buf_addf(err, "%s is set without %s",
			    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			return EX_CONFIG;
		}
		if (set_static(c, id, strlen(id), sk, strlen(sk), tok,
		    tok ? strlen(tok) : 0, err, "environment") == -1)
			return EX_CONFIG;
		c->src = CREDS_ENV;
		return 0;
	}
	if ((r = from_profile(c, ac, err)) == -1)
		return EX_CONFIG;
	if (r == 1) {
		c->src = CREDS_PROFILE;
		return 0;
	}
	if (ac->profile_flag) {
		buf_addf(err, "profile %s: no credentials in %s or %s",
		    buf_cstr(&ac->profile), buf_cstr(&ac->cred_path),
		    buf_cstr(&ac->cfg_path));
		return EX_CONFIG;
	}
	rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (rel != NULL || full != NULL) {
		buf_reset(&c->url);
		if (rel != NULL) {
			if (rel[0] != '/' || strpbrk(rel, "\r\n ") != NULL ||
			    buf_addf(&c->url, "%s%s", CONTAINER_HOST, rel) == -1) {
				buf_addf(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: malformed");
				return EX_CONFIG;
			}
		} else {
			if (!is_url(full) || strpbrk(full, "\r\n ") != NULL ||
			    buf_adds(&c->url, full) == -1) {
				buf_addf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI: not an http(s) URL");
				return EX_CONFIG;
			}
			if (!container_host_ok(full)) {
				buf_addf(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http "
				    "is allowed only to a loopback or container host");
				return EX_CONFIG;
			}
		}
		c->src = CREDS_CONTAINER;
		if (fetch_now(c, now, err) == -1) {
			struct buf why = BUF_INIT(1024);
			buf_add(&why, buf_cstr(err), err->len);
			buf_reset(err);
			buf_addf(err, "%s: %s", creds_source_name(c->src), buf_cstr(&why));
			buf_free(&why);
			return EX_TEMPFAIL;
		}
		return 0;
	}
	v = env("AWS_EC2_METADATA_DISABLED");
	if (v == NULL || strcasecmp(v, "true") != 0) {
		buf_reset(&c->url);
		mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		v = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
		if (v != NULL) {
			size_t n = strlen(v);
			while (n > 0 && v[n - 1] == '/')
				n--;
			if (!is_url(v) || buf_add(&c->url, v, n) == -1) {
				buf_addf(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT: not an http(s) URL");
				return EX_CONFIG;
			}
		} else {
			buf_adds(&c->url, mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
			    IMDS_V6 : IMDS_V4);
		}
		c->src = CREDS_IMDS;
		c->timeout = 1;
		if (fetch_now(c, now, err) == 0)
			return 0;
		buf_reset(err);
		c->src = CREDS_NONE;
	}
	buf_addf(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and "
	    "AWS_SECRET_ACCESS_KEY, or a profile with keys, or run where the "
	    "container or instance metadata provides them");
	return EX_CONFIG;
}

int
creds_due(const struct creds *c, time_t now)
{
	return c->refresh_at != 0 && now >= c->refresh_at;
}

int
creds_usable(const struct creds *c, time_t now)
{
	return !c->stale && (c->expires == 0 || now < c->expires);
}

void
creds_expire(struct creds *c, time_t now)
{
	if (c->src != CREDS_CONTAINER && c->src != CREDS_IMDS)
		return;
	if (!c->stale) {
		c->stale = 1;
		c->stale_since = now;
		c->fails = 0;
		c->refresh_at = 1;
	}
}

/*
 * After a failed fetch: keeps what still works, and tries again later.
 * Refused credentials block every request, so new ones are sought again
 * within seconds (1, 2, 4, then every 5), until the stated expiry or
 * CREDS_STALE_MAX, whichever comes first; working ones are kept while
 * the next try waits longer.
 */
static int
refresh_failed(struct creds *c, time_t now)
{
	time_t left = c->expires - now, until, wait;

	if (c->stale) {
		until = c->stale_since + CREDS_STALE_MAX;
		if (c->expires != 0 && c->expires < until)
			until = c->expires;
		if (now >= until)
			return EX_TEMPFAIL;
		wait = c->fails < 3 ? (time_t)1 << c->fails : 5;
		c->fails++;
		c->refresh_at = now + wait < until ? now + wait : until;
		return 0;
	}
	if (c->expires != 0 && left > 0) {
		c->refresh_at = now + (left / 4 < 30 ? left / 4 + 1 : 30);
		return 0;
	}
	return EX_TEMPFAIL;
}

int
creds_refresh_start(struct creds *c, struct creds_fetch *f, CURLM *multi,
    time_t now, struct buf *err)
{
	if (f->busy)
		return 0;
	if (c->src != CREDS_CONTAINER && c->src != CREDS_IMDS) {
		c->refresh_at = 0;
		return 0;
	}
	if (fetch_begin(f, c, err) == -1 ||
	    curl_multi_add_handle(multi, f->easy) != CURLM_OK) {
		if (err->len == 0)
			buf_addf(err, "curl setup failed");
		fetch_clear(f);
		return refresh_failed(c, now);
	}
	f->busy = 1;
	return 0;
}

int
creds_refresh_done(struct creds *c, struct creds_fetch *f, CURLM *multi,
    CURLcode rc, time_t now, struct buf *err)
{
	int r;

	curl_multi_remove_handle(multi, f->easy);
	f->busy = 0;
	if ((r = step_done(f, rc, now, err)) == 1) {
		if (curl_multi_add_handle(multi, f->easy) == CURLM_OK) {
			f->busy = 1;
			return 1;
		}
		buf_addf(err, "curl setup failed");
		r = -1;
	}
	if (r == 0) {
		fetch_take(f, c);
		fetch_clear(f);
		return 0;
	}
	fetch_clear(f);
	return refresh_failed(c, now);
}
