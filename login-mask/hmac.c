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

/* The chaining state of c, big-endian: a digest once c is final. */
static void
put_state(const SHA256_CTX *c, unsigned char *out)
{
	SHA_LONG x;
	int i;

	for (i = 0; i < 8; i++) {
		/* A local: out may alias c, which would reload each word. */
		x = c->h[i];
		out[4 * i] = (unsigned char)(x >> 24);
		out[4 * i + 1] = (unsigned char)(x >> 16);
		out[4 * i + 2] = (unsigned char)(x >> 8);
		out[4 * i + 3] = (unsigned char)x;
	}
}

/*
 * Pads the last block of a message of (BLOCK + n) bytes whose final n
 * bytes are at b (n < BLOCK - 8): the key block came first.
 */
static void
pad_block(unsigned char *b, size_t n)
{
	unsigned bits = (unsigned)(BLOCK + n) * 8;

	b[n] = 0x80;
	/* The length is below 2^16 bits: its other six bytes are zero. */
	memset(b + n + 1, 0, BLOCK - 2 - n - 1);
	b[BLOCK - 2] = (unsigned char)(bits >> 8);
	b[BLOCK - 1] = (unsigned char)bits;
}

void
hmac_sha256(const struct hmac_sha256 *h, const void *msg, size_t n,
    unsigned char out[HMAC_SHA256_LEN])
{
	unsigned char b[BLOCK];
	SHA256_CTX c;

	if (n >= BLOCK - 8) {
		c = h->inner;
		SHA256_Update(&c, msg, n);
		SHA256_Final(out, &c);
		c = h->outer;
		SHA256_Update(&c, out, HMAC_SHA256_LEN);
		/*
		 * No wipe of c: SHA256_Final clears its data block, and the
		 * chaining state left is the digest, which is the output.
		 */
		SHA256_Final(out, &c);
		return;
	}
	/*
	 * A value that fits one block with its padding (every ip, nearly
	 * every device_id): two compressions on the prepared states, with
	 * no buffering and no cleanse calls.  Only the chaining state is
	 * copied, as only it is used.  The outer block overwrites the whole
	 * of b, so no copy of the value stays behind on the stack.
	 */
	memcpy(c.h, h->inner.h, sizeof c.h);
	memcpy(b, msg, n);
	pad_block(b, n);
	SHA256_Transform(&c, b);
	put_state(&c, b);
	pad_block(b, HMAC_SHA256_LEN);
	memcpy(c.h, h->outer.h, sizeof c.h);
	SHA256_Transform(&c, b);
	put_state(&c, out);
}
