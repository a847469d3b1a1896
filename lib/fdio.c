#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
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

/*
 * fsync(2)s the directory that holds path, so that a file just created
 * there survives a crash.  A file system that cannot sync a directory
 * says EINVAL: there is nothing more to do then.
 */
static int
sync_dir(const char *path)
{
	char *dir, *slash;
	int fd, e;

	if ((dir = strdup(path)) == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	free(dir);
	if (fd == -1) {
		errno = e;
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/*
 * Opens path for appending, creating it if need be, and says in
 * *created whether this call created it.  O_NONBLOCK, so that a FIFO
 * does not block the open (it is refused after); a FIFO with no reader
 * fails at once with ENXIO, which no regular file gives.
 */
static int
open_append(const char *path, int *created)
{
	int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK;
	int fd, tries;

	/* Twice at most: the file may come or go between the two opens. */
	for (tries = 0; tries < 2; tries++) {
		*created = 0;
		if ((fd = open(path, flags)) != -1 || errno != ENOENT)
			break;
		*created = 1;
		if ((fd = open(path, flags | O_CREAT | O_EXCL, 0600)) != -1 ||
		    errno != EEXIST)
			break;
	}
	if (fd == -1 && errno == ENXIO)
		errno = EINVAL;
	return fd;
}

int
rejects_open(struct rejects *r, const char *path)
{
	struct stat st;
	int fd, fl, created, e;

	r->fd = -1;
	r->dirty = 0;
	r->dir_unsynced = 0;
	r->path = path;
	if ((fd = open_append(path, &created)) == -1)
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
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		goto fail;
	/*
	 * Rejects are acked once they are in the file: the file itself
	 * must outlive a crash, not only what is written to it.
	 */
	if (created && sync_dir(path) == -1) {
		r->dir_unsynced = 1;
		goto fail;
	}
	r->fd = fd;
	return 0;
fail:
	e = errno;
	close(fd);
	/* Else the next run would find it, and never sync its directory. */
	if (created)
		unlink(path);
	errno = e;
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

int
rejects_open_or_warn(struct rejects *r, const char *path)
{
	if (rejects_open(r, path) == 0)
		return 0;
	if (errno == EPERM) {
		warnx("%s: group or others can access it, and it holds "
		    "personal data (chmod 600 it)", path);
		return EX_CONFIG;
	}
	if (errno == EINVAL || errno == EISDIR) {
		warnx("%s: not a regular file", path);
		return EX_CANTCREAT;
	}
	if (r->dir_unsynced) {
		warn("%s: its directory cannot be synced", path);
		return EX_CANTCREAT;
	}
	warn("%s", path);
	return EX_CANTCREAT;
}
