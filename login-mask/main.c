/*
 * login-mask: validates login records and masks their personal data
 * (ip, device_id) with keyed, deterministic cryptography.
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

#include "config.h"
#include "keys.h"
#include "mask.h"
#include "run.h"

enum { OPT_REVERSIBLE = 256, OPT_UNMASK, OPT_KEY_ID, OPT_NULL_APP_VERSION,
	OPT_CHECK, OPT_VERSION };

static const struct option longopts[] = {
	{ "key-file", required_argument, NULL, 'k' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "reversible", no_argument, NULL, OPT_REVERSIBLE },
	{ "null-app-version", no_argument, NULL, OPT_NULL_APP_VERSION },
	{ "unmask", no_argument, NULL, OPT_UNMASK },
	{ "key-id", no_argument, NULL, OPT_KEY_ID },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *fp, const char *why)
{
	if (why != NULL)
		fprintf(fp, "%s: %s\n", program_invocation_short_name, why);
	fprintf(fp,
	    "usage: login-mask [-v] [--check] [--reversible] [--null-app-version] "
	    "[-k keyfile] [-r rejects]\n"
	    "       login-mask --unmask [-k keyfile ...]\n"
	    "       login-mask --key-id [-k keyfile ...]\n");
	exit(fp == stdout ? 0 : EX_USAGE);
}

/* Descriptors 0-2 open, so no file we open lands on one of them. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd == -1)
		err(EX_OSERR, "/dev/null");
	close(fd);
}

static void
check(struct config *c, int argc)
{
	const char *env;

	if (argc > 0)
		usage(stderr, "too many arguments");
	if (c->unmask && c->key_id)
		usage(stderr, "--unmask and --key-id: choose one");
	if ((c->unmask || c->key_id) && (c->rejects || c->verbose ||
	    c->reversible || c->null_app_version || c->check))
		usage(stderr, "-r, -v, --check, --reversible and "
		    "--null-app-version are for masking");
	if (c->nkeys > 1 && !c->unmask && !c->key_id)
		usage(stderr, "one -k masks; several are for --unmask");
	if (c->nkeys == 0) {
		if ((env = getenv("LOGIN_MASK_KEY_FILE")) == NULL || *env == '\0')
			usage(stderr, "missing -k (or LOGIN_MASK_KEY_FILE)");
		c->keyfile[c->nkeys++] = env;
	}
}

/*
 * Loads every key file into a masker.  On a bad one, says why and
 * returns NULL with *st the exit status (EX_CONFIG for a refused key).
 */
static struct masker *
load_keys(const struct config *c, int *st)
{
	struct masker *m;
	struct key k;
	char why[256];
	int i, x;

	if ((m = calloc((size_t)c->nkeys, sizeof *m)) == NULL) {
		warn("cannot allocate");
		*st = EX_OSERR;
		return NULL;
	}
	for (i = 0; i < c->nkeys; i++) {
		if (key_load(&k, c->keyfile[i], why, sizeof why) == -1) {
			warnx("key file %s: %s", c->keyfile[i], why);
			*st = EX_CONFIG;
			goto fail;
		}
		x = masker_init(&m[i], &k, c->reversible);
		key_wipe(&k);
		if (x == -1) {
			warnx("key file %s: OpenSSL cannot prepare its keys",
			    c->keyfile[i]);
			*st = EX_SOFTWARE;
			goto fail;
		}
		for (x = 0; x < i; x++)
			if (strcmp(m[x].id, m[i].id) == 0) {
				warnx("key files %s and %s have the same key id %s: "
				    "the same key twice?", c->keyfile[x],
				    c->keyfile[i], m[i].id);
				*st = EX_CONFIG;
				goto fail;
			}
	}
	return m;
fail:
	/* calloc'd, so maskers never prepared free as nothing. */
	for (i = 0; i < c->nkeys; i++)
		masker_free(&m[i]);
	free(m);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct config c;
	struct masker *m;
	int ch, i, st;

	std_fds();
	/* Whole lines on stderr: in a ring the three stages share it. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof c);
	while ((ch = getopt_long(argc, argv, "hk:r:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (c.nkeys == KEYS_MAX)
				usage(stderr, "too many -k: a ring holds 64 keys");
			c.keyfile[c.nkeys++] = optarg;
			break;
		case 'r': c.rejects = optarg; break;
		case 'v': c.verbose = 1; break;
		case OPT_REVERSIBLE: c.reversible = 1; break;
		case OPT_NULL_APP_VERSION: c.null_app_version = 1; break;
		case OPT_UNMASK: c.unmask = 1; break;
		case OPT_KEY_ID: c.key_id = 1; break;
		case OPT_CHECK: c.check = 1; break;
		case 'h': usage(stdout, NULL); break;
		case OPT_VERSION:
			printf("login-mask %s\n", VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
		default: usage(stderr, NULL);
		}
	}
	check(&c, argc - optind);
	if ((m = load_keys(&c, &st)) == NULL)
		return st;
	if (c.key_id) {
		for (i = 0; i < c.nkeys; i++)
			printf("%s %s\n", m[i].id, c.keyfile[i]);
		st = fflush(stdout) == 0 && !ferror(stdout) ? 0 : EX_IOERR;
	} else if (c.check) {
		st = mask_check(&c);
	} else if (c.unmask) {
		st = unmask_run(m, (size_t)c.nkeys);
	} else {
		st = mask_run(&c, &m[0]);
	}
	for (i = 0; i < c.nkeys; i++)
		masker_free(&m[i]);
	free(m);
	return st;
}
