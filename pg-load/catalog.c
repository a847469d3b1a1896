#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "catalog.h"

#define SQL_MAX (1u << 20)
#define NAMEDATALEN_MAX 63	/* longer names the server would truncate */

static const char table_sql[] =
    "SELECT c.oid::text, format('%I.%I', n.nspname, c.relname),"
    " n.nspname, c.relname, c.relkind"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.oid = to_regclass($1)";

static const char columns_sql[] =
    "SELECT a.attname, a.attgenerated <> '',"
    " has_column_privilege(a.attrelid, a.attnum, 'INSERT')"
    " FROM pg_attribute a"
    " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped"
    " ORDER BY a.attnum";

/* What pg_class.relkind names, for a relation pg-load cannot load. */
static const char *
kind_name(char k)
{
	switch (k) {
	case 'v': return "a view";
	case 'm': return "a materialized view";
	case 'f': return "a foreign table";
	case 'S': return "a sequence";
	case 'i': case 'I': return "an index";
	case 'c': return "a composite type";
	}
	return "not a table";
}

static int
isident1(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c >= 0x80;
}

static int
isident(unsigned char c)
{
	return isident1(c) || (c >= '0' && c <= '9') || c == '$';
}

int
sqlname_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int parts = 0;

	if (!utf8_valid(s, strlen(s)))
		return 0;
	for (;;) {
		n = 0;
		if (*p == '"') {
			for (p++;; p++, n++) {
				if (*p == '\0')
					return 0;
				if (*p == '"' && *++p != '"')
					break;
			}
		} else {
			if (!isident1(*p))
				return 0;
			for (; isident(*p); p++)
				n++;
		}
		if (n == 0 || n > NAMEDATALEN_MAX)
			return 0;
		parts++;
		if (*p == '\0')
			return 1;
		if (*p != '.' || parts == 2)
			return 0;
		p++;
	}
}

char *
quote_qualified(PGconn *c, const char *schema, const char *name)
{
	char *s, *n, *q = NULL;
	size_t ls, ln;

	if ((s = PQescapeIdentifier(c, schema, strlen(schema))) == NULL)
		return NULL;
	if ((n = PQescapeIdentifier(c, name, strlen(name))) != NULL) {
		ls = strlen(s);
		ln = strlen(n);
		if ((q = malloc(ls + ln + 2)) != NULL) {
			memcpy(q, s, ls);
			q[ls] = '.';
			memcpy(q + ls + 1, n, ln + 1);
		}
		PQfreemem(n);
	}
	PQfreemem(s);
	if (q == NULL)
		errno = ENOMEM;
	return q;
}

/* Whether name is in the comma-separated list. */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p, *e;

	for (p = list;; p = e + 1) {
		e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && memcmp(p, name, n) == 0)
			return 1;
		if (*e == '\0')
			return 0;
	}
}

/* Checks that every name in the list is a loadable column, named once. */
static int
check_list(const char *list, PGresult *r, const char *table)
{
	const char *p, *e, *q, *qe, *col;
	size_t n;
	int row, found;

	for (p = list;; p = e + 1) {
		e = strchrnul(p, ',');
		n = (size_t)(e - p);
		if (n == 0) {
			warnx("--columns %s: an empty column name", list);
			return EX_USAGE;
		}
		for (q = list; q < p; q = qe + 1) {
			qe = strchrnul(q, ',');
			if ((size_t)(qe - q) == n && memcmp(q, p, n) == 0) {
				warnx("--columns: column %.*s named twice",
				    (int)n, p);
				return EX_USAGE;
			}
		}
		for (row = 0, found = 0; row < PQntuples(r) && !found; row++) {
			col = PQgetvalue(r, row, 0);
			found = strlen(col) == n && memcmp(col, p, n) == 0;
		}
		if (!found) {
			warnx("--columns: %s has no column %.*s", table,
			    (int)n, p);
			return EX_USAGE;
		}
		if (PQgetvalue(r, row - 1, 1)[0] == 't') {
			warnx("--columns: column %.*s of %s is generated",
			    (int)n, p, table);
			return EX_USAGE;
		}
		if (*e == '\0')
			return 0;
	}
}

static char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		err(EX_OSERR, "strdup");
	return p;
}

