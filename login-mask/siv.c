#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "siv.h"

#define B 16	/* AES's block */

/*
 * Encryption is RFC 5297's S2V and CTR done here on two AES contexts in
 * ECB mode, each keyed once.  OpenSSL 3.0's SIV cannot start a finished
 * context again without keying it again, and copying a keyed one costs
 * more than the cipher itself: decryption, off the hot path, still does
 * that.  The unit tests hold the one to the other, value for value.
 */
struct siv {
	EVP_CIPHER_CTX *mac;	/* AES under the first half of the key: S2V */
	EVP_CIPHER_CTX *ctr;	/* AES under the second half: CTR */
	unsigned char sub1[B];	/* CMAC's subkeys (RFC 4493) */
	unsigned char sub2[B];
	unsigned char d0[B];	/* S2V's start: CMAC of the zero block */
	EVP_CIPHER_CTX *dec;	/* OpenSSL's SIV, keyed once, never used up */
	EVP_CIPHER_CTX *work;	/* a copy of it, per value */
};

/* One block through an ECB context. */
static int
aes(EVP_CIPHER_CTX *c, const unsigned char in[B], unsigned char out[B])
{
	int l;

	return EVP_EncryptUpdate(c, out, &l, in, B) == 1 && l == B ? 0 : -1;
}

/* RFC 5297's dbl(): multiplication by x in GF(2^128). */
static void
dbl(unsigned char b[B])
{
	unsigned char carry = b[0] >> 7;
	int i;

	for (i = 0; i < B - 1; i++)
		b[i] = (unsigned char)(b[i] << 1 | b[i + 1] >> 7);
	b[B - 1] = (unsigned char)(b[B - 1] << 1 ^ (carry ? 0x87 : 0));
}

static void
xor(unsigned char *d, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		d[i] ^= s[i];
}

/*
 * CMAC (RFC 4493) of m[0..n) under s->mac into out; with tail, of m with
 * tail[0..B) xored into its last B bytes (S2V's xorend; n >= B then).
 */
static int
cmac(struct siv *s, const unsigned char *m, size_t n,
    const unsigned char *tail, unsigned char out[B])
{
	unsigned char x[B] = { 0 }, blk[B];
	size_t off, k, j;

	for (off = 0;; off += B) {
		k = n - off < B ? n - off : B;
		memset(blk, 0, B);
		memcpy(blk, m + off, k);
		for (j = 0; tail != NULL && j < k; j++)
			if (off + j >= n - B)
				blk[j] ^= tail[off + j - (n - B)];
		if (off + k == n)
			break;
		xor(x, blk, B);
		if (aes(s->mac, x, x) == -1)
			return -1;
	}
	if (k == B) {
		xor(blk, s->sub1, B);
	} else {
		blk[k] = 0x80;
		xor(blk, s->sub2, B);
	}
	xor(x, blk, B);
	return aes(s->mac, x, out);
}

struct siv *
siv_new(const unsigned char *key, size_t keylen)
{
	static const unsigned char zero[B];
	EVP_CIPHER *c, *ecb;
	struct siv *s;
	int ok;

	if (keylen != 32 && keylen != 64)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	c = EVP_CIPHER_fetch(NULL, keylen == 32 ? "AES-128-SIV" : "AES-256-SIV",
	    NULL);
	ecb = EVP_CIPHER_fetch(NULL, keylen == 32 ? "AES-128-ECB" :
	    "AES-256-ECB", NULL);
	s->mac = EVP_CIPHER_CTX_new();
	s->ctr = EVP_CIPHER_CTX_new();
	s->dec = EVP_CIPHER_CTX_new();
	s->work = EVP_CIPHER_CTX_new();
	ok = c != NULL && ecb != NULL && s->mac != NULL && s->ctr != NULL &&
	    s->dec != NULL && s->work != NULL &&
	    EVP_EncryptInit_ex2(s->mac, ecb, key, NULL, NULL) == 1 &&
	    EVP_EncryptInit_ex2(s->ctr, ecb, key + keylen / 2, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(s->mac, 0) == 1 &&
	    EVP_CIPHER_CTX_set_padding(s->ctr, 0) == 1 &&
	    EVP_DecryptInit_ex2(s->dec, c, key, NULL, NULL) == 1 &&
	    aes(s->mac, zero, s->sub1) == 0;
	EVP_CIPHER_free(c);
	EVP_CIPHER_free(ecb);
	if (ok) {
		dbl(s->sub1);
		memcpy(s->sub2, s->sub1, B);
		dbl(s->sub2);
		ok = cmac(s, zero, B, NULL, s->d0) == 0;
	}
	if (!ok) {
		siv_free(s);
		return NULL;
	}
	return s;
}

void
siv_free(struct siv *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->mac);
	EVP_CIPHER_CTX_free(s->ctr);
	EVP_CIPHER_CTX_free(s->dec);
	EVP_CIPHER_CTX_free(s->work);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

int
siv_encrypt(struct siv *s, const void *ad, size_t adlen, const void *pt,
    size_t n, unsigned char *out)
{
	const unsigned char *p = pt;
	unsigned char d[B], t[B], q[B], ks[B];
	size_t i, k;

	if (n == 0 || n > INT_MAX || adlen > INT_MAX)
		return -1;
	/* S2V, into out: the synthetic IV. */
	memcpy(d, s->d0, B);
	if (ad != NULL) {
		dbl(d);
		if (cmac(s, ad, adlen, NULL, t) == -1)
			return -1;
		xor(d, t, B);
	}
	if (n >= B) {
		if (cmac(s, p, n, d, out) == -1)
			return -1;
	} else {
		dbl(d);
		memset(t, 0, B);
		memcpy(t, p, n);
		t[n] = 0x80;
		xor(d, t, B);
		if (cmac(s, d, B, NULL, out) == -1)
			return -1;
	}
	/* CTR, from the IV with two bits cleared. */
	memcpy(q, out, B);
	q[8] &= 0x7f;
	q[12] &= 0x7f;
	for (i = 0; i < n; i += B) {
		if (aes(s->ctr, q, ks) == -1)
			return -1;
		k = n - i < B ? n - i : B;
		memcpy(out + B + i, p + i, k);
		xor(out + B + i, ks, k);
		for (k = B; k-- > 0 && ++q[k] == 0;)
			;
	}
	return 0;
}

int
siv_decrypt(struct siv *s, const void *ad, size_t adlen,
    const unsigned char *in, size_t n, unsigned char *out)
{
	int l, l2;

	if (n <= SIV_TAG_LEN || n > INT_MAX || adlen > INT_MAX)
		return -1;
	if (EVP_CIPHER_CTX_copy(s->work, s->dec) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->work, EVP_CTRL_AEAD_SET_TAG, SIV_TAG_LEN,
	    (void *)in) != 1)
		return -1;
	if (ad != NULL && EVP_DecryptUpdate(s->work, NULL, &l, ad, (int)adlen) != 1)
		return -1;
	if (EVP_DecryptUpdate(s->work, out, &l, in + SIV_TAG_LEN,
	    (int)(n - SIV_TAG_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(s->work, out + l, &l2) != 1)
		return -1;
	return 0;
}
