/*
 * keys: the secret key file and what is derived from it.
 *
 * A key file holds at least KEY_MIN bytes of key, raw or as hex: a file
 * of hex digits (an even number of them) with nothing around them but
 * ASCII white space (spaces, tabs, CR, LF) is hex; anything else is raw.
 * It must be a regular file that only its owner can read or write; a
 * symbolic link is not followed.  Everything login-mask keys is derived
 * from it with HKDF-SHA256 (RFC 5869) under a label that names the
 * purpose, so the HMAC and AES-SIV keys of each field, and the key id,
 * are independent of each other.
 */
#ifndef LOGIN_MASK_KEYS_H
#define LOGIN_MASK_KEYS_H

#include <stddef.h>

#define KEY_MIN 32		/* bytes of key, after hex decoding */
#define KEY_FILE_MAX 1024	/* a longer file is not a key file */
#define KEY_ID_LEN 8		/* hex digits */

struct key {
	unsigned char secret[KEY_FILE_MAX];
	size_t len;
	char id[KEY_ID_LEN + 1];	/* public: names the key in masks */
	const char *path;
};

/*
 * Reads and checks the key file at path and derives its id.  Returns 0,
 * or -1 with why (a phrase without the path: "is a directory") written
 * to why[0..whylen).  On failure nothing secret is left in k.
 */
int key_load(struct key *k, const char *path, char *why, size_t whylen);

/*
 * Takes p[0..n) as the contents of a key file (raw or hex), with the same
 * checks and result as key_load, for keys that do not come from a file.
 */
int key_set(struct key *k, const void *p, size_t n, char *why, size_t whylen);

/*
 * out[0..n) = HKDF-SHA256 of the key, with no salt and label as the
 * info string.  Returns 0, or -1 if OpenSSL failed.
 */
int key_derive(const struct key *k, const char *label, unsigned char *out,
    size_t n);

/* Wipes the secret; the id stays. */
void key_wipe(struct key *k);

#endif
