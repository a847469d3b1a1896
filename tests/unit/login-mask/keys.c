/*
 * keys: a key file is raw or hex, at least 32 bytes, private to its
 * owner, never a link, a directory or a FIFO; its id is stable, public
 * and tells keys apart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keys.h"
#include "tap.h"

static char dir[] = "/tmp/keys-test.XXXXXX";
static char why[256];

static const char *
path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static void
put(const char *name, const void *data, size_t n, mode_t mode)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) ||
	    close(fd))
		abort();
}

static int
refused(const char *name, const char *because)
{
	struct key k;
	int r = key_load(&k, path(name), why, sizeof why);

	if (r == 0 || strstr(why, because) == NULL) {
		printf("# %s: got %d, \"%s\"\n", name, r, r == 0 ? "" : why);
		return 0;
	}
	return k.len == 0;	/* nothing secret is left behind */
}

int
main(void)
{
	const char *hex = "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191A1B1C1D1E1F";
	unsigned char raw[32], zeros[64];
	struct key a, b, c;
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)i;
	memset(zeros, 0, sizeof zeros);
	put("raw", raw, 32, 0600);
	put("hex", hex, 64, 0600);
	put("hexnl", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", 65, 0400);

	ok(key_load(&a, path("raw"), why, sizeof why) == 0 && a.len == 32,
	    "32 raw bytes are a key");
	ok(key_load(&b, path("hex"), why, sizeof why) == 0 && b.len == 32 &&
	    memcmp(b.secret, raw, 32) == 0, "64 hex digits (either case) are "
	    "the same 32 bytes");
	ok(key_load(&c, path("hexnl"), why, sizeof why) == 0 && c.len == 32 &&
	    memcmp(c.secret, raw, 32) == 0, "so is hex with a final newline, "
	    "read-only to its owner");
	ok(strlen(a.id) == KEY_ID_LEN && strspn(a.id, "0123456789abcdef") ==
	    KEY_ID_LEN, "the key id is %d hex digits", KEY_ID_LEN);
	ok(strcmp(a.id, b.id) == 0 && strcmp(a.id, c.id) == 0,
	    "the same key has the same id however it is written");
	ok(strstr(a.id, "0001") == NULL && strstr(hex, a.id) == NULL,
	    "the id is derived, not a piece of the key");
	{
		/* As editors and other systems leave hex keys. */
		static const struct { const char *name, *pre, *post; } ws[] = {
			{ "crlf", "", "\r\n" }, { "twonl", "", "\n\n" },
			{ "space", " ", "\n" }, { "tabs", "\t", "\t \r\n\n" },
			{ "lead", "\n\n", "" },
		};
		char text[128];
		struct key d;
		size_t k;
		int n, good = 1;

		for (k = 0; k < sizeof ws / sizeof *ws; k++) {
			n = snprintf(text, sizeof text, "%s%s%s", ws[k].pre, hex,
			    ws[k].post);
			put(ws[k].name, text, (size_t)n, 0600);
			if (key_load(&d, path(ws[k].name), why, sizeof why) != 0 ||
			    d.len != 32 || memcmp(d.secret, raw, 32) != 0 ||
			    strcmp(d.id, a.id) != 0) {
				printf("# %s: %s\n", ws[k].name, why);
				good = 0;
			}
			key_wipe(&d);
		}
		ok(good, "hex with white space around it (CR LF, two newlines, "
		    "leading blanks, tabs) is hex: the same key and id");
		n = snprintf(text, sizeof text, "%.32s %s\n", hex, hex + 32);
		put("inner", text, (size_t)n, 0600);
		ok(key_load(&d, path("inner"), why, sizeof why) == 0 &&
		    d.len == (size_t)n && memcmp(d.secret, text, d.len) == 0,
		    "white space between hex digits makes a raw key of the "
		    "whole file");
		key_wipe(&d);
		n = snprintf(text, sizeof text, " %.63s\r\n", hex);
		put("oddws", text, (size_t)n, 0600);
		ok(refused("oddws", "odd number of hex digits (63)"),
		    "an odd number of hex digits among blanks is refused");
		memset(text, ' ', 40);
		text[40] = '\n';
		put("blank", text, 41, 0600);
		ok(key_load(&d, path("blank"), why, sizeof why) == 0 &&
		    d.len == 41, "a file of 41 blanks is not hex: a raw key");
		key_wipe(&d);
	}
	{
		struct key d;

		ok(key_set(&d, hex, 64, why, sizeof why) == 0 && d.len == 32 &&
		    strcmp(d.id, a.id) == 0 && memcmp(d.secret, a.secret, 32) == 0,
		    "key_set takes a file's contents as key_load does");
		ok(key_set(&d, hex, 40, why, sizeof why) == -1 && d.len == 0 &&
		    strstr(why, "too short") != NULL, "with the same checks");
		key_wipe(&d);
	}
	key_wipe(&a);
	ok(a.len == 0 && memcmp(a.secret, zeros, sizeof zeros) == 0 &&
	    a.id[0] != '\0', "wiping clears the secret and keeps the id");

	raw[31] ^= 1;
	put("other", raw, 32, 0600);
	ok(key_load(&a, path("other"), why, sizeof why) == 0 &&
	    strcmp(a.id, b.id) != 0, "a key one bit apart has another id");

	put("short", raw, 31, 0600);
	ok(refused("short", "too short"), "31 bytes are too short");
	put("shorthex", hex, 62, 0600);
	ok(refused("shorthex", "too short"), "62 hex digits are too short");
	put("odd", hex, 63, 0600);
	ok(refused("odd", "odd number of hex digits"),
	    "an odd number of hex digits is refused, not read as raw");
	put("empty", "", 0, 0600);
	ok(refused("empty", "too short"), "an empty file is refused");
	put("group", raw, 32, 0640);
	ok(refused("group", "group or others"), "a key the group can read is "
	    "refused");
	put("world", raw, 32, 0604);
	ok(refused("world", "group or others"), "a key others can read is "
	    "refused");
	put("gw", raw, 32, 0620);
	ok(refused("gw", "group or others"), "a key the group can write is "
	    "refused");
	ok(refused("missing", "No such file"), "a missing file is refused");
	mkdir(path("adir"), 0700);
	ok(refused("adir", "directory"), "a directory is refused");
	if (symlink(path("raw"), path("link")) == -1)
		return 1;
	ok(refused("link", "symbolic link"), "a symbolic link is not followed");
	if (mkfifo(path("fifo"), 0600) == -1)
		return 1;
	ok(refused("fifo", "not a regular file"), "a FIFO is refused without "
	    "blocking");
	{
		char big[KEY_FILE_MAX + 1];

		memset(big, 'x', sizeof big);
		put("big", big, sizeof big, 0600);
		ok(refused("big", "not a key file"), "a file past %d bytes is "
		    "refused", KEY_FILE_MAX);
		put("max", big, KEY_FILE_MAX, 0600);
		ok(key_load(&c, path("max"), why, sizeof why) == 0 &&
		    c.len == KEY_FILE_MAX, "a %d-byte raw key is read whole",
		    KEY_FILE_MAX);
	}
	key_wipe(&a);
	key_wipe(&b);
	key_wipe(&c);

	{
		/* Remove the scratch directory, whatever is in it. */
		pid_t pid = fork();

		if (pid == 0) {
			execlp("rm", "rm", "-rf", dir, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return done_testing();
}
