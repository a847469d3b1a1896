/*
 * crypto-limit: what this machine's OpenSSL can do on one core, the limit
 * login-mask's throughput is stated against.
 *
 *	crypto-limit [-s seconds]
 *
 * Measures HMAC-SHA256 of short values (the length of an ip or a
 * device id) with the key set up once, by each of OpenSSL's ways of
 * reusing a keyed context, and keeps the fastest; the same for AES-SIV
 * (RFC 5297, AES-128-SIV) encryptions of the same values by OpenSSL's
 * SIV.  Beside them, the same encryptions by login-mask's own S2V and
 * CTR over OpenSSL's AES, which login-mask uses because it is faster:
 * what is left of login-mask's time is its own, not the cipher's.  Prints
 *	hmac_per_second=N hmac_method=M siv_per_second=N siv_method=M
 *	siv_own_per_second=N
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "report.h"
#include "siv.h"

static const char *const values[] = {
	"199.172.111.135", "593-47-5928", "2001:db8::1", "10.0.0.1",
	"111-22-3333", "240.255.0.7", "007-00-0000", "224.0.0.251",
};
#define NVALUES (sizeof values / sizeof *values)

static double seconds = 2.0;

/* EVP_MAC: the key set once, EVP_MAC_init with a NULL key per value. */
static double
hmac_evp_mac(const unsigned char *key)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	unsigned char out[32];
	unsigned long n = 0, k;
	size_t outl;
	double t0, t;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (mac == NULL || (ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    !EVP_MAC_init(ctx, key, 32, params))
		errx(EX_SOFTWARE, "EVP_MAC setup failed");
	t0 = mono_now();
	do {
		for (k = 0; k < 10000; k++, n++) {
			const char *v = values[n % NVALUES];

			if (!EVP_MAC_init(ctx, NULL, 0, NULL) ||
			    !EVP_MAC_update(ctx, (const unsigned char *)v, strlen(v)) ||
			    !EVP_MAC_final(ctx, out, &outl, sizeof out))
				errx(EX_SOFTWARE, "HMAC failed");
		}
	} while ((t = mono_now() - t0) < seconds);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return (double)n / t;
}

/*
 * HMAC by hand over EVP digests: the inner and outer padded keys hashed
 * once, their digest states copied per value (RFC 2104).
 */
static double
hmac_md_copy(const unsigned char *key)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MD_CTX *in = EVP_MD_CTX_new(), *outer = EVP_MD_CTX_new(),
	    *w = EVP_MD_CTX_new();
	unsigned char pad[64], out[32];
	unsigned long n = 0, k;
	unsigned int l;
	double t0, t;
	int i;

	if (md == NULL || in == NULL || outer == NULL || w == NULL)
		errx(EX_SOFTWARE, "EVP_MD setup failed");
	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
	EVP_DigestInit_ex(in, md, NULL);
	EVP_DigestUpdate(in, pad, 64);
	for (i = 0; i < 64; i++)
		pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
	EVP_DigestInit_ex(outer, md, NULL);
	EVP_DigestUpdate(outer, pad, 64);
	t0 = mono_now();
	do {
		for (k = 0; k < 10000; k++, n++) {
			const char *v = values[n % NVALUES];

			if (!EVP_MD_CTX_copy_ex(w, in) ||
			    !EVP_DigestUpdate(w, v, strlen(v)) ||
			    !EVP_DigestFinal_ex(w, out, &l) ||
			    !EVP_MD_CTX_copy_ex(w, outer) ||
			    !EVP_DigestUpdate(w, out, 32) ||
			    !EVP_DigestFinal_ex(w, out, &l))
				errx(EX_SOFTWARE, "HMAC failed");
		}
	} while ((t = mono_now() - t0) < seconds);
	EVP_MD_CTX_free(in);
	EVP_MD_CTX_free(outer);
	EVP_MD_CTX_free(w);
	EVP_MD_free(md);
	return (double)n / t;
}

/*
 * AES-SIV encryptions.  OpenSSL 3.0 cannot restart a finished SIV
 * context with a NULL key, so the two ways that work are measured: a
 * copy of a keyed context per value, or keying the context per value.
 */
static double
siv(const unsigned char *key, int copy)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
	EVP_CIPHER_CTX *base = EVP_CIPHER_CTX_new(), *w = EVP_CIPHER_CTX_new();
	unsigned char out[64], tag[16];
	unsigned long n = 0, k;
	double t0, t;
	int l, l2;

	if (c == NULL || base == NULL || w == NULL ||
	    !EVP_EncryptInit_ex2(base, c, key, NULL, NULL))
		errx(EX_SOFTWARE, "AES-SIV setup failed");
	t0 = mono_now();
	do {
		for (k = 0; k < 10000; k++, n++) {
			const char *v = values[n % NVALUES];

			if (!(copy ? EVP_CIPHER_CTX_copy(w, base) :
			    EVP_EncryptInit_ex2(w, c, key, NULL, NULL)) ||
			    !EVP_EncryptUpdate(w, out, &l, (const unsigned char *)v,
			    (int)strlen(v)) ||
			    !EVP_EncryptFinal_ex(w, out + l, &l2) ||
			    !EVP_CIPHER_CTX_ctrl(w, EVP_CTRL_AEAD_GET_TAG, 16, tag))
				errx(EX_SOFTWARE, "AES-SIV failed");
		}
	} while ((t = mono_now() - t0) < seconds);
	EVP_CIPHER_CTX_free(base);
	EVP_CIPHER_CTX_free(w);
	EVP_CIPHER_free(c);
	return (double)n / t;
}

/* AES-SIV encryptions by login-mask's S2V and CTR (login-mask/siv.c). */
static double
siv_composed(const unsigned char *key)
{
	struct siv *s = siv_new(key, 32);
	unsigned char out[64];
	unsigned long n = 0, k;
	double t0, t;

	if (s == NULL)
		errx(EX_SOFTWARE, "AES-SIV setup failed");
	t0 = mono_now();
	do {
		for (k = 0; k < 10000; k++, n++) {
			const char *v = values[n % NVALUES];

			if (siv_encrypt(s, NULL, 0, v, strlen(v), out) == -1)
				errx(EX_SOFTWARE, "AES-SIV failed");
		}
	} while ((t = mono_now() - t0) < seconds);
	siv_free(s);
	return (double)n / t;
}

int
main(int argc, char *argv[])
{
	unsigned char key[32];
	double a, b, s, s2, s3;
	const char *how;
	int c, i;

	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c != 's' || (seconds = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: crypto-limit [-s seconds]\n");
			return EX_USAGE;
		}
	}
	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)(i * 7 + 1);
	a = hmac_evp_mac(key);
	b = hmac_md_copy(key);
	s = siv(key, 1);
	s2 = siv(key, 0);
	s3 = siv_composed(key);
	how = "CTX_copy";
	if (s2 > s) {
		s = s2;
		how = "key_per_value";
	}
	printf("hmac_per_second=%.0f hmac_method=%s siv_per_second=%.0f "
	    "siv_method=%s siv_own_per_second=%.0f\n", a > b ? a : b,
	    a > b ? "EVP_MAC" : "EVP_MD_copy", s, how, s3);
	return 0;
}
