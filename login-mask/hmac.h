/*
 * hmac: HMAC-SHA256 (RFC 2104) under a key prepared once.
 *
 * login-mask computes two HMACs per message, so the per-value cost is
 * what matters: the inner and outer padded keys are hashed once, and
 * each value costs a copy of those two states and two SHA-256
 * compressions, with no allocation.
 */
#ifndef LOGIN_MASK_HMAC_H
#define LOGIN_MASK_HMAC_H

#include <stddef.h>

#define HMAC_SHA256_LEN 32

struct hmac_sha256;

/*
 * Prepares key[0..n) (any length; longer than a block is hashed first,
 * as RFC 2104 says).  NULL if out of memory.
 */
struct hmac_sha256 *hmac_sha256_new(const unsigned char *key, size_t n);

/* Wipes the prepared states and frees them; NULL is a no-op. */
void hmac_sha256_free(struct hmac_sha256 *h);

/* out = HMAC-SHA256(key, msg[0..n)).  Safe to call with h shared. */
void hmac_sha256(const struct hmac_sha256 *h, const void *msg, size_t n,
    unsigned char out[HMAC_SHA256_LEN]);

#endif
