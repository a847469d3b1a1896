/*
 * fdio: whole writes to file descriptors, and the rejects file.
 *
 * The rejects file holds raw personal data (the original message), so it
 * is created 0600, opened without following a symbolic link, and refused
 * if it is readable by anyone else or is not a regular file.  Lines are
 * appended with O_APPEND, so several writers never interleave inside a
 * line (each line is one write), and rejects_sync() makes them durable
 * before anything that depends on them (the ack of the rejected message)
 * goes downstream.
 */
#ifndef LIB_FDIO_H
#define LIB_FDIO_H

#include <stddef.h>

/* Writes all of p, retrying on EINTR and short writes; -1 with errno. */
int write_all(int fd, const void *p, size_t n);

struct rejects {
	int fd;
	int dirty;	/* written since the last sync */
	int dir_unsynced;	/* the open failed syncing the directory */
	const char *path;
};

/*
 * Opens (creating 0600) path for appending; a file it creates has its
 * directory fsync'd too.  Never blocks, not even on a FIFO.  Returns -1
 * and sets errno on failure: EPERM for a file others may access, EINVAL
 * for anything but a regular file (EISDIR for a directory), ELOOP for
 * a symbolic link.  A file it created is removed again if it fails
 * after, so that a retry syncs the directory again; dir_unsynced says
 * whether that sync was what failed.
 */
int rejects_open(struct rejects *r, const char *path);

/*
 * rejects_open(), saying why it failed as "prog: path: why" on stderr.
 * Returns 0, or the exit status: EX_CONFIG for a file others may
 * access, else EX_CANTCREAT.
 */
int rejects_open_or_warn(struct rejects *r, const char *path);

/* Appends one line; line must end with a newline. */
int rejects_append(struct rejects *r, const char *line, size_t len);

/* fsync(2)s what was appended since the last call, if anything. */
int rejects_sync(struct rejects *r);

int rejects_close(struct rejects *r);

#endif
