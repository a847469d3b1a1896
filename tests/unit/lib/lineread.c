/*
 * lineread: lines of any length from a pipe, in linear work; over-long
 * lines skipped in bounded memory; non-blocking use.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lineread.h"
#include "tap.h"

/* Forks a writer that sends n bytes of p in pieces of chunk bytes. */
static int
pipe_from(const char *p, size_t n, size_t chunk, pid_t *pid)
{
	int fd[2];
	size_t off, k;

	if (pipe(fd) == -1 || (*pid = fork()) == -1)
		abort();
	if (*pid == 0) {
		close(fd[0]);
		for (off = 0; off < n; off += k) {
			k = n - off < chunk ? n - off : chunk;
			if (write(fd[1], p + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(fd[1]);
	return fd[0];
}

static void
reap(pid_t pid, int fd)
{
	close(fd);
	waitpid(pid, NULL, 0);
}

static void
short_lines(void)
{
	const char *in = "a\n\nbc\r\nno newline";
	struct lineread lr;
	char *line;
	size_t len;
	pid_t pid;
	int fd = pipe_from(in, strlen(in), 1, &pid);

	lr_init(&lr, fd, 100);
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 1 &&
	    strcmp(line, "a") == 0, "a line, byte by byte from a pipe");
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 0,
	    "an empty line");
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 3 &&
	    memcmp(line, "bc\r", 3) == 0, "a carriage return is kept");
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 10 &&
	    strcmp(line, "no newline") == 0,
	    "a final line without a newline, NUL-terminated");
	ok(lr_getline(&lr, &line, &len) == LR_EOF, "then end of file");
	ok(lr.lineno == 4, "four lines counted");
	lr_free(&lr);
	reap(pid, fd);
}

static void
nul_inside(void)
{
	static const char in[] = "x\0y\nz\n";
	struct lineread lr;
	char *line;
	size_t len;
	pid_t pid;
	int fd = pipe_from(in, sizeof in - 1, 4096, &pid);

	lr_init(&lr, fd, 100);
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 3 &&
	    memcmp(line, "x\0y", 3) == 0, "a NUL inside a line is kept");
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 1,
	    "and does not end it");
	lr_free(&lr);
	reap(pid, fd);
}

/* Lines of 1 MiB and 5 MiB between short ones, in 4 KiB pieces. */
static void
long_lines(void)
{
	size_t big[] = { 1 << 20, 5 << 20 }, total = 0, i, off = 0, len;
	struct lineread lr;
	char *in, *line;
	pid_t pid;
	int fd, good = 1;

	for (i = 0; i < 2; i++)
		total += big[i] + 1 + 6;
	in = malloc(total);
	for (i = 0; i < 2; i++) {
		memcpy(in + off, "short\n", 6);
		off += 6;
		memset(in + off, 'a' + (int)i, big[i]);
		off += big[i];
		in[off++] = '\n';
	}
	fd = pipe_from(in, total, 4096, &pid);
	lr_init(&lr, fd, 8 << 20);
	for (i = 0; i < 2; i++) {
		good &= lr_getline(&lr, &line, &len) == LR_LINE && len == 5;
		good &= lr_getline(&lr, &line, &len) == LR_LINE &&
		    len == big[i] && line[0] == 'a' + (int)i &&
		    line[len - 1] == 'a' + (int)i && line[len] == '\0';
	}
	ok(good, "1 MiB and 5 MiB lines arrive whole from a pipe");
	ok(lr_getline(&lr, &line, &len) == LR_EOF, "then end of file");
	ok(lr.scanned <= total,
	    "each byte is searched for a newline once (%llu for %zu)",
	    lr.scanned, total);
	ok(lr.moved <= total, "and moved at most once (%llu for %zu)",
	    lr.moved, total);
	ok(lr.cap <= 16 << 20, "the buffer stays within twice the longest line");
	lr_free(&lr);
	reap(pid, fd);
	free(in);
}

/* Many short lines: the work stays linear in the input. */
static void
many_lines(void)
{
	size_t n = 200000, i, len, total;
	unsigned long got = 0;
	struct lineread lr;
	char *in, *line;
	pid_t pid;
	int fd, r;

	total = n * 37;
	in = malloc(total);
	for (i = 0; i < n; i++) {
		memset(in + i * 37, 'x', 36);
		in[i * 37 + 36] = '\n';
	}
	fd = pipe_from(in, total, 10000, &pid);
	lr_init(&lr, fd, 1000);
	while ((r = lr_getline(&lr, &line, &len)) == LR_LINE && len == 36)
		got++;
	ok(r == LR_EOF && got == n, "200000 short lines read (%lu)", got);
	ok(lr.scanned == total, "every byte searched exactly once");
	ok(lr.moved <= total, "and moved at most once");
	lr_free(&lr);
	reap(pid, fd);
	free(in);
}

static void
too_long(void)
{
	size_t total = 5000 + 1 + 3 + 6000, len;
	struct lineread lr;
	char *in = malloc(total), *line;
	pid_t pid;
	int fd;

	memset(in, 'x', 5000);
	in[5000] = '\n';
	memcpy(in + 5001, "ok\n", 3);
	memset(in + 5004, 'y', 6000);
	fd = pipe_from(in, total, 700, &pid);
	lr_init(&lr, fd, 1000);
	ok(lr_getline(&lr, &line, &len) == LR_LONG && len == 5000,
	    "a line past the cap is reported with its length");
	ok(lr_getline(&lr, &line, &len) == LR_LINE && len == 2 &&
	    strcmp(line, "ok") == 0, "and the next line is intact");
	ok(lr_getline(&lr, &line, &len) == LR_LONG && len == 6000,
	    "an over-long final line without newline too");
	ok(lr_getline(&lr, &line, &len) == LR_EOF, "then end of file");
	ok(lr.cap <= 1000 + 2 * 65536 * 2,
	    "memory stays bounded by the cap, not the line");
	lr_free(&lr);
	reap(pid, fd);
	free(in);
}

static void
nonblocking(void)
{
	struct lineread lr;
	char *line;
	size_t len;
	int fd[2];

	if (pipe(fd) == -1)
		abort();
	fcntl(fd[0], F_SETFL, O_NONBLOCK);
	lr_init(&lr, fd[0], 100);
	ok(lr_next(&lr, &line, &len) == LR_NEED, "nothing read yet: need more");
	ok(lr_fill(&lr) == -1 && errno == EAGAIN, "an empty pipe: EAGAIN");
	if (write(fd[1], "par", 3) != 3 || write(fd[1], "tial\nne", 7) != 7)
		abort();
	ok(lr_fill(&lr) == 10, "what is there is read");
	ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "partial") == 0,
	    "a complete line comes out");
	ok(lr_next(&lr, &line, &len) == LR_NEED && lr_pending(&lr) == 2,
	    "a partial one waits");
	close(fd[1]);
	ok(lr_fill(&lr) == 0, "end of file");
	ok(lr_next(&lr, &line, &len) == LR_LINE && strcmp(line, "ne") == 0,
	    "releases the partial line");
	ok(lr_next(&lr, &line, &len) == LR_EOF, "then reports end of file");
	lr_free(&lr);
	close(fd[0]);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	short_lines();
	nul_inside();
	long_lines();
	many_lines();
	too_long();
	nonblocking();
	return done_testing();
}
