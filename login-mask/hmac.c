/*
 * OpenSSL 3's EVP digests live behind providers: EVP_MD_CTX_copy_ex
 * frees and allocates a provider context on every copy, and EVP_MAC_init
 * with a NULL key re-derives the padded keys, so either costs more than
 * twice the two SHA-256 blocks an HMAC of a short value needs (measured
 * here at about 260 ns against 115 ns per HMAC).  SHA256_CTX is a plain
 * structure that copies for free, so this file uses the low-level
 * SHA-256 functions, which OpenSSL 3 deprecates but still ships with
 * the same SHA-NI/AVX2 code as EVP.  Only this file depends on them;
 * the unit tests check it against RFC 4231 and against EVP's HMAC.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "hmac.h"

#define BLOCK 64

struct hmac_sha256 {
	SHA256_CTX inner;	/* after the key XOR ipad block */
	SHA256_CTX outer;	/* after the key XOR opad block */
};

struct hmac_sha256 *
hmac_sha256_new(const unsigned char *key, size_t n)
{
	struct hmac_sha256 *h;
	unsigned char k[BLOCK], pad[BLOCK];
	int i;

	if ((h = malloc(sizeof *h)) == NULL)
		return NULL;
	memset(k, 0, sizeof k);
	if (n > BLOCK)
		SHA256(key, n, k);
	else if (n > 0)
		memcpy(k, key, n);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&h->inner);
	SHA256_Update(&h->inner, pad, BLOCK);
	for (i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&h->outer);
	SHA256_Update(&h->outer, pad, BLOCK);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	return h;
}

void
hmac_sha256_free(struct hmac_sha256 *h)
{
	if (h == NULL)
		return;
	OPENSSL_cleanse(h, sizeof *h);
	free(h);
}

void
hmac_sha256(const struct hmac_sha256 *h, const void *msg, size_t n,
    unsigned char out[HMAC_SHA256_LEN])
{
	SHA256_CTX c = h->inner;

	SHA256_Update(&c, msg, n);
	SHA256_Final(out, &c);
	c = h->outer;
	SHA256_Update(&c, out, HMAC_SHA256_LEN);
	/*
	 * No wipe of c: SHA256_Final clears its data block, and the chaining
	 * state left is the digest, which is the output itself.
	 */
	SHA256_Final(out, &c);
}
