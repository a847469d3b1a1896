#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4.h"

/* More than any request of ours signs; bounds the sort below. */
#define MAX_HEADERS 32
#define MAX_PARAMS 64

static const char hexdig[] = "0123456789abcdef";

static void
hex(char *out, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * SHA-256 fetched once: OpenSSL 3 looks an algorithm up anew on every
 * one-shot call, which costs more than hashing a request.
 */
static const EVP_MD *
sha256_md(void)
{
	static EVP_MD *md;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

static void
sha256(unsigned char out[32], const void *p, size_t n)
{
	unsigned int len = 32;

	if (sha256_md() == NULL || !EVP_Digest(p, n, out, &len, sha256_md(), NULL))
		SHA256(p, n, out);
}

void
sha256_hex(char out[65], const void *p, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	sha256(md, p, n);
	hex(out, md, sizeof md);
}

void
sigv4_amz_date(char out[17], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static int
unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* RFC 3986 encoding of s[0..n), keeping '/' when keep_slash. */
static int
uri_encode(struct buf *out, const char *s, size_t n, int keep_slash)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (unreserved(p[i]) || (keep_slash && p[i] == '/')) {
			if (buf_addc(out, (char)p[i]) == -1)
				return -1;
		} else if (buf_addf(out, "%%%c%c", "0123456789ABCDEF"[p[i] >> 4],
		    "0123456789ABCDEF"[p[i] & 15]) == -1) {
			return -1;
		}
	}
	return 0;
}

struct param {
	struct buf k, v;
};

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(buf_cstr(&x->k), buf_cstr(&y->k));

	return c != 0 ? c : strcmp(buf_cstr(&x->v), buf_cstr(&y->v));
}

/* The query's pairs encoded, sorted by name then value, joined by '&'. */
static int
canonical_query(struct buf *out, const char *q)
{
	struct param ps[MAX_PARAMS];
	const char *p, *amp, *eq;
	size_t n = 0, i;
	int rc = -1;

	for (p = q; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (len == 0)
			continue;
		if (n == MAX_PARAMS)
			goto out;
		buf_init(&ps[n].k, 4096);
		buf_init(&ps[n].v, 4096);
		n++;
		eq = memchr(p, '=', len);
		if (uri_encode(&ps[n - 1].k, p, eq != NULL ? (size_t)(eq - p) : len, 0) == -1 ||
		    (eq != NULL && uri_encode(&ps[n - 1].v, eq + 1,
		    len - (size_t)(eq + 1 - p), 0) == -1))
			goto out;
	}
	qsort(ps, n, sizeof *ps, param_cmp);
	for (i = 0; i < n; i++)
		if (buf_addf(out, "%s%s=%s", i ? "&" : "", buf_cstr(&ps[i].k),
		    buf_cstr(&ps[i].v)) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		buf_free(&ps[i].k);
		buf_free(&ps[i].v);
	}
	return rc;
}

struct hdr {
	char name[64];
	const char *value;
};

static int
hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

/* A value trimmed, its inner runs of spaces and tabs folded to one. */
static int
canonical_value(struct buf *out, const char *v)
{
	int space = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == '\r' || *v == '\n')
			return -1;
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space && buf_addc(out, ' ') == -1)
			return -1;
		space = 0;
		if (buf_addc(out, *v) == -1)
			return -1;
	}
	return 0;
}

/*
 * Appends the canonical headers block and leaves the signed-headers list
 * in signed_hdrs.  Headers of the same name are joined with commas, in
 * the order given.
 */
static int
canonical_headers(struct buf *out, struct buf *signed_hdrs,
    const struct sigv4_req *r)
{
	struct hdr hs[MAX_HEADERS];
	size_t i, k;

	if (r->nheaders > MAX_HEADERS)
		return -1;
	for (i = 0; i < r->nheaders; i++) {
		size_t n = strlen(r->headers[i].name);
		if (n == 0 || n >= sizeof hs[i].name)
			return -1;
		for (k = 0; k <= n; k++)
			hs[i].name[k] = (char)tolower((unsigned char)r->headers[i].name[k]);
		hs[i].value = r->headers[i].value;
	}
	/* A stable order for equal names keeps their values as given. */
	for (i = 1; i < r->nheaders; i++)
		for (k = i; k > 0 && hdr_cmp(&hs[k - 1], &hs[k]) > 0; k--) {
			struct hdr t = hs[k];
			hs[k] = hs[k - 1];
			hs[k - 1] = t;
		}
	for (i = 0; i < r->nheaders; i++) {
		if (i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0) {
			/* Continues the previous line. */
			if (buf_addc(out, ',') == -1 ||
			    canonical_value(out, hs[i].value) == -1)
				return -1;
			continue;
		}
		if ((i > 0 && buf_addc(out, '\n') == -1) ||
		    buf_addf(out, "%s:", hs[i].name) == -1 ||
		    canonical_value(out, hs[i].value) == -1 ||
		    buf_addf(signed_hdrs, "%s%s", signed_hdrs->len ? ";" : "",
		    hs[i].name) == -1)
			return -1;
	}
	return buf_addc(out, '\n');
}

