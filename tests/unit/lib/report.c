/* report: the progress line is "prog: text", shown once per interval. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tap.h"

int
main(void)
{
	struct progress p;
	char line[256], want[256];
	FILE *fp = tmpfile();
	double t;

	if (fp == NULL)
		return 1;
	progress_init(&p, fp, 0, 5.0);
	ok(!p.on, "off by default when the stream is not a terminal");
	ok(!progress_due(&p, mono_now() + 60), "and never due while off");

	progress_init(&p, fp, 1, 5.0);
	t = p.last;
	ok(p.on && !p.tty, "-v turns it on");
	ok(!progress_due(&p, t + 4.9), "not due before the interval");
	ok(progress_due(&p, t + 5.0), "due once the interval has passed");
	progress_show(&p, t + 5.0, "read %d, written %d", 10, 9);
	ok(!progress_due(&p, t + 9.0), "showing a line restarts the interval");
	progress_end(&p);

	rewind(fp);
	snprintf(want, sizeof want, "%s: read 10, written 9\n",
	    program_invocation_short_name);
	ok(fgets(line, sizeof line, fp) != NULL, "a line was written");
	is_str(line, want, "as \"prog: text\" on a line of its own");
	ok(fgets(line, sizeof line, fp) == NULL, "and nothing else");
	fclose(fp);
	return done_testing();
}
