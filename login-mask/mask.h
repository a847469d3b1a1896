/*
 * mask: the masks of ip and device_id, and their reversal.
 *
 * A mask is four fields joined by dots, all ASCII:
 *
 *	MODE "." FIELD "." KEYID "." PAYLOAD
 *
 *	MODE	h1: HMAC-SHA256, one-way; s1: AES-SIV, reversible by the key
 *		holder.  The digit is the format version.
 *	FIELD	ip or dev (device_id): each field has keys of its own, so
 *		equal values in different fields do not mask alike.
 *	KEYID	8 hex digits derived from the key (keys.h): a key rotation
 *		shows in the data, and --unmask picks the key by it.
 *	PAYLOAD	base64url without padding (RFC 4648 section 5): the 32-byte
 *		HMAC, or the 16-byte synthetic IV then the ciphertext.
 *
 * e.g. h1.ip.5c0e2b4d.<43 characters>.  A mask is at most MASK_MAX
 * characters, so it fits the users' varchar(256) columns; that bounds a
 * reversible value to MASK_VALUE_MAX bytes, and the field rules apply
 * that bound in both modes, so one input is valid or not whatever the
 * mode.
 */
#ifndef LOGIN_MASK_MASK_H
#define LOGIN_MASK_MASK_H

#include <stddef.h>

#include "keys.h"

enum field { FIELD_IP, FIELD_DEVICE_ID, NFIELD };

#define MASK_MAX 256
/* "s1.dev." KEYID "." is the longest prefix. */
#define MASK_PREFIX_MAX (3 + 4 + KEY_ID_LEN + 1)
/* Payload bytes that fit in base64url, less the synthetic IV. */
#define MASK_VALUE_MAX ((MASK_MAX - MASK_PREFIX_MAX) / 4 * 3 - 16)

struct hmac_sha256;
struct siv;

/* A key made ready to mask (or unmask) both fields. */
struct masker {
	int reversible;
	char id[KEY_ID_LEN + 1];
	struct hmac_sha256 *hmac[NFIELD];
	struct siv *siv[NFIELD];
	char prefix[2][NFIELD][MASK_PREFIX_MAX + 1];	/* [reversible][field] */
	size_t prefixlen[2][NFIELD];
};

/*
 * Derives the per-field subkeys of k (both modes, so one masker also
 * unmasks) and prepares them.  The subkeys themselves are wiped; k is
 * left to the caller to wipe.  Returns 0, or -1 if OpenSSL failed.
 */
int masker_init(struct masker *m, const struct key *k, int reversible);
void masker_free(struct masker *m);

/*
 * Writes the mask of v[0..n) (the canonical value: callers check it is
 * 1 to MASK_VALUE_MAX bytes) to out, which has room for MASK_MAX bytes.
 * Returns the mask's length, or 0 if OpenSSL failed.
 */
size_t mask_value(const struct masker *m, int field, const char *v, size_t n,
    char *out);

enum unmask_err {
	UNMASK_OK,
	UNMASK_FORMAT,		/* not a mask of this format */
	UNMASK_FIELD,		/* a mask of the other field */
	UNMASK_ONEWAY,		/* an HMAC mask: nothing to recover */
	UNMASK_NOKEY,		/* made under a key not in the ring */
	UNMASK_AUTH		/* does not authenticate: altered or corrupt */
};

const char *unmask_strerror(int err);

/*
 * Recovers the value masked in s[0..n) with whichever of ring[0..nring)
 * has its key id.  field is the field the mask must be of, or -1 for
 * either; *fieldp (if not NULL) gets the mask's field.  out has room for
 * MASK_MAX bytes; *outlen gets the value's length.  keyid gets the
 * mask's key id (KEY_ID_LEN + 1 bytes) once the format is known, so an
 * error can name it.  Returns an unmask_err.
 */
int unmask_value(const struct masker *ring, size_t nring, int field,
    const char *s, size_t n, int *fieldp, unsigned char *out, size_t *outlen,
    char *keyid);

/* Base64url without padding: writes 4n/3 rounded up characters. */
size_t b64url_encode(const unsigned char *p, size_t n, char *out);

/*
 * Decodes s[0..n); -1 for a character outside the alphabet, a length no
 * encoding has, or unused bits set (so each value has one spelling).
 */
int b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen);

#endif
