#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "endpoint.h"

int
is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

void
endpoint_free(struct endpoint *e)
{
	buf_free(&e->url);
	buf_free(&e->host);
	buf_free(&e->path);
}

int
endpoint_parse(struct endpoint *e, const char *url, const char **why)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	    *query = NULL, *user = NULL, *frag = NULL;
	int rc = -1;

	*why = "not a URL";
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	*why = "not an http or https URL";
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto out;
	*why = "a URL with a user, query or fragment";
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK)
		goto out;
	(void)curl_url_get(u, CURLUPART_PORT, &port, 0);
	if (curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK)
		goto out;
	*why = "too long";
	buf_reset(&e->url);
	buf_reset(&e->host);
	buf_reset(&e->path);
	e->https = strcmp(scheme, "https") == 0;
	if (buf_adds(&e->host, host) == -1 ||
	    (port != NULL && buf_addf(&e->host, ":%s", port) == -1) ||
	    buf_adds(&e->path, path[0] == '/' ? path : "/") == -1 ||
	    buf_addf(&e->url, "%s://%s", scheme, buf_cstr(&e->host)) == -1)
		goto out;
	{
		/* The path as sent: curl's own encoding of it. */
		char *rawpath = NULL;
		if (curl_url_get(u, CURLUPART_PATH, &rawpath, 0) != CURLUE_OK)
			goto out;
		if (buf_adds(&e->url, rawpath) == -1) {
			curl_free(rawpath);
			goto out;
		}
		curl_free(rawpath);
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

int
url_origin(struct buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *e;

	if (!is_url(url) || p == NULL)
		return -1;
	p += 3;
	e = p + strcspn(p, "/?#");
	if (e == p)
		return -1;
	buf_reset(out);
	return buf_add(out, url, (size_t)(e - url));
}

int
region_valid(const char *r)
{
	size_t n = strlen(r), i;

	if (n == 0 || n > 32)
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)r[i]) && !isdigit((unsigned char)r[i]) &&
		    r[i] != '-')
			return 0;
	return 1;
}

/* Whether host ends with suffix as whole labels. */
static const char *
strip_suffix(const char *host, size_t *n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (*n <= k || strncasecmp(host + *n - k, suffix, k) != 0 ||
	    host[*n - k - 1] != '.')
		return NULL;
	*n -= k + 1;
	return host;
}

int
region_from_host(struct buf *out, const char *host)
{
	size_t n = strcspn(host, ":"), a, b;
	const char *dot;

	if (strip_suffix(host, &n, "amazonaws.com.cn") == NULL &&
	    strip_suffix(host, &n, "amazonaws.com") == NULL)
		return -1;
	/* What is left: sqs.REGION, sqs-fips.REGION or REGION.queue. */
	if ((dot = memchr(host, '.', n)) == NULL)
		return -1;
	if ((size_t)(dot - host) == 3 && strncasecmp(host, "sqs", 3) == 0) {
		a = 4;
		b = n;
	} else if ((size_t)(dot - host) == 8 && strncasecmp(host, "sqs-fips", 8) == 0) {
		a = 9;
		b = n;
	} else if (n - (size_t)(dot - host) == 6 &&
	    strncasecmp(dot + 1, "queue", 5) == 0) {
		a = 0;
		b = (size_t)(dot - host);
	} else {
		return -1;
	}
	if (a >= b || memchr(host + a, '.', b - a) != NULL)
		return -1;
	buf_reset(out);
	if (buf_add(out, host + a, b - a) == -1)
		return -1;
	for (a = 0; a < out->len; a++)
		out->data[a] = (char)tolower((unsigned char)out->data[a]);
	return region_valid(out->data) ? 0 : -1;
}

int
endpoint_default(struct buf *out, const char *region)
{
	buf_reset(out);
	return buf_addf(out, "https://sqs.%s.amazonaws.com%s", region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof h) {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}