int
table_open(struct db *d, const char *name, const char *only, struct table *t)
{
	const char *param[1] = { name };
	PGresult *r = NULL;
	struct buf sql = BUF_INIT(SQL_MAX);
	char *q, kind;
	size_t n, c;
	int row, rc;

	memset(t, 0, sizeof *t);
	if (db_exec(d, table_sql, 1, param, &r) != DB_OK) {
		warnx("table %s: %s", name, buf_cstr(&d->err.primary));
		return db_exit_code(d);
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		warnx("table %s: does not exist", name);
		return EX_NOINPUT;
	}
	/*
	 * COPY loads into a view only through its triggers, and into a
	 * foreign table in a transaction of its own server, which the
	 * ledger's would not share: only tables keep the rows exactly once.
	 */
	kind = PQgetvalue(r, 0, 4)[0];
	if (kind != 'r' && kind != 'p') {
		warnx("table %s: %s: only an ordinary or a partitioned table "
		    "can be loaded", name, kind_name(kind));
		PQclear(r);
		return EX_USAGE;
	}
	t->oid = xstrdup(PQgetvalue(r, 0, 0));
	t->target = xstrdup(PQgetvalue(r, 0, 1));
	t->qname = quote_qualified(d->conn, PQgetvalue(r, 0, 2),
	    PQgetvalue(r, 0, 3));
	PQclear(r);
	if (t->qname == NULL) {
		warnx("table %s: cannot quote its name: %s", name,
		    PQerrorMessage(d->conn));
		return EX_SOFTWARE;
	}

	param[0] = t->oid;
	if (db_exec(d, columns_sql, 1, param, &r) != DB_OK) {
		warnx("table %s: columns: %s", t->target,
		    buf_cstr(&d->err.primary));
		return db_exit_code(d);
	}
	if (only != NULL && (rc = check_list(only, r, t->target)) != 0) {
		PQclear(r);
		return rc;
	}
	n = (size_t)PQntuples(r);
	t->cols.name = calloc(n ? n : 1, sizeof *t->cols.name);
	t->cols.len = calloc(n ? n : 1, sizeof *t->cols.len);
	if (t->cols.name == NULL || t->cols.len == NULL)
		err(EX_OSERR, "columns");
	if (buf_addf(&sql, "COPY %s (", t->qname) == -1)
		err(EX_OSERR, "COPY statement");
	for (row = 0, c = 0; row < (int)n; row++) {
		const char *col = PQgetvalue(r, row, 0);

		if (PQgetvalue(r, row, 1)[0] == 't')
			continue;	/* generated: COPY cannot set it */
		if (only != NULL && !listed(only, col))
			continue;
		/* Found now, not by the first batch, which would give up. */
		if (PQgetvalue(r, row, 2)[0] != 't') {
			warnx("table %s: no INSERT privilege on column %s",
			    t->target, col);
			t->cols.n = c;
			PQclear(r);
			buf_free(&sql);
			return EX_NOPERM;
		}
		if ((q = PQescapeIdentifier(d->conn, col, strlen(col))) == NULL)
			errx(EX_SOFTWARE, "table %s: cannot quote a column "
			    "name: %s", t->target, PQerrorMessage(d->conn));
		if (buf_addf(&sql, "%s%s", c ? ", " : "", q) == -1)
			err(EX_OSERR, "COPY statement");
		PQfreemem(q);
		t->cols.name[c] = xstrdup(col);
		t->cols.len[c] = strlen(col);
		c++;
	}
	PQclear(r);
	t->cols.n = c;
	if (c == 0) {
		warnx("table %s: no column to load", t->target);
		buf_free(&sql);
		return EX_USAGE;
	}
	if (buf_adds(&sql, ") FROM STDIN") == -1)
		err(EX_OSERR, "COPY statement");
	t->copy_sql = buf_detach(&sql, NULL);
	return 0;
}

void
table_free(struct table *t)
{
	size_t c;

	for (c = 0; c < t->cols.n; c++)
		free(t->cols.name[c]);
	free(t->cols.name);
	free(t->cols.len);
	free(t->oid);
	free(t->target);
	free(t->qname);
	free(t->copy_sql);
	memset(t, 0, sizeof *t);
}
