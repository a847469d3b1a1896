/* buf: growth, the cap, and what a failed append leaves behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b = BUF_INIT(16), big = BUF_INIT(1 << 20);
	char *p, want[600];
	size_t n;
	int i;

	is_str(buf_cstr(&b), "", "an empty buffer reads as the empty string");
	ok(buf_adds(&b, "hello") == 0 && b.len == 5, "append within the cap");
	ok(b.data[b.len] == '\0', "contents stay NUL-terminated");
	ok(buf_add(&b, "\0x", 2) == 0 && b.len == 7 && b.data[5] == '\0',
	    "may hold NUL bytes of its own");
	ok(buf_add(&b, "0123456789", 10) == -1 && errno == EMSGSIZE,
	    "an append past the cap fails with EMSGSIZE");
	ok(b.len == 7 && memcmp(b.data, "hello\0x", 7) == 0,
	    "and leaves the buffer as it was");
	ok(buf_add(&b, "012345678", 9) == 0 && b.len == 16,
	    "an append up to the cap exactly succeeds");
	ok(buf_addc(&b, 'z') == -1 && errno == EMSGSIZE && b.len == 16,
	    "one byte past the cap fails");
	buf_truncate(&b, 2);
	is_str(buf_cstr(&b), "he", "truncate shortens");
	p = buf_detach(&b, &n);
	ok(n == 2 && strcmp(p, "he") == 0 && b.data == NULL && b.len == 0,
	    "detach hands over the storage and leaves an empty buffer");
	free(p);

	for (i = 0; i < 100; i++)
		if (buf_addf(&big, "%05d,", i) == -1)
			break;
	ok(i == 100 && big.len == 600, "formatted appends grow the buffer");
	memset(want, 'x', sizeof want);
	buf_reset(&big);
	ok(buf_addf(&big, "%.*s", 600, want) == 0 && big.len == 600 &&
	    memcmp(big.data, want, 600) == 0,
	    "a formatted append longer than the scratch space");
	buf_free(&big);
	ok(big.data == NULL && big.max == 1 << 20, "free keeps the cap");
	return done_testing();
}
