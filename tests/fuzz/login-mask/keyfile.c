/*
 * Fuzz target: the key file reader, key_load itself, on any file
 * contents.  Properties: no crash, leak or read past the file; the
 * verdict is the rule's (hex digits with only ASCII white space around
 * them are hex, an even number of them, else the file is a raw key;
 * 32 bytes of key at least, a file of at most KEY_FILE_MAX bytes); a
 * hex file decodes to exactly the bytes it spells, so the raw key file
 * of those bytes is the same key with the same id; key_set takes the
 * contents as key_load takes the file; loading again gives the same id;
 * a refused key or a wiped one leaves no secret behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"

static char dir[] = "/tmp/fuzz-keyfile.XXXXXX";
static char path[64];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/*
 * Replaces the key file with one of p[0..n), mode 0600: a new file, as
 * a file truncated and rewritten costs a flush to disk on some file
 * systems.
 */
static void
put(const void *p, size_t n)
{
	int fd;

	if (unlink(path) == -1 && errno != ENOENT)
		abort();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd == -1 || (n > 0 && write(fd, p, n) != (ssize_t)n) ||
	    close(fd) == -1)
		abort();
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * The rule, written apart from keys.c: if d[0..n) is a hex key file,
 * 1 with its bytes in out[0..*outn) (-1 in *outn for an odd count).
 */
static int
as_hex(const uint8_t *d, size_t n, unsigned char *out, long *outn)
{
	size_t a = 0, b = n, i;

	while (a < b && blank(d[a]))
		a++;
	while (b > a && blank(d[b - 1]))
		b--;
	if (a == b)
		return 0;
	for (i = a; i < b; i++)
		if (hexdigit(d[i]) < 0)
			return 0;
	if ((b - a) % 2 != 0) {
		*outn = -1;
		return 1;
	}
	for (i = 0; i < (b - a) / 2; i++)
		out[i] = (unsigned char)(hexdigit(d[a + 2 * i]) << 4 |
		    hexdigit(d[a + 2 * i + 1]));
	*outn = (long)((b - a) / 2);
	return 1;
}

static int
wiped(const struct key *k)
{
	size_t i;

	for (i = 0; i < sizeof k->secret; i++)
		if (k->secret[i] != 0)
			return 0;
	return k->len == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static unsigned char dec[KEY_FILE_MAX], again[KEY_FILE_MAX];
	struct key a, b, c;
	char why[256], whyb[256];
	long n, m;
	int rc, hex, want;

	if (!init) {
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof path, "%s/key", dir);
		atexit(cleanup);
		init = 1;
	}
	put(data, size);
	rc = key_load(&a, path, why, sizeof why);
	if (key_set(&b, data, size, whyb, sizeof whyb) != rc)
		abort();
	if (rc == -1) {
		if (!wiped(&a) || !wiped(&b) || strcmp(why, whyb) != 0)
			abort();
	} else if (a.len != b.len || memcmp(a.secret, b.secret, a.len) != 0 ||
	    strcmp(a.id, b.id) != 0) {
		abort();
	}

	hex = size <= KEY_FILE_MAX && as_hex(data, size, dec, &n);
	if (size > KEY_FILE_MAX)
		want = -1;
	else if (hex)
		want = n >= KEY_MIN ? 0 : -1;
	else
		want = size >= KEY_MIN ? 0 : -1;
	if (rc != want)
		abort();
	if (rc == 0 && hex && (a.len != (size_t)n ||
	    memcmp(a.secret, dec, a.len) != 0))
		abort();
	if (rc == 0 && !hex && (a.len != size ||
	    memcmp(a.secret, data, size) != 0))
		abort();

	if (rc == 0) {
		/* The same file again: the same id. */
		if (key_load(&c, path, why, sizeof why) != 0 ||
		    strcmp(c.id, a.id) != 0)
			abort();
		key_wipe(&c);
		/*
		 * The bytes a hex file spells, as a raw file: the same key,
		 * unless those bytes read as hex in turn.
		 */
		if (hex && !as_hex(dec, (size_t)n, again, &m)) {
			put(a.secret, a.len);
			if (key_load(&c, path, why, sizeof why) != 0 ||
			    c.len != a.len || strcmp(c.id, a.id) != 0)
				abort();
			key_wipe(&c);
		}
		key_wipe(&a);
		key_wipe(&b);
		if (!wiped(&a) || !wiped(&b))
			abort();
	}
	return 0;
}
