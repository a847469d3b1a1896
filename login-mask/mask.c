#include <string.h>

#include <openssl/crypto.h>

#include "hmac.h"
#include "mask.h"
#include "siv.h"

_Static_assert(MASK_VALUE_MAX == 164, "a reversible device_id mask fits 256");

static const char *const field_tag[NFIELD] = { "ip", "dev" };
static const char *const mode_tag[2] = { "h1", "s1" };

/* HKDF labels: the field and the mode, versioned with the format. */
static const char *const labels[2][NFIELD] = {
	{ "login-mask 1 hmac-sha256 ip", "login-mask 1 hmac-sha256 device_id" },
	{ "login-mask 1 aes-128-siv ip", "login-mask 1 aes-128-siv device_id" },
};

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
masker_init(struct masker *m, const struct key *k, int reversible)
{
	unsigned char sub[32];
	int f, r, rv = 0;
	size_t n;

	memset(m, 0, sizeof *m);
	m->reversible = reversible;
	memcpy(m->id, k->id, sizeof m->id);
	for (f = 0; f < NFIELD; f++) {
		if (key_derive(k, labels[0][f], sub, sizeof sub) == -1 ||
		    (m->hmac[f] = hmac_sha256_new(sub, sizeof sub)) == NULL ||
		    key_derive(k, labels[1][f], sub, sizeof sub) == -1 ||
		    (m->siv[f] = siv_new(sub, sizeof sub)) == NULL)
			rv = -1;
		for (r = 0; r < 2; r++) {
			n = 0;
			memcpy(m->prefix[r][f], mode_tag[r], 2);
			n += 2;
			m->prefix[r][f][n++] = '.';
			memcpy(m->prefix[r][f] + n, field_tag[f], strlen(field_tag[f]));
			n += strlen(field_tag[f]);
			m->prefix[r][f][n++] = '.';
			memcpy(m->prefix[r][f] + n, m->id, KEY_ID_LEN);
			n += KEY_ID_LEN;
			m->prefix[r][f][n++] = '.';
			m->prefix[r][f][n] = '\0';
			m->prefixlen[r][f] = n;
		}
	}
	OPENSSL_cleanse(sub, sizeof sub);
	if (rv == -1)
		masker_free(m);
	return rv;
}

void
masker_free(struct masker *m)
{
	int f;

	for (f = 0; f < NFIELD; f++) {
		hmac_sha256_free(m->hmac[f]);
		siv_free(m->siv[f]);
		m->hmac[f] = NULL;
		m->siv[f] = NULL;
	}
}

size_t
b64url_encode(const unsigned char *p, size_t n, char *out)
{
	char *o = out;
	unsigned v;

	for (; n >= 3; p += 3, n -= 3) {
		v = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		*o++ = b64[v >> 6 & 63];
		*o++ = b64[v & 63];
	}
	if (n > 0) {
		v = (unsigned)p[0] << 16 | (n > 1 ? (unsigned)p[1] << 8 : 0);
		*o++ = b64[v >> 18];
		*o++ = b64[v >> 12 & 63];
		if (n > 1)
			*o++ = b64[v >> 6 & 63];
	}
	return (size_t)(o - out);
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	unsigned long v = 0;
	size_t i, bits = 0, o = 0;
	int d;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = b64val((unsigned char)s[i])) < 0)
			return -1;
		v = (v << 6 | (unsigned)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	if ((v & ((1UL << bits) - 1)) != 0)
		return -1;	/* leftover bits must be zero */
	*outlen = o;
	return 0;
}

size_t
mask_value(const struct masker *m, int field, const char *v, size_t n,
    char *out)
{
	unsigned char raw[SIV_TAG_LEN + MASK_VALUE_MAX];
	size_t p = m->prefixlen[m->reversible][field];

	memcpy(out, m->prefix[m->reversible][field], p);
	if (!m->reversible) {
		hmac_sha256(m->hmac[field], v, n, raw);
		return p + b64url_encode(raw, HMAC_SHA256_LEN, out + p);
	}
	if (n == 0 || n > MASK_VALUE_MAX ||
	    siv_encrypt(m->siv[field], NULL, 0, v, n, raw) == -1)
		return 0;
	return p + b64url_encode(raw, SIV_TAG_LEN + n, out + p);
}

const char *
unmask_strerror(int err)
{
	switch (err) {
	case UNMASK_OK:		return "no error";
	case UNMASK_FORMAT:	return "not a login-mask mask";
	case UNMASK_FIELD:	return "a mask of the other field";
	case UNMASK_ONEWAY:	return "an HMAC mask is one-way and cannot be "
				    "unmasked (only --reversible masks can)";
	case UNMASK_NOKEY:	return "made under a key that no -k file holds";
	case UNMASK_AUTH:	return "does not authenticate under its key "
				    "(altered or corrupt)";
	}
	return "unknown error";
}

/* Splits s at its dots: four non-empty fields, else -1. */
static int
split(const char *s, size_t n, const char *part[4], size_t len[4])
{
	size_t i, k = 0, start = 0;

	for (i = 0; i <= n && k < 4; i++) {
		if (i == n || (s[i] == '.' && k < 3)) {
			part[k] = s + start;
			len[k] = i - start;
			if (len[k] == 0)
				return -1;
			k++;
			start = i + 1;
		}
	}
	return k == 4 && start == n + 1 ? 0 : -1;
}

int
unmask_value(const struct masker *ring, size_t nring, int field,
    const char *s, size_t n, int *fieldp, unsigned char *out, size_t *outlen,
    char *keyid)
{
	unsigned char raw[MASK_MAX];
	const char *part[4];
	size_t len[4], rawlen, i;
	int mode, f;

	keyid[0] = '\0';
	if (n > MASK_MAX || split(s, n, part, len) == -1)
		return UNMASK_FORMAT;
	for (mode = 0; mode < 2; mode++)
		if (len[0] == 2 && memcmp(part[0], mode_tag[mode], 2) == 0)
			break;
	for (f = 0; f < NFIELD; f++)
		if (len[1] == strlen(field_tag[f]) &&
		    memcmp(part[1], field_tag[f], len[1]) == 0)
			break;
	if (mode == 2 || f == NFIELD || len[2] != KEY_ID_LEN)
		return UNMASK_FORMAT;
	for (i = 0; i < KEY_ID_LEN; i++)
		if (!((part[2][i] >= '0' && part[2][i] <= '9') ||
		    (part[2][i] >= 'a' && part[2][i] <= 'f')))
			return UNMASK_FORMAT;
	if (b64url_decode(part[3], len[3], raw, &rawlen) == -1)
		return UNMASK_FORMAT;
	memcpy(keyid, part[2], KEY_ID_LEN);
	keyid[KEY_ID_LEN] = '\0';
	if (fieldp != NULL)
		*fieldp = f;
	if (field >= 0 && f != field)
		return UNMASK_FIELD;
	if (mode == 0)
		return rawlen == HMAC_SHA256_LEN ? UNMASK_ONEWAY : UNMASK_FORMAT;
	if (rawlen <= SIV_TAG_LEN)
		return UNMASK_FORMAT;
	for (i = 0; i < nring; i++)
		if (memcmp(ring[i].id, keyid, KEY_ID_LEN) == 0)
			break;
	if (i == nring)
		return UNMASK_NOKEY;
	if (siv_decrypt(ring[i].siv[f], NULL, 0, raw, rawlen, out) == -1)
		return UNMASK_AUTH;
	*outlen = rawlen - SIV_TAG_LEN;
	return UNMASK_OK;
}
