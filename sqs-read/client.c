#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "client.h"
#include "report.h"
#include "sigv4.h"

#define BACKOFF_BASE 0.05	/* seconds before the first retry, at most */
#define BACKOFF_CAP 20.0	/* and never more than this */
#define CREDS_WAIT 0.1		/* seconds a request waits for new credentials */

/* Keeps a header's value if it is the one named. */
static void
header_value(const char *line, size_t n, const char *name, char *out, size_t size)
{
	size_t k = strlen(name), m = 0;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	line += k + 1;
	n -= k + 1;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	for (; m < n && m + 1 < size; m++)
		out[m] = (unsigned char)line[m] >= 0x20 && (unsigned char)line[m] < 0x7f ?
		    line[m] : '?';
	out[m] = '\0';
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct req *r = arg;

	header_value(p, sz * n, "x-amzn-RequestId", r->reqid, sizeof r->reqid);
	header_value(p, sz * n, "x-amzn-query-error", r->qerr, sizeof r->qerr);
	return sz * n;
}

int
client_init(struct client *c, const char *endpoint_url, const char *region,
    struct creds *creds, const char *ca_bundle, int retries, int nreq,
    struct buf *err)
{
	const char *why;

	memset(c, 0, sizeof *c);
	creds_fetch_init(&c->refresh);
	buf_init(&c->refresh_err, 2048);
	buf_init(&c->ep.url, 4096);
	buf_init(&c->ep.host, 1024);
	buf_init(&c->ep.path, 4096);
	if (endpoint_parse(&c->ep, endpoint_url, &why) == -1) {
		buf_addf(err, "endpoint %s: %s", endpoint_url, why);
		return EX_USAGE;
	}
	c->region = region;
	c->creds = creds;
	c->ca_bundle = ca_bundle;
	c->retries = retries;
	if ((c->multi = curl_multi_init()) == NULL ||
	    sqs_parser_init(&c->parser) == -1) {
		buf_addf(err, "out of memory");
		return EX_SOFTWARE;
	}
	/*
	 * One connection per request, and one for the credentials: they
	 * stay open between calls, none closed for want of room.
	 */
	if (curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)nreq + 1) != CURLM_OK) {
		buf_addf(err, "curl multi setup failed");
		return EX_SOFTWARE;
	}
	return 0;
}

void
client_free(struct client *c)
{
	creds_fetch_free(&c->refresh, c->multi);
	buf_free(&c->refresh_err);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	sqs_parser_free(&c->parser);
	endpoint_free(&c->ep);
}

int
req_init(struct req *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body, 1 << 20);
	buf_init(&r->resp, SQS_RESPONSE_MAX);
	buf_init(&r->why, 512);
	return (r->easy = curl_easy_init()) == NULL ? -1 : 0;
}

void
req_free(struct req *r)
{
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	slist_wipe(r->hdrs);
	buf_free(&r->body);
	buf_free(&r->resp);
	buf_free(&r->why);
	r->easy = NULL;
	r->hdrs = NULL;
}

static int
add_header(struct curl_slist **l, const char *fmt, const char *a, const char *b)
{
	char line[16384 + 128];
	struct curl_slist *n = NULL;
	int ok;

	/* The line may hold a session token: wipe the copy made here. */
	int len = snprintf(line, sizeof line, fmt, a, b);

	ok = len >= 0 && (size_t)len < sizeof line &&
	    (n = curl_slist_append(*l, line)) != NULL;
	explicit_bzero(line, len >= 0 && (size_t)len < sizeof line ? (size_t)len : sizeof line);
	if (!ok)
		return -1;
	*l = n;
	return 0;
}

