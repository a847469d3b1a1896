/* A fixed key for the fuzz targets, taken as key_load takes a file's. */
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "mask.h"

static void
fuzz_masker(struct masker *m, int reversible)
{
	unsigned char raw[32];
	char why[256];
	struct key k;

	memset(raw, 0x5a, sizeof raw);
	if (key_set(&k, raw, sizeof raw, why, sizeof why) == -1 ||
	    masker_init(m, &k, reversible) == -1)
		abort();
	key_wipe(&k);
}
