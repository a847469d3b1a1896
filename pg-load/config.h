/*
 * config: what the command line asks of pg-load, handed to the workers.
 */
#ifndef PG_LOAD_CONFIG_H
#define PG_LOAD_CONFIG_H

#define DEFAULT_LEDGER "login_etl_ledger"
#define DEFAULT_BATCH_ROWS 50000
#define DEFAULT_BATCH_MS 1000
#define DEFAULT_RETENTION_DAYS 14	/* the longest SQS keeps a message */
#define DEFAULT_RETRY_SECONDS 60
#define DEFAULT_PRUNE_INTERVAL 3600	/* seconds */

struct config {
	const char *table;	/* SQL name: may be qualified and quoted */
	const char *conninfo;	/* NULL: libpq's PG* environment */
	const char *rejects;	/* NULL: refused rows are released */
	const char *columns;	/* comma-separated column names, or NULL */
	const char *ledger;	/* SQL name of the ledger table */
	long batch_rows;
	long batch_ms;
	long retention_days;
	long prune_interval;	/* seconds between ledger prunes */
	long retry_seconds;
	int dedupe;
	int verbose;
	int check;		/* check the settings, load nothing */
};

#endif
