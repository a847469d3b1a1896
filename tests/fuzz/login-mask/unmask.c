/*
 * Fuzz target: --unmask's mask reader on any text.  Properties: no
 * crash or read past the input; only a real mask (one this key made)
 * unmasks, and base64url decoding is exact: what decodes encodes back
 * to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "mask.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct masker ring[2];
	static int init;
	unsigned char out[MASK_MAX], dec[1024];
	char kid[KEY_ID_LEN + 1], enc[1400], *text;
	size_t n, dn;
	int field, err;

	if (!init) {
		fuzz_masker(&ring[0], 1);
		fuzz_masker(&ring[1], 0);
		init = 1;
	}
	if ((text = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	err = unmask_value(ring, 1, size > 0 ? data[0] % 3 - 1 : -1, text, size,
	    &field, out, &n, kid);
	if (err == UNMASK_OK) {
		/* Masking the value again gives this very mask. */
		char again[MASK_MAX];
		size_t m = mask_value(&ring[0], field, (const char *)out, n, again);

		if (m != size || memcmp(again, text, size) != 0)
			abort();
	}
	if (size <= 1024 && b64url_decode(text, size, dec, &dn) == 0 &&
	    (b64url_encode(dec, dn, enc) != size || memcmp(enc, text, size) != 0))
		abort();
	free(text);
	return 0;
}