static int
canonical(struct buf *out, struct buf *signed_hdrs, const struct sigv4_req *r)
{
	char phash[65];

	if (buf_addf(out, "%s\n", r->method) == -1 ||
	    uri_encode(out, r->path, strlen(r->path), 1) == -1 ||
	    buf_addc(out, '\n') == -1 ||
	    canonical_query(out, r->query) == -1 ||
	    buf_addc(out, '\n') == -1 ||
	    canonical_headers(out, signed_hdrs, r) == -1)
		return -1;
	sha256_hex(phash, r->payload != NULL ? r->payload : "", r->payload_len);
	return buf_addf(out, "\n%s\n%s", buf_cstr(signed_hdrs), phash);
}

int
sigv4_canonical_request(struct buf *out, const struct sigv4_req *r)
{
	struct buf sh = BUF_INIT(4096);
	int rc = canonical(out, &sh, r);

	buf_free(&sh);
	return rc;
}

/* HMAC-SHA256 (RFC 2104) on the digest fetched once. */
static void
hmac(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
	unsigned char k[64], pad[64], inner[32];
	EVP_MD_CTX *c;
	size_t i;

	memset(k, 0, sizeof k);
	if (klen > sizeof k)
		sha256(k, key, klen);
	else
		memcpy(k, key, klen);
	if ((c = EVP_MD_CTX_new()) == NULL || sha256_md() == NULL) {
		unsigned int len = 32;
		HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
		    strlen(msg), out, &len);
		EVP_MD_CTX_free(c);
		OPENSSL_cleanse(k, sizeof k);
		return;
	}
	for (i = 0; i < sizeof k; i++)
		pad[i] = k[i] ^ 0x36;
	EVP_DigestInit_ex(c, sha256_md(), NULL);
	EVP_DigestUpdate(c, pad, sizeof pad);
	EVP_DigestUpdate(c, msg, strlen(msg));
	EVP_DigestFinal_ex(c, inner, NULL);
	for (i = 0; i < sizeof k; i++)
		pad[i] = k[i] ^ 0x5c;
	EVP_DigestInit_ex(c, sha256_md(), NULL);
	EVP_DigestUpdate(c, pad, sizeof pad);
	EVP_DigestUpdate(c, inner, sizeof inner);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
}

/*
 * The signing key for a day, region and service, derived with four
 * HMACs; the last one is kept, keyed by a hash of the secret, since
 * every request of a day uses the same.
 */
static void
signing_key(unsigned char k[32], const char *secret, const char *day,
    const char *region, const char *service)
{
	static unsigned char key[32], id[32];
	static char kday[9], kregion[64], kservice[32];
	struct buf k0 = BUF_INIT(4096);
	unsigned char sid[32];

	sha256(sid, secret, strlen(secret));
	if (memcmp(sid, id, sizeof id) == 0 && strcmp(day, kday) == 0 &&
	    strcmp(region, kregion) == 0 && strcmp(service, kservice) == 0) {
		memcpy(k, key, 32);
		return;
	}
	buf_addf(&k0, "AWS4%s", secret);
	hmac(k, buf_cstr(&k0), k0.len, day);
	hmac(k, k, 32, region);
	hmac(k, k, 32, service);
	hmac(k, k, 32, "aws4_request");
	if (k0.data != NULL)
		OPENSSL_cleanse(k0.data, k0.len);
	buf_free(&k0);
	if (strlen(region) < sizeof kregion && strlen(service) < sizeof kservice) {
		memcpy(key, k, 32);
		memcpy(id, sid, 32);
		snprintf(kday, sizeof kday, "%s", day);
		snprintf(kregion, sizeof kregion, "%s", region);
		snprintf(kservice, sizeof kservice, "%s", service);
	}
}

int
sigv4_authorization(struct buf *out, const struct sigv4_req *r)
{
	struct buf creq = BUF_INIT(1 << 16), sh = BUF_INIT(4096),
	    sts = BUF_INIT(4096);
	unsigned char k[32], sig[32];
	char day[9], chash[65], sighex[65];
	int rc = -1;

	if (strlen(r->amz_date) != 16)
		return -1;
	memcpy(day, r->amz_date, 8);
	day[8] = '\0';
	if (canonical(&creq, &sh, r) == -1)
		goto out;
	sha256_hex(chash, creq.data, creq.len);
	if (buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	    r->amz_date, day, r->region, r->service, chash) == -1)
		goto out;
	signing_key(k, r->secret_key, day, r->region, r->service);
	hmac(sig, k, sizeof k, buf_cstr(&sts));
	hex(sighex, sig, sizeof sig);
	rc = buf_addf(out, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", r->access_key, day, r->region,
	    r->service, buf_cstr(&sh), sighex);
out:
	OPENSSL_cleanse(k, sizeof k);
	buf_free(&creq);
	buf_free(&sh);
	buf_free(&sts);
	return rc;
}
