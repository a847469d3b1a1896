/*
 * siv: deterministic authenticated encryption, AES-SIV (RFC 5297), on
 * OpenSSL 3's AES: encryption composes S2V and CTR itself, decryption is
 * OpenSSL's "AES-128-SIV" / "AES-256-SIV".
 *
 * Equal plaintexts under one key give equal ciphertexts (that is what
 * keeps duplicates visible in the masked column), and a ciphertext that
 * was altered, or made under another key, does not decrypt.
 */
#ifndef LOGIN_MASK_SIV_H
#define LOGIN_MASK_SIV_H

#include <stddef.h>

#define SIV_TAG_LEN 16

struct siv;

/*
 * Keys a context: 32 bytes of key for AES-128-SIV, 64 for AES-256-SIV
 * (RFC 5297 splits it into a MAC key and a CTR key).  NULL on failure.
 */
struct siv *siv_new(const unsigned char *key, size_t keylen);

/* Frees (and so wipes) the contexts; NULL is a no-op. */
void siv_free(struct siv *s);

/*
 * Writes the 16-byte synthetic IV then the ciphertext, n + 16 bytes, to
 * out.  ad[0..adlen) is one associated-data string (none when ad is
 * NULL).  n must be at least 1.  Returns 0, or -1 if OpenSSL failed.
 */
int siv_encrypt(struct siv *s, const void *ad, size_t adlen,
    const void *pt, size_t n, unsigned char *out);

/*
 * The reverse: in[0..n) is the IV then the ciphertext (n > 16); writes
 * n - 16 bytes of plaintext to out.  Returns 0, or -1 if it does not
 * authenticate under this key (out then holds nothing usable).
 */
int siv_decrypt(struct siv *s, const void *ad, size_t adlen,
    const unsigned char *in, size_t n, unsigned char *out);

#endif
