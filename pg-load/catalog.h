/*
 * catalog: the target table as the server describes it.
 *
 * The name given on the command line is SQL (schema-qualified, quoted
 * as in SQL) and goes to the server only as a parameter of
 * to_regclass(); columns come from pg_attribute by the table's oid, and
 * every identifier pg-load writes into a statement comes from the
 * catalog, quoted with PQescapeIdentifier().
 */
#ifndef PG_LOAD_CATALOG_H
#define PG_LOAD_CATALOG_H

#include "db.h"
#include "record.h"

struct table {
	char *oid;		/* as text, for parameters */
	char *target;		/* schema.table as format('%I.%I') gives it */
	char *qname;		/* schema.table, each part quoted */
	struct columns cols;	/* the columns loaded, in COPY order */
	char *copy_sql;		/* COPY qname (columns) FROM STDIN */
};

/*
 * Looks the table up and picks its columns: all but generated ones, or
 * only those in the comma-separated list only (NULL for all).  Returns 0,
 * or a sysexits code after a diagnostic on stderr.
 */
int table_open(struct db *d, const char *name, const char *only,
    struct table *t);
void table_free(struct table *t);

/*
 * Whether s is an SQL name of one or two parts (schema.table), each an
 * identifier or a "quoted identifier" ("" inside for a quote), no part
 * longer than the server keeps.  Such a name can be written into a
 * statement as it is: it can only ever name a table.
 */
int sqlname_valid(const char *s);

/*
 * The table's schema and name, quoted, as "schema"."name", in a string
 * to free().  NULL (errno set) if quoting failed.
 */
char *quote_qualified(PGconn *c, const char *schema, const char *name);

#endif
