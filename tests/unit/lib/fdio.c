/* fdio: the rejects file is private, appended, and refused when exposed. */
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
	struct rejects r;
	struct stat st;
	int fd;
	ssize_t n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/rejects.ndjson", dir);
	snprintf(link, sizeof link, "%s/link", dir);

	umask(022);
	ok(rejects_open(&r, path) == 0, "creates a missing rejects file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "with mode 0600 whatever the umask");
	ok(rejects_append(&r, "{\"a\":1}\n", 8) == 0 && r.dirty, "appends a line");
	ok(rejects_sync(&r) == 0 && !r.dirty, "sync makes it durable");
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
	ok(rejects_open(&r, dir) == -1, "a directory is refused");

	unlink(link);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
