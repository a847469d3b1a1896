/*
 * sqs-read: receive messages from an Amazon SQS queue as NDJSON message
 * records, and delete each one only when an ack says it is durable.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "resolve.h"
#include "run.h"

static void
usage(FILE *fp, const char *why)
{
	if (why != NULL)
		fprintf(fp, "sqs-read: %s\n", why);
	fputs("usage: sqs-read [-hv] [-c concurrency] [-e endpoint] [--check]\n"
	    "                [--delete-after-write] [--drain] [--max-inflight n]\n"
	    "                [--max-messages n] [--profile name] [--region region]\n"
	    "                [--retries n] [--shutdown-timeout seconds]\n"
	    "                [--timeout seconds] [--visibility seconds] [--version]\n"
	    "                [--wait seconds] queue\n", fp);
	if (fp == stderr)
		exit(EX_USAGE);
}

static long long
number(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || s[0] == '-' || s[0] == '+' ||
	    s[0] == ' ') {
		if (errno == ERANGE && s[0] != '-')
			errx(EX_USAGE, "%s %s: too large", opt, s);
		errx(EX_USAGE, "%s %s: not a number", opt, s);
	}
	if (v < min)
		errx(EX_USAGE, "%s %s: too small", opt, s);
	if (v > max)
		errx(EX_USAGE, "%s %s: too large", opt, s);
	return v;
}

static void
on_signal(int sig)
{
	run_last_signal = sig;
	run_signals++;
}

/* Descriptors 0-2 must be open before any socket can take their place. */
static void
std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && open("/dev/null", O_RDWR) != fd)
			_exit(EX_OSERR);
}

int
main(int argc, char *argv[])
{
	enum { O_CHECK = 256, O_DAW, O_DRAIN, O_INFLIGHT, O_MAXMSG, O_PROFILE,
	    O_REGION, O_RETRIES, O_SHUTDOWN, O_TIMEOUT, O_VIS, O_VERSION, O_WAIT };
	static const struct option opts[] = {
		{ "concurrency", required_argument, NULL, 'c' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "delete-after-write", no_argument, NULL, O_DAW },
		{ "drain", no_argument, NULL, O_DRAIN },
		{ "max-inflight", required_argument, NULL, O_INFLIGHT },
		{ "max-messages", required_argument, NULL, O_MAXMSG },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "region", required_argument, NULL, O_REGION },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "shutdown-timeout", required_argument, NULL, O_SHUTDOWN },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "visibility", required_argument, NULL, O_VIS },
		{ "version", no_argument, NULL, O_VERSION },
		{ "wait", required_argument, NULL, O_WAIT },
		{ NULL, 0, NULL, 0 }
	};
	struct config cf = { .concurrency = 4, .max_inflight = 10000, .wait = 20,
	    .visibility = 60, .retries = 8, .timeout = 30, .shutdown_timeout = 60 };
	const char *endpoint = NULL, *region = NULL, *profile = NULL;
	struct awsconf ac;
	struct settings st;
	struct creds creds;
	struct buf err = BUF_INIT(2048);
	struct sigaction sa;
	int c, code;

	std_fds();
	/* Whole lines on stderr: in a ring the three stages share it. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "c:e:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cf.concurrency = (int)number("-c", optarg, 1, 64); break;
		case 'e': endpoint = optarg; break;
		case 'h': usage(stdout, NULL); return 0;
		case 'v': cf.verbose = 1; break;
		case O_CHECK: cf.check = 1; break;
		case O_DAW: cf.delete_after_write = 1; break;
		case O_DRAIN: cf.drain = 1; break;
		case O_INFLIGHT: cf.max_inflight = (long)number("--max-inflight", optarg, 1, 1000000); break;
		case O_MAXMSG: cf.max_messages = (unsigned long long)number("--max-messages", optarg, 1, LLONG_MAX); break;
		case O_PROFILE: profile = optarg; break;
		case O_REGION: region = optarg; break;
		case O_RETRIES: cf.retries = (int)number("--retries", optarg, 0, 100); break;
		case O_SHUTDOWN: cf.shutdown_timeout = (int)number("--shutdown-timeout", optarg, 0, 86400); break;
		case O_TIMEOUT: cf.timeout = (int)number("--timeout", optarg, 1, 3600); break;
		case O_VIS: cf.visibility = (int)number("--visibility", optarg, 1, 43200); break;
		case O_VERSION: puts("sqs-read " VERSION); return 0;
		case O_WAIT: cf.wait = (int)number("--wait", optarg, 0, 20); break;
		default: usage(stderr, NULL);
		}
	}
	if (argc - optind != 1)
		usage(stderr, argc == optind ? "missing queue" : "one queue only");
	cf.queue = argv[optind];
	if (cf.queue[0] == '\0')
		usage(stderr, "empty queue name");

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: a signal wakes the poll */
	sigaction(SIGTERM, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EX_SOFTWARE, "curl_global_init failed");

	settings_init(&st);
	creds_init(&creds);
	if ((code = awsconf_load(&ac, profile, &err)) == 0 &&
	    (code = settings_resolve(&st, cf.queue, endpoint, region, &ac, &err)) == 0) {
		creds.ca_bundle = st.ca_bundle.len ? buf_cstr(&st.ca_bundle) : NULL;
		code = creds_resolve(&creds, &ac, &err);
	}
	awsconf_free(&ac);
	if (code == 0) {
		cf.endpoint = buf_cstr(&st.endpoint);
		cf.region = buf_cstr(&st.region);
		cf.ca_bundle = creds.ca_bundle;
		cf.creds = &creds;
		code = run(&cf);
	} else {
		warnx("%s", buf_cstr(&err));
	}
	creds_free(&creds);
	settings_free(&st);
	buf_free(&err);
	curl_global_cleanup();
	return code;
}
