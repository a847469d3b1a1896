#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "endpoint.h"
#include "ini.h"
#include "json.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"
#define DOC_MAX (64 * 1024)	/* longest credentials document */
#define SECRET_MAX 4096		/* longest key, secret or token */

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}

void
slist_wipe(struct curl_slist *l)
{
	struct curl_slist *n;

	for (n = l; n != NULL; n = n->next)
		if (n->data != NULL)
			OPENSSL_cleanse(n->data, strlen(n->data));
	curl_slist_free_all(l);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * Reads a whole file of at most AWS_FILE_MAX bytes into b.  A missing
 * file is empty.  Returns 0, or -1 with errno.
 */
static int
read_file(struct buf *b, const char *path)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd;

	buf_reset(b);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			errno = EISDIR;
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf_add(b, chunk, (size_t)n) == -1) {
			n = -1;
			break;
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	close(fd);
	if (n == -1) {
		buf_wipe(b);
		return -1;
	}
	return 0;
}

static int
home_path(struct buf *out, const char *var, const char *rel)
{
	const char *v = env(var), *home;
	struct passwd *pw;

	buf_reset(out);
	if (v != NULL)
		return buf_adds(out, v);
	if ((home = env("HOME")) == NULL) {
		if ((pw = getpwuid(getuid())) == NULL)
			return buf_adds(out, rel);
		home = pw->pw_dir;
	}
	return buf_addf(out, "%s/%s", home, rel);
}

int
awsconf_load(struct awsconf *ac, const char *profile_opt, struct buf *err)
{
	const char *p = profile_opt != NULL ? profile_opt : env("AWS_PROFILE");
	struct buf sec = BUF_INIT(4096);
	int found;

	buf_init(&ac->profile, 256);
	buf_init(&ac->cred_path, 4096);
	buf_init(&ac->cfg_path, 4096);
	buf_init(&ac->cred, AWS_FILE_MAX);
	buf_init(&ac->cfg, AWS_FILE_MAX);
	ac->profile_named = p != NULL;
	ac->profile_flag = profile_opt != NULL;
	if (buf_adds(&ac->profile, p != NULL ? p : "default") == -1) {
		buf_addf(err, "profile name too long");
		return EX_USAGE;
	}
	if (home_path(&ac->cred_path, "AWS_SHARED_CREDENTIALS_FILE",
	    ".aws/credentials") == -1 ||
	    home_path(&ac->cfg_path, "AWS_CONFIG_FILE", ".aws/config") == -1) {
		buf_addf(err, "shared file path too long");
		return EX_CONFIG;
	}
	if (read_file(&ac->cred, buf_cstr(&ac->cred_path)) == -1) {
		buf_addf(err, "%s: %s", buf_cstr(&ac->cred_path),
		    errno == EMSGSIZE ? "larger than 1 MiB" : strerror(errno));
		return EX_CONFIG;
	}
	if (read_file(&ac->cfg, buf_cstr(&ac->cfg_path)) == -1) {
		buf_addf(err, "%s: %s", buf_cstr(&ac->cfg_path),
		    errno == EMSGSIZE ? "larger than 1 MiB" : strerror(errno));
		return EX_CONFIG;
	}
	found = ini_has_section(ac->cred.data ? ac->cred.data : "", ac->cred.len,
	    buf_cstr(&ac->profile));
	ini_profile_section(&sec, buf_cstr(&ac->profile), 1);
	found |= ini_has_section(ac->cfg.data ? ac->cfg.data : "", ac->cfg.len,
	    buf_cstr(&sec));
	if (strcmp(buf_cstr(&ac->profile), "default") == 0)
		found |= ini_has_section(ac->cfg.data ? ac->cfg.data : "",
		    ac->cfg.len, "profile default");
	buf_free(&sec);
	if (ac->profile_named && !found) {
		buf_addf(err, "profile %s: not found in %s or %s",
		    buf_cstr(&ac->profile), buf_cstr(&ac->cred_path),
		    buf_cstr(&ac->cfg_path));
		return EX_CONFIG;
	}
	return 0;
}

/* A key of the profile in one file: 1 found, 0 not, -1 too long. */
static int
file_get(const struct buf *text, const char *profile, int config,
    const char *key, struct buf *val)
{
	struct buf sec = BUF_INIT(4096);
	int r;

	if (text->len == 0)
		return 0;
	if (ini_profile_section(&sec, profile, config) == -1)
		return -1;
	r = ini_get(text->data, text->len, buf_cstr(&sec), key, val);
	if (r == 0 && config && strcmp(profile, "default") == 0)
		r = ini_get(text->data, text->len, "profile default", key, val);
	buf_free(&sec);
	return r;
}

int
awsconf_get(const struct awsconf *ac, const char *key, struct buf *val)
{
	return file_get(&ac->cfg, buf_cstr(&ac->profile), 1, key, val);
}

