/*
 * mask: the format (mode, field, key id, base64url), determinism per key
 * and per field, the varchar(256) bound, and what --unmask refuses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "mask.h"
#include "tap.h"

static void
load(struct masker *m, unsigned char fill, int reversible)
{
	unsigned char raw[32];
	char why[256];
	struct key k;

	memset(raw, fill, sizeof raw);
	raw[0] = 0x42;
	if (key_set(&k, raw, sizeof raw, why, sizeof why) == -1 ||
	    masker_init(m, &k, reversible) == -1)
		abort();
	key_wipe(&k);
}

static size_t
mk(struct masker *m, int field, const char *v, char *out)
{
	size_t n = mask_value(m, field, v, strlen(v), out);

	out[n] = '\0';
	return n;
}

static void
base64(void)
{
	unsigned char in[40], back[40];
	char enc[64];
	size_t n, k, blen;
	int good = 1;

	for (k = 0; k < sizeof in; k++)
		in[k] = (unsigned char)(k * 37 + 250);
	for (n = 0; n <= sizeof in && good; n++) {
		k = b64url_encode(in, n, enc);
		good = k == (4 * n + 2) / 3 &&
		    b64url_decode(enc, k, back, &blen) == 0 && blen == n &&
		    memcmp(back, in, n) == 0;
	}
	ok(good, "base64url round-trips 0 to 40 bytes, unpadded");
	n = b64url_encode((const unsigned char *)"\xfb\xff", 2, enc);
	is_mem(enc, n, "-_8", 3, "the URL alphabet: - and _, no padding");
	ok(b64url_decode("-_9", 3, back, &blen) == -1,
	    "leftover bits set are refused (one spelling per value)");
	ok(b64url_decode("ab=", 3, back, &blen) == -1 &&
	    b64url_decode("a+b/", 4, back, &blen) == -1 &&
	    b64url_decode("abcde", 5, back, &blen) == -1,
	    "padding, the standard alphabet and impossible lengths are refused");
}

int
main(void)
{
	struct masker h1, h2, s1, s2;
	char a[MASK_MAX + 1], b[MASK_MAX + 1], kid[KEY_ID_LEN + 1];
	char big[MASK_VALUE_MAX + 1];
	unsigned char v[MASK_MAX];
	size_t n, vlen;
	int field;

	base64();
	load(&h1, 1, 0);
	load(&h2, 2, 0);
	load(&s1, 1, 1);
	load(&s2, 2, 1);
	ok(strcmp(h1.id, s1.id) == 0 && strcmp(h1.id, h2.id) != 0,
	    "a key's id does not depend on the mode; another key's differs");

	n = mk(&h1, FIELD_IP, "199.172.111.135", a);
	ok(n == 6 + KEY_ID_LEN + 1 + 43 && strncmp(a, "h1.ip.", 6) == 0 &&
	    strncmp(a + 6, h1.id, KEY_ID_LEN) == 0 && a[6 + KEY_ID_LEN] == '.',
	    "an HMAC mask is h1.ip.KEYID. and 43 characters of MAC: %s", a);
	ok(strspn(a + 6 + KEY_ID_LEN + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
	    "in the base64url alphabet");
	mk(&h1, FIELD_IP, "199.172.111.135", b);
	is_str(b, a, "the same value masks the same (deterministic)");
	mk(&h1, FIELD_IP, "199.172.111.136", b);
	ok(strcmp(a, b) != 0, "another value masks differently");
	mk(&h2, FIELD_IP, "199.172.111.135", b);
	ok(strcmp(a + 6 + KEY_ID_LEN, b + 6 + KEY_ID_LEN) != 0,
	    "another key masks differently");
	mk(&h1, FIELD_DEVICE_ID, "199.172.111.135", b);
	ok(strncmp(b, "h1.dev.", 7) == 0 &&
	    strcmp(a + 6 + KEY_ID_LEN, b + 7 + KEY_ID_LEN) != 0,
	    "the same text as a device_id masks differently (field keys)");

	n = mk(&s1, FIELD_DEVICE_ID, "593-47-5928", a);
	ok(strncmp(a, "s1.dev.", 7) == 0 && n == 7 + KEY_ID_LEN + 1 +
	    (4 * (16 + 11) + 2) / 3, "a reversible mask is s1.dev.KEYID. and "
	    "the IV and ciphertext: %s", a);
	mk(&s1, FIELD_DEVICE_ID, "593-47-5928", b);
	is_str(b, a, "deterministic too, so duplicates stay visible");
	ok(unmask_value(&s1, 1, FIELD_DEVICE_ID, a, n, &field, v, &vlen, kid) ==
	    UNMASK_OK && field == FIELD_DEVICE_ID, "the key holder unmasks it");
	is_mem(v, vlen, "593-47-5928", 11, "to the value");
	ok(unmask_value(&s1, 1, -1, a, n, &field, v, &vlen, kid) == UNMASK_OK &&
	    field == FIELD_DEVICE_ID, "the mask says its own field");
	ok(unmask_value(&s2, 1, -1, a, n, NULL, v, &vlen, kid) == UNMASK_NOKEY &&
	    strcmp(kid, s1.id) == 0, "another key is refused, naming the "
	    "mask's key id");
	{
		struct masker ring[2] = { s2, s1 };

		ok(unmask_value(ring, 2, -1, a, n, NULL, v, &vlen, kid) ==
		    UNMASK_OK && vlen == 11, "a ring finds the key by its id");
	}
	ok(unmask_value(&s1, 1, FIELD_IP, a, n, NULL, v, &vlen, kid) ==
	    UNMASK_FIELD, "a device_id mask is not taken for an ip");
	a[n - 3] = a[n - 3] == 'A' ? 'B' : 'A';
	ok(unmask_value(&s1, 1, -1, a, n, NULL, v, &vlen, kid) == UNMASK_AUTH,
	    "an altered mask does not authenticate");
	/* The same ciphertext presented as the other field. */
	mk(&s1, FIELD_DEVICE_ID, "593-47-5928", a);
	{
		char c[MASK_MAX + 1];

		snprintf(c, sizeof c, "s1.ip.%s", a + strlen("s1.dev."));
		ok(unmask_value(&s1, 1, -1, c, strlen(c), NULL, v, &vlen, kid) ==
		    UNMASK_AUTH, "a device_id ciphertext relabelled as an ip does "
		    "not authenticate (keys per field)");
	}
	n = mk(&h1, FIELD_IP, "10.0.0.1", a);
	ok(unmask_value(&s1, 1, -1, a, n, NULL, v, &vlen, kid) == UNMASK_ONEWAY,
	    "an HMAC mask cannot be unmasked, and says so");
	ok(strstr(unmask_strerror(UNMASK_ONEWAY), "one-way") != NULL,
	    "the message: %s", unmask_strerror(UNMASK_ONEWAY));
	ok(unmask_value(&s1, 1, -1, "10.0.0.1", 8, NULL, v, &vlen, kid) ==
	    UNMASK_FORMAT && unmask_value(&s1, 1, -1, "s1.ip.zzzzzzzz.AAAA", 19,
	    NULL, v, &vlen, kid) == UNMASK_FORMAT && unmask_value(&s1, 1, -1,
	    "s2.ip.00000000.AAAAAAAAAAAAAAAAAAAAAAAA", 39, NULL, v, &vlen,
	    kid) == UNMASK_FORMAT && unmask_value(&s1, 1, -1, "", 0, NULL, v,
	    &vlen, kid) == UNMASK_FORMAT, "what is not a mask is refused as such");

	memset(big, 'x', MASK_VALUE_MAX);
	big[MASK_VALUE_MAX] = '\0';
	n = mk(&s1, FIELD_DEVICE_ID, big, a);
	ok(n > 0 && n <= MASK_MAX, "a %d-byte device_id masks to %zu "
	    "characters, within varchar(256)", MASK_VALUE_MAX, n);
	ok(unmask_value(&s1, 1, FIELD_DEVICE_ID, a, n, NULL, v, &vlen, kid) ==
	    UNMASK_OK && vlen == MASK_VALUE_MAX && memcmp(v, big, vlen) == 0,
	    "and unmasks whole");
	ok(mask_value(&s1, FIELD_DEVICE_ID, big, MASK_VALUE_MAX + 1, a) == 0,
	    "one byte more cannot be masked reversibly");

	masker_free(&h1);
	masker_free(&h2);
	masker_free(&s1);
	masker_free(&s2);
	return done_testing();
}
