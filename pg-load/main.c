/*
 * pg-load: COPYs NDJSON row records into a PostgreSQL table, exactly
 * once per message, and acks what it committed.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "catalog.h"
#include "config.h"
#include "ledger.h"
#include "load.h"

enum {
	OPT_BATCH_MS = 256, OPT_BATCH_ROWS, OPT_CHECK, OPT_LEDGER,
	OPT_LEDGER_DDL, OPT_NO_DEDUPE, OPT_PRUNE_INTERVAL, OPT_RETENTION,
	OPT_RETRY_SECONDS, OPT_VERSION
};

static const struct option longopts[] = {
	{ "batch-ms", required_argument, NULL, OPT_BATCH_MS },
	{ "batch-rows", required_argument, NULL, OPT_BATCH_ROWS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "columns", required_argument, NULL, 'c' },
	{ "dbname", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "ledger", required_argument, NULL, OPT_LEDGER },
	{ "ledger-ddl", no_argument, NULL, OPT_LEDGER_DDL },
	{ "no-dedupe", no_argument, NULL, OPT_NO_DEDUPE },
	{ "prune-interval", required_argument, NULL, OPT_PRUNE_INTERVAL },
	{ "rejects", required_argument, NULL, 'r' },
	{ "retention", required_argument, NULL, OPT_RETENTION },
	{ "retry-seconds", required_argument, NULL, OPT_RETRY_SECONDS },
	{ "table", required_argument, NULL, 't' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *fp, const char *why)
{
	if (why != NULL)
		fprintf(fp, "%s: %s\n", program_invocation_short_name, why);
	fprintf(fp,
	    "usage: pg-load -t table [-v] [-c columns] [-d conninfo]\n"
	    "               [-r rejects] [--batch-ms ms] [--batch-rows rows]\n"
	    "               [--check] [--ledger table] [--no-dedupe]\n"
	    "               [--prune-interval seconds] [--retention days]\n"
	    "               [--retry-seconds seconds]\n"
	    "       pg-load --ledger-ddl [--ledger table]\n");
	exit(fp == stdout ? 0 : EX_USAGE);
}

static long
number(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || s[0] == ' ' || s[0] == '+')
		errx(EX_USAGE, "%s %s: not a number", opt, s);
	if ((errno == ERANGE && v == LONG_MIN) || v < min)
		errx(EX_USAGE, "%s %s: too small (at least %ld)", opt, s, min);
	if (errno == ERANGE || v > max)
		errx(EX_USAGE, "%s %s: too large (at most %ld)", opt, s, max);
	return v;
}

/* Descriptors 0-2 open, so no file or socket of ours lands on them. */
static void
std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			_exit(EX_OSERR);
}

static int
print_ddl(const char *ledger)
{
	struct buf ddl = BUF_INIT(1u << 16);

	if (ledger_ddl(&ddl, ledger) == -1)
		errx(EX_USAGE, "--ledger %s: not a table name", ledger);
	fputs(ddl.data, stdout);
	buf_free(&ddl);
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF)
		err(EX_IOERR, "stdout");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config cfg = {
		.ledger = DEFAULT_LEDGER,
		.batch_rows = DEFAULT_BATCH_ROWS,
		.batch_ms = DEFAULT_BATCH_MS,
		.retention_days = DEFAULT_RETENTION_DAYS,
		.prune_interval = DEFAULT_PRUNE_INTERVAL,
		.retry_seconds = DEFAULT_RETRY_SECONDS,
		.dedupe = 1,
	};
	int c, ddl = 0, ledger_opts = 0, others = 0;
	PQconninfoOption *ci;
	char *msg = NULL;

	std_fds();
	/* Whole lines on stderr: in a ring the three stages share it. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "c:d:hr:t:v", longopts,
	    NULL)) != -1) {
		others += c != OPT_LEDGER && c != OPT_LEDGER_DDL;
		switch (c) {
		case 'c': cfg.columns = optarg; break;
		case 'd': cfg.conninfo = optarg; break;
		case 'h': usage(stdout, NULL); break;
		case 'r': cfg.rejects = optarg; break;
		case 't': cfg.table = optarg; break;
		case 'v': cfg.verbose = 1; break;
		case OPT_BATCH_MS:
			cfg.batch_ms = number("--batch-ms", optarg, 1, 3600000);
			break;
		case OPT_BATCH_ROWS:
			cfg.batch_rows = number("--batch-rows", optarg, 1,
			    1000000);
			break;
		case OPT_CHECK: cfg.check = 1; break;
		case OPT_LEDGER: cfg.ledger = optarg; ledger_opts++; break;
		case OPT_LEDGER_DDL: ddl = 1; break;
		case OPT_NO_DEDUPE: cfg.dedupe = 0; break;
		case OPT_PRUNE_INTERVAL:
			cfg.prune_interval = number("--prune-interval", optarg,
			    1, 86400);
			ledger_opts++;
			break;
		case OPT_RETENTION:
			cfg.retention_days = number("--retention", optarg, 1,
			    36500);
			ledger_opts++;
			break;
		case OPT_RETRY_SECONDS:
			cfg.retry_seconds = number("--retry-seconds", optarg,
			    0, 86400);
			break;
		case OPT_VERSION:
			puts("pg-load " VERSION);
			if (fflush(stdout) == EOF || ferror(stdout))
				err(EX_IOERR, "stdout");
			return 0;
		default:
			usage(stderr, NULL);
		}
	}
	if (optind < argc)
		usage(stderr, "too many arguments");
	if (ddl) {
		if (others)
			usage(stderr, "--ledger-ddl takes only --ledger");
		return print_ddl(cfg.ledger);
	}
	if (cfg.table == NULL)
		usage(stderr, "missing -t");
	if (!cfg.dedupe && ledger_opts)
		usage(stderr, "--ledger, --prune-interval and --retention "
		    "need the ledger, which --no-dedupe turns off");
	/* The server would read a malformed name as a syntax error. */
	if (!sqlname_valid(cfg.table))
		errx(EX_USAGE, "-t %s: not a table name: schema.table, and "
		    "in double quotes a name with spaces or capitals, as in "
		    "SQL", cfg.table);
	if (!sqlname_valid(cfg.ledger))
		errx(EX_USAGE, "--ledger %s: not a table name", cfg.ledger);
	if (cfg.conninfo != NULL) {
		if ((ci = PQconninfoParse(cfg.conninfo, &msg)) == NULL) {
			if (msg == NULL)
				errx(EX_OSERR, "-d: out of memory");
			msg[strcspn(msg, "\n")] = '\0';
			warnx("-d: %s", msg);
			PQfreemem(msg);
			return EX_USAGE;
		}
		PQconninfoFree(ci);
	}
	return load_run(&cfg);
}
