#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"

int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
rejects_open(struct rejects *r, const char *path)
{
	struct stat st;
	int fd;

	r->fd = -1;
	r->dirty = 0;
	r->path = path;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if (st.st_mode & 077) {
		errno = EPERM;
		goto fail;
	}
	r->fd = fd;
	return 0;
fail:
	close(fd);
	return -1;
}

int
rejects_append(struct rejects *r, const char *line, size_t len)
{
	if (write_all(r->fd, line, len) == -1)
		return -1;
	r->dirty = 1;
	return 0;
}

int
rejects_sync(struct rejects *r)
{
	if (!r->dirty)
		return 0;
	if (fsync(r->fd) == -1)
		return -1;
	r->dirty = 0;
	return 0;
}

int
rejects_close(struct rejects *r)
{
	int rv = 0;

	if (r->fd == -1)
		return 0;
	if (rejects_sync(r) == -1)
		rv = -1;
	if (close(r->fd) == -1)
		rv = -1;
	r->fd = -1;
	return rv;
}