void
awsconf_free(struct awsconf *ac)
{
	buf_wipe(&ac->cred);
	buf_wipe(&ac->cfg);
	buf_free(&ac->profile);
	buf_free(&ac->cred_path);
	buf_free(&ac->cfg_path);
}

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
static int
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

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) == 0 ? sz * n : 0;
}

/* Sockets close on exec, like every descriptor of ours. */
static curl_socket_t
open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
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

/*
 * The container endpoint's Authorization header line into line, read
 * afresh each time (the token file may be rotated); empty if there is
 * no token.  0, or -1 with the reason in err.
 */
static int
container_auth(struct buf *line, struct buf *err)
{
	struct buf tok = BUF_INIT(16384);
	const char *tf = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
	    *tv = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	int rc = -1;

	buf_reset(line);
	if (tf != NULL) {
		if (read_file(&tok, tf) == -1) {
			buf_addf(err, "%s: %s", tf, strerror(errno));
			goto out;
		}
		while (tok.len > 0 && (tok.data[tok.len - 1] == '\n' ||
		    tok.data[tok.len - 1] == '\r'))
			buf_truncate(&tok, tok.len - 1);
	} else if (tv != NULL && buf_adds(&tok, tv) == -1) {
		buf_addf(err, "AWS_CONTAINER_AUTHORIZATION_TOKEN too long");
		goto out;
	}
	if (tok.len > 0) {
		if (memchr(tok.data, '\n', tok.len) || memchr(tok.data, '\r', tok.len) ||
		    memchr(tok.data, '\0', tok.len)) {
			buf_addf(err, "container authorization token has a line break");
			goto out;
		}
		if (buf_addf(line, "Authorization: %s", tok.data) == -1) {
			buf_addf(err, "container authorization token too long");
			goto out;
		}
	}
	rc = 0;
out:
	buf_wipe(&tok);
	return rc;
}

/*
 * The steps of a fetch: the container endpoint takes one request; IMDS
 * a session token, the role name (the first time, and again when the
 * role kept has no credentials any more: 404), then the credentials.
 */
enum { F_CONTAINER, F_IMDS_TOKEN, F_IMDS_ROLE, F_IMDS_CREDS };

/*
 * Sets f's handle up for one request to f->url with f->hdrs.  Never
 * through a proxy: these addresses are local.
 */
static int
request(struct creds_fetch *f, const char *method, struct buf *err)
{
	CURL *h = f->easy;
	const struct creds *c = &f->n;

	buf_reset(&f->resp);
	curl_easy_reset(h);
	if (curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&f->url)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout * 1000)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 2000)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    (c->ca_bundle != NULL &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle) != CURLE_OK) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f->resp) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket) != CURLE_OK ||
	    (strcmp(method, "PUT") == 0 &&
	    (curl_easy_setopt(h, CURLOPT_POSTFIELDS, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L) != CURLE_OK))) {
		buf_addf(err, "curl setup failed");
		return -1;
	}
	return 0;
}

/* Prepares the request of f's current step.  0, or -1 with err. */
static int
step_prepare(struct creds_fetch *f, struct buf *err)
{
	slist_wipe(f->hdrs);
	f->hdrs = NULL;
	buf_reset(&f->url);
	switch (f->step) {
	case F_CONTAINER:
		if (container_auth(&f->line, err) == -1)
			return -1;
		if ((f->line.len > 0 &&
		    (f->hdrs = curl_slist_append(NULL, f->line.data)) == NULL) ||
		    buf_adds(&f->url, buf_cstr(&f->n.url)) == -1)
			break;
		return request(f, "GET", err);
	case F_IMDS_TOKEN:
		if ((f->hdrs = curl_slist_append(NULL,
		    "X-aws-ec2-metadata-token-ttl-seconds: 21600")) == NULL ||
		    buf_addf(&f->url, "%s/latest/api/token", buf_cstr(&f->n.url)) == -1)
			break;
		return request(f, "PUT", err);
	default:
		/* f->line holds the session token's header. */
		if ((f->hdrs = curl_slist_append(NULL, f->line.data)) == NULL ||
		    buf_addf(&f->url, "%s/latest/meta-data/iam/security-credentials/%s",
		    buf_cstr(&f->n.url), f->step == F_IMDS_ROLE ? "" :
		    buf_cstr(&f->n.role)) == -1)
			break;
		return request(f, "GET", err);
	}
	buf_addf(err, "out of memory");
	return -1;
}

/*
 * Reads the answer to f's current step (rc: how the transfer ended).
 * Returns 1 with the next step prepared, 0 with the credentials in
 * f->n, or -1 with the reason in err.
 */
