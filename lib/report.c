#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
progress_init(struct progress *p, FILE *fp, int verbose, double interval)
{
	p->fp = fp;
	/*
	 * Only the terminal's foreground job redraws a line in place: the
	 * stages of a ring run in process groups of their own, and three
	 * lines redrawn over each other would read as none.
	 */
	p->tty = isatty(fileno(fp)) && tcgetpgrp(fileno(fp)) == getpgrp();
	p->on = verbose || p->tty;
	p->interval = interval;
	p->last = mono_now();
	p->shown = 0;
}

int
progress_due(const struct progress *p, double now)
{
	return p->on && now - p->last >= p->interval;
}

void
progress_show(struct progress *p, double now, const char *fmt, ...)
{
	va_list ap;

	if (!p->on)
		return;
	p->last = now;
	/* A write error on stderr has nowhere to be reported; ignore it. */
	fprintf(p->fp, "%s%s: ", p->tty ? "\r" : "",
	    program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(p->fp, fmt, ap);
	va_end(ap);
	fputs(p->tty ? "\033[K" : "\n", p->fp);
	fflush(p->fp);
	p->shown = p->tty;
}

void
progress_end(struct progress *p)
{
	if (p->shown) {
		fputc('\n', p->fp);
		fflush(p->fp);
		p->shown = 0;
	}
}
