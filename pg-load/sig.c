#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"

static volatile sig_atomic_t caught;
static int selfpipe[2] = { -1, -1 };

static void
on_signal(int signo)
{
	int saved = errno;

	if (caught)
		_exit(128 + signo);
	caught = signo;
	(void)!write(selfpipe[1], "", 1);
	errno = saved;
}

int
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	return 0;
}

int
sig_caught(void)
{
	return caught;
}

int
sig_poll(int fd, long ms)
{
	return sig_wait(fd, POLLIN, ms);
}

int
sig_wait(int fd, short events, long ms)
{
	struct pollfd pfd[2] = {
		{ .fd = selfpipe[0], .events = POLLIN },
		{ .fd = fd, .events = events },
	};
	int r;

	if (caught)
		return 0;
	do
		r = poll(pfd, fd >= 0 ? 2 : 1, ms > (long)0x7fffffff ?
		    0x7fffffff : (int)ms);
	while (r == -1 && errno == EINTR && !caught);
	if (r == -1)
		return caught ? 0 : -1;
	/* POLLHUP and POLLERR too: a read(2) will tell EOF or the error. */
	return fd >= 0 && pfd[1].revents != 0 && !caught;
}

void
sig_reraise(void)
{
	struct sigaction sa;
	int signo = caught ? caught : SIGTERM;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(signo, &sa, NULL);
	raise(signo);
	_exit(128 + signo);
}
