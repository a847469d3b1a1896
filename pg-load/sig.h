/*
 * sig: SIGINT and SIGTERM as a flag, and waits they interrupt.
 *
 * The handler records the signal and writes a byte to a pipe that every
 * wait polls beside its own descriptor (the self-pipe trick), so a
 * signal can never slip in between a check of the flag and a wait that
 * would then not end.  A second signal ends the process at once: nothing
 * uncommitted has been acknowledged, so nothing is lost.  SIGPIPE is
 * ignored: a closed stdout shows as EPIPE from write(2).
 */
#ifndef PG_LOAD_SIG_H
#define PG_LOAD_SIG_H

/* Returns -1 with errno set if the signal setup failed. */
int sig_setup(void);

/* The signal that asked us to stop, or 0. */
int sig_caught(void);

/*
 * Waits up to ms milliseconds (-1: no limit) for fd (-1: none) to be
 * readable, or a signal.  Returns 1 when fd is readable, 0 on timeout or
 * signal, -1 with errno on failure.
 */
int sig_poll(int fd, long ms);

/* As sig_poll(), for the poll(2) events given (POLLIN, POLLOUT). */
int sig_wait(int fd, short events, long ms);

/* Ends the process by the signal that was caught, as if unhandled. */
void sig_reraise(void) __attribute__((noreturn));

#endif
