/*
 * report: the progress line.  Diagnostics themselves go through err(3)
 * and warnx(3), which already print "prog: message" on stderr.
 *
 * A progress line is shown when asked for (-v) or when stderr is the
 * terminal of the foreground job, at most once per interval.  There it
 * is redrawn in place; elsewhere each is a line of its own, so logs stay
 * greppable.
 * Callers never put message bodies or personal data in it.
 */
#ifndef LIB_REPORT_H
#define LIB_REPORT_H

#include <stdio.h>

struct progress {
	FILE *fp;
	int on;
	int tty;
	double interval;	/* seconds */
	double last;		/* when the last line was shown */
	int shown;		/* a redrawn line is on the terminal */
};

/* Seconds on the monotonic clock. */
double mono_now(void);

/*
 * verbose forces it on; otherwise it is on when fp is a terminal whose
 * foreground process group is ours.
 */
void progress_init(struct progress *p, FILE *fp, int verbose, double interval);

/* Whether a line is due at time now (and the progress line is on). */
int progress_due(const struct progress *p, double now);

/* Shows a line ("prog: " and the text) and remembers now. */
void progress_show(struct progress *p, double now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Ends a line redrawn in place, so what follows starts on its own line. */
void progress_end(struct progress *p);

#endif
