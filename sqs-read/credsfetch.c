#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "credsfetch.h"
#include "credsint.h"

#define DOC_MAX (64 * 1024)	/* longest credentials document */

void
slist_wipe(struct curl_slist *l)
{
	struct curl_slist *n;

	for (n = l; n != NULL; n = n->next)
		if (n->data != NULL)
			OPENSSL_cleanse(n->data, strlen(n->data));
	curl_slist_free_all(l);
}

size_t
transfer_into_buf(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) == 0 ? sz * n : 0;
}

/* Sockets close on exec, like every descriptor of ours. */
curl_socket_t
transfer_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)arg;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
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
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, transfer_into_buf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &f->resp) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, transfer_socket) != CURLE_OK ||
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
int
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
void
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
int
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
void
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
int
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
