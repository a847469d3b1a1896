/*
 * tap.h: the Test Anything Protocol for C unit tests, read by prove(1).
 *
 *	ok(cond, "what it shows", ...);
 *	is_mem(got, gotlen, want, wantlen, "what");
 *	return done_testing();
 *
 * Each check prints "ok N - what" or "not ok N - what"; done_testing()
 * prints the plan and returns the exit status (0 only if all passed).
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static void __attribute__((unused))
tap_diag_mem(const char *label, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	printf("# %s (%zu bytes): ", label, n);
	for (i = 0; i < n && i < 200; i++)
		printf(c[i] >= 0x20 && c[i] < 0x7f ? "%c" : "\\x%02x", c[i]);
	printf("%s\n", n > 200 ? "..." : "");
}

static int __attribute__((unused))
is_mem(const void *got, size_t gotlen, const void *want, size_t wantlen,
    const char *what)
{
	int same = gotlen == wantlen && (gotlen == 0 || memcmp(got, want, gotlen) == 0);

	ok(same, "%s", what);
	if (!same) {
		tap_diag_mem("got", got, gotlen);
		tap_diag_mem("want", want, wantlen);
	}
	return same;
}

#define is_str(got, want, what) \
	is_mem((got), strlen(got), (want), strlen(want), (what))

static int __attribute__((unused))
is_int(long long got, long long want, const char *what)
{
	int same = got == want;

	ok(same, "%s", what);
	if (!same)
		printf("# got %lld, want %lld\n", got, want);
	return same;
}

static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