/* The signed headers of an SQS call. */
static int
sign(struct client *c, struct req *r, const char *target, struct curl_slist **hdrs)
{
	struct sigv4_header h[5];
	struct sigv4_req s;
	struct buf auth = BUF_INIT(1024);
	char date[17];
	size_t n = 0;
	int rc = -1;
	const char *tok = c->creds->token.len ? buf_cstr(&c->creds->token) : NULL;

	sigv4_amz_date(date, time(NULL));
	h[n++] = (struct sigv4_header){ "Content-Type", "application/x-amz-json-1.0" };
	h[n++] = (struct sigv4_header){ "Host", buf_cstr(&c->ep.host) };
	h[n++] = (struct sigv4_header){ "X-Amz-Date", date };
	h[n++] = (struct sigv4_header){ "X-Amz-Target", target };
	if (tok != NULL)
		h[n++] = (struct sigv4_header){ "X-Amz-Security-Token", tok };
	memset(&s, 0, sizeof s);
	s.method = "POST";
	s.path = buf_cstr(&c->ep.path);
	s.headers = h;
	s.nheaders = n;
	s.payload = buf_cstr(&r->body);
	s.payload_len = r->body.len;
	s.access_key = buf_cstr(&c->creds->akid);
	s.secret_key = buf_cstr(&c->creds->secret);
	s.region = c->region;
	s.service = "sqs";
	s.amz_date = date;
	if (sigv4_authorization(&auth, &s) == -1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (add_header(hdrs, "%s: %s", h[i].name, h[i].value) == -1)
			goto out;
	if (add_header(hdrs, "%s: %s", "Authorization", auth.data) == -1 ||
	    add_header(hdrs, "%s%s", "Expect:", "") == -1 ||
	    add_header(hdrs, "%s%s", "Accept:", "") == -1 ||
	    add_header(hdrs, "%s%s", "User-Agent: sqs-read/", VERSION) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&auth);
	return rc;
}

/*
 * What a refresh step ended with (code from creds_refresh_start() or
 * creds_refresh_done(), why its reason): a warning while the current
 * credentials still work; else the run must end, and every request
 * from now on says so.
 */
static void
refresh_outcome(struct client *c, int code, struct buf *why)
{
	if (code == 0 || code == 1) {
		if (why->len > 0)
			warnx("credentials from %s could not be refreshed yet: %s",
			    creds_source_name(c->creds->src), buf_cstr(why));
	} else {
		buf_reset(&c->refresh_err);
		buf_addf(&c->refresh_err, "credentials from %s %s and could not "
		    "be refreshed: %s", creds_source_name(c->creds->src),
		    c->creds->stale ? "were refused as expired" : "expired", buf_cstr(why));
		c->refresh_code = code;
	}
	buf_reset(why);
}

int
client_start(struct client *c, struct req *r, enum sqs_action act, struct buf *err)
{
	char target[64];
	CURL *e = r->easy;
	time_t now = time(NULL);

	if (c->refresh_code == 0 && creds_due(c->creds, now) && !c->refresh.busy) {
		struct buf why = BUF_INIT(1024);
		refresh_outcome(c, creds_refresh_start(c->creds, &c->refresh, c->multi,
		    now, &why), &why);
		buf_free(&why);
	}
	if (c->refresh_code != 0) {
		buf_adds(err, buf_cstr(&c->refresh_err));
		return c->refresh_code;
	}
	if (!creds_usable(c->creds, now)) {
		/*
		 * Signed with what has expired, or what the service refused,
		 * it would be refused: it waits for new credentials, which
		 * are on their way or sought again at refresh_at.
		 */
		double wait = CREDS_WAIT;
		if (!c->refresh.busy && c->creds->refresh_at > now &&
		    (double)(c->creds->refresh_at - now) > wait)
			wait = (double)(c->creds->refresh_at - now);
		if (r->busy)
			client_abort(c, r);
		r->act = act;
		r->waiting = 1;
		r->not_before = mono_now() + wait;
		return 0;
	}
	if (r->busy)
		client_abort(c, r);
	r->act = act;
	r->waiting = 0;
	r->reqid[0] = r->qerr[0] = r->cerr[0] = '\0';
	buf_reset(&r->resp);
	slist_wipe(r->hdrs);
	r->hdrs = NULL;
	snprintf(target, sizeof target, "AmazonSQS.%s", sqs_action_name(act));
	if (sign(c, r, target, &r->hdrs) == -1) {
		buf_addf(err, "%s: could not sign the request", sqs_action_name(act));
		return EX_SOFTWARE;
	}
	r->creds_gen = c->creds->gen;
	/* What never changes is set once; connections stay with the handle. */
	if (!r->ready) {
		if (curl_easy_setopt(e, CURLOPT_URL, buf_cstr(&c->ep.url)) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, transfer_into_buf) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->resp) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_HEADERDATA, r) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_PRIVATE, r) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->cerr) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
		    (c->ca_bundle != NULL &&
		    curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle) != CURLE_OK) ||
		    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, transfer_socket) != CURLE_OK) {
			buf_addf(err, "%s: curl setup failed", sqs_action_name(act));
			return EX_SOFTWARE;
		}
		r->ready = 1;
	}
	if (curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDS, buf_cstr(&r->body)) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)r->body.len) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms) != CURLE_OK ||
	    curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		buf_addf(err, "%s: curl setup failed", sqs_action_name(act));
		return EX_SOFTWARE;
	}
	r->busy = 1;
	r->sent_at = mono_now();
	c->active++;
	return 0;
}

void
client_abort(struct client *c, struct req *r)
{
	if (!r->busy)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	r->busy = 0;
	c->active--;
}

void
req_id_note(const struct req *r, struct buf *err)
{
	if (r->reqid[0] != '\0')
		buf_addf(err, " (request id %s)", r->reqid);
}

static int
tls_failure(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR ||
	    rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_SSL_INVALIDCERTSTATUS;
}