static int
step_done(struct creds_fetch *f, CURLcode rc, time_t now, struct buf *err)
{
	long status = 0;
	size_t n;

	if (rc != CURLE_OK) {
		buf_addf(err, "%s", rc == CURLE_WRITE_ERROR ?
		    "response too long" : curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
	switch (f->step) {
	case F_CONTAINER:
	case F_IMDS_CREDS:
		if (status == 404 && f->step == F_IMDS_CREDS && f->role_kept) {
			/*
			 * The role name kept from an earlier fetch is gone (the
			 * instance profile was changed): ask for it again.
			 */
			buf_reset(&f->n.role);
			f->role_kept = 0;
			f->step = F_IMDS_ROLE;
			break;
		}
		if (status != 200) {
			buf_addf(err, f->step == F_CONTAINER ? "HTTP %ld" :
			    "credentials request answered HTTP %ld", status);
			return -1;
		}
		return creds_parse_json(&f->n, buf_cstr(&f->resp), f->resp.len, now,
		    err) == 0 ? 0 : -1;
	case F_IMDS_TOKEN:
		if (status != 200 || f->resp.len == 0 || f->resp.len > 200 ||
		    !printable(f->resp.data, f->resp.len)) {
			buf_addf(err, "session token request answered HTTP %ld", status);
			return -1;
		}
		buf_reset(&f->line);
		if (buf_addf(&f->line, "X-aws-ec2-metadata-token: %s", f->resp.data) == -1) {
			buf_addf(err, "out of memory");
			return -1;
		}
		f->role_kept = f->n.role.len > 0;
		f->step = f->role_kept ? F_IMDS_CREDS : F_IMDS_ROLE;
		break;
	case F_IMDS_ROLE:
		n = f->resp.len > 0 ? strcspn(f->resp.data, "\r\n") : 0;
		if (status != 200 || n == 0) {
			buf_addf(err, status == 404 ? "no IAM role attached to the instance" :
			    "role name request answered HTTP %ld", status);
			return -1;
		}
		if (buf_add(&f->n.role, f->resp.data, n) == -1 ||
		    !printable(f->n.role.data, n) || memchr(f->n.role.data, '/', n) != NULL) {
			buf_reset(&f->n.role);
			buf_addf(err, "malformed role name");
			return -1;
		}
		f->step = F_IMDS_CREDS;
		break;
	}
	return step_prepare(f, err) == -1 ? -1 : 1;
}

void
creds_fetch_init(struct creds_fetch *f)
{
	memset(f, 0, sizeof *f);
	creds_init(&f->n);
	buf_init(&f->resp, DOC_MAX);
	buf_init(&f->url, 4096 + 512);
	buf_init(&f->line, 16384 + 32);
}

/* Wipes what a fetch held, its handle kept for the next. */
static void
fetch_clear(struct creds_fetch *f)
{
	slist_wipe(f->hdrs);
	f->hdrs = NULL;
	creds_free(&f->n);
	creds_init(&f->n);
	buf_wipe(&f->resp);
	buf_wipe(&f->line);
	buf_free(&f->url);
}

void
creds_fetch_free(struct creds_fetch *f, CURLM *multi)
{
	if (f->busy && multi != NULL)
		curl_multi_remove_handle(multi, f->easy);
	f->busy = 0;
	fetch_clear(f);
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	f->easy = NULL;
}

/* Starts a fetch of new credentials from c's source: the first step prepared. */
static int
fetch_begin(struct creds_fetch *f, const struct creds *c, struct buf *err)
{
	fetch_clear(f);
	if (buf_adds(&f->n.url, buf_cstr(&c->url)) == -1 ||
	    buf_adds(&f->n.role, buf_cstr(&c->role)) == -1) {
		buf_addf(err, "out of memory");
		return -1;
	}
	f->n.src = c->src;
	f->n.ca_bundle = c->ca_bundle;
	f->n.timeout = c->timeout;
	f->step = c->src == CREDS_CONTAINER ? F_CONTAINER : F_IMDS_TOKEN;
	if (f->easy == NULL && (f->easy = curl_easy_init()) == NULL) {
		buf_addf(err, "curl_easy_init failed");
		return -1;
	}
	return step_prepare(f, err);
}

/*
 * The fetched credentials replace c's (wiped), as the next generation;
 * renewed if they replace credentials the service refused.
 */
static void
fetch_take(struct creds_fetch *f, struct creds *c)
{
	unsigned gen = c->gen;
	int stale = c->stale;

	creds_free(c);
	*c = f->n;
	c->gen = gen + 1;
	c->renewed = stale;
	creds_init(&f->n);
}

/* One blocking fetch into c, at start.  0, or -1 with the reason in err. */
static int
fetch_now(struct creds *c, time_t now, struct buf *err)
{
	struct creds_fetch f;
	int r;

	creds_fetch_init(&f);
	if ((r = fetch_begin(&f, c, err)) == 0)
		while ((r = step_done(&f, curl_easy_perform(f.easy), now, err)) == 1)
			;
	if (r == 0)
		fetch_take(&f, c);
	creds_fetch_free(&f, NULL);
	return r;
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
