/*
 * fdio: the rejects file is private, appended, and refused when exposed
 * or when it is not a regular file, without blocking on a FIFO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/fdio-test.XXXXXX", path[256], link[256], got[64];
	char fifo[256];
	struct rejects r;
	struct stat st;
	int fd, rd;
	ssize_t n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/rejects.ndjson", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	/* A blocking open would hang the test: end it instead. */
	alarm(20);

	umask(022);
	ok(rejects_open(&r, path) == 0, "creates a missing rejects file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "with mode 0600 whatever the umask");
	ok(rejects_append(&r, "{\"a\":1}\n", 8) == 0 && r.dirty, "appends a line");
	ok(rejects_sync(&r) == 0 && !r.dirty, "sync makes it durable");
	ok((fcntl(r.fd, F_GETFL) & O_NONBLOCK) == 0,
	    "and writes to it block as usual (no O_NONBLOCK left)");
	ok(rejects_close(&r) == 0, "closes");
	ok(rejects_open(&r, path) == 0 &&
	    rejects_append(&r, "{\"b\":2}\n", 8) == 0 && rejects_close(&r) == 0,
	    "reopening appends");
	fd = open(path, O_RDONLY);
	n = read(fd, got, sizeof got);
	close(fd);
	is_mem(got, n > 0 ? (size_t)n : 0, "{\"a\":1}\n{\"b\":2}\n", 16,
	    "both lines are there, in order");

	chmod(path, 0644);
	ok(rejects_open(&r, path) == -1 && errno == EPERM,
	    "a rejects file others can read is refused");
	chmod(path, 0600);
	if (symlink(path, link) == -1)
		return 1;
	ok(rejects_open(&r, link) == -1 && errno == ELOOP,
	    "a symbolic link is not followed");
	ok(rejects_open(&r, dir) == -1 && errno == EISDIR,
	    "a directory is refused");
	ok(rejects_open(&r, "/dev/null") == -1 && errno == EINVAL,
	    "a device is refused as not a regular file");
	if (mkfifo(fifo, 0600) == -1)
		return 1;
	ok(rejects_open(&r, fifo) == -1 && errno == EINVAL,
	    "a FIFO with no reader is refused at once, not waited on");
	if ((rd = open(fifo, O_RDONLY | O_NONBLOCK)) == -1)
		return 1;
	ok(rejects_open(&r, fifo) == -1 && errno == EINVAL,
	    "a FIFO with a reader is refused too");
	close(rd);
	unlink(fifo);

	unlink(link);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