struct req *
client_done(struct client *c, enum client_result *res, int *code, struct buf *err)
{
	struct sqs_error e;
	struct req *r = NULL;
	CURLMsg *m;
	CURLcode rc;
	long status = 0;
	int left;
	const char *act;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (c->refresh.busy && m->easy_handle == c->refresh.easy) {
			struct buf why = BUF_INIT(1024);
			rc = m->data.result;
			refresh_outcome(c, creds_refresh_done(c->creds, &c->refresh,
			    c->multi, rc, time(NULL), &why), &why);
			buf_free(&why);
			continue;
		}
		break;
	}
	if (m == NULL)
		return NULL;
	rc = m->data.result;
	curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
	client_abort(c, r);
	act = sqs_action_name(r->act);
	buf_reset(&r->why);
	if (rc != CURLE_OK) {
		if (tls_failure(rc)) {
			*res = CL_FATAL;
			*code = EX_CONFIG;
			buf_addf(err, "%s: TLS certificate verification failed: %s",
			    buf_cstr(&c->ep.url), r->cerr[0] ? r->cerr : curl_easy_strerror(rc));
			return r;
		}
		*res = CL_RETRY;
		if (rc == CURLE_WRITE_ERROR) {
			buf_addf(&r->why, "response larger than %d MiB", SQS_RESPONSE_MAX >> 20);
			/* Said at once: a receive's messages are gone until they time out. */
			warnx("%s: response larger than %d MiB: not read, retried%s", act,
			    SQS_RESPONSE_MAX >> 20, r->act == SQS_RECEIVE ? " (its messages "
			    "come back after their visibility timeout)" : "");
		} else
			buf_addf(&r->why, "%s: %s", buf_cstr(&c->ep.url),
			    r->cerr[0] ? r->cerr : curl_easy_strerror(rc));
		return r;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		/* Credentials fetched after a refusal work: the next refusal is news. */
		if (r->creds_gen == c->creds->gen)
			c->creds->renewed = 0;
		*res = CL_OK;
		return r;
	}
	sqs_parse_error(&c->parser, buf_cstr(&r->resp), r->resp.len,
	    r->qerr[0] ? r->qerr : NULL, &e);
	*res = CL_FATAL;
	switch (sqs_classify(status, e.code)) {
	case SQS_RETRY:
		*res = CL_RETRY;
		buf_addf(&r->why, "HTTP %ld%s%s", status, e.code[0] ? " " : "", e.code);
		req_id_note(r, &r->why);
		return r;
	case SQS_EXPIRED:
		/*
		 * Temporary credentials are fetched anew and r tried again
		 * with them: once when they are the ones r was signed with,
		 * once more if others have come since.  Credentials fetched
		 * because the last were refused, and refused before any
		 * request with them succeeded, will not do better.
		 */
		if ((c->creds->src == CREDS_CONTAINER || c->creds->src == CREDS_IMDS) &&
		    (r->creds_gen != c->creds->gen || !c->creds->renewed)) {
			if (r->creds_gen == c->creds->gen)
				creds_expire(c->creds, time(NULL));
			*res = CL_RETRY;
			buf_addf(&r->why, "credentials expired (%s)", e.code);
			return r;
		}
		*code = EX_CONFIG;
		buf_addf(err, "%s: the credentials from %s have expired (%s)%s", act,
		    creds_source_name(c->creds->src), e.code, c->creds->renewed ?
		    ", though fetched anew after the last were refused" : "");
		break;
	case SQS_NO_QUEUE:
		*code = EX_NOINPUT;
		buf_addf(err, "%s: the queue does not exist (%s)", act, e.code);
		break;
	case SQS_BAD_CREDS:
		*code = EX_CONFIG;
		/* The service's text is left out: it can quote the signed headers. */
		buf_addf(err, "%s: the credentials from %s were refused (%s)", act,
		    creds_source_name(c->creds->src), e.code);
		break;
	case SQS_DENIED:
		*code = EX_NOPERM;
		buf_addf(err, "%s: access denied (%s%s%s)", act, e.code[0] ? e.code :
		    "HTTP 403", e.message[0] ? ": " : "", e.message);
		break;
	case SQS_REFUSED:
		*code = EX_UNAVAILABLE;
		buf_addf(err, "%s: refused with HTTP %ld (%s%s%s)", act, status,
		    e.code[0] ? e.code : "no error code", e.message[0] ? ": " : "",
		    e.message);
		break;
	}
	req_id_note(r, err);
	return r;
}

double
backoff_delay(int attempt)
{
	double cap = BACKOFF_BASE;
	int i;

	for (i = 1; i < attempt && cap < BACKOFF_CAP; i++)
		cap *= 2;
	if (cap > BACKOFF_CAP)
		cap = BACKOFF_CAP;
	return cap * (double)arc4random_uniform(1000001) / 1e6;
}

int
client_retry(struct client *c, struct req *r, double now, struct buf *err)
{
	(void)c;
	r->attempt++;
	if (r->attempt > c->retries) {
		buf_addf(err, "%s failed %d time%s: %s", sqs_action_name(r->act),
		    r->attempt, r->attempt == 1 ? "" : "s", buf_cstr(&r->why));
		return -1;
	}
	r->waiting = 1;
	r->not_before = now + backoff_delay(r->attempt);
	return 0;
}
