/* ledger: its DDL, the claim order and the batch's keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "ledger.h"
#include "tap.h"

static void
ddl(void)
{
	static const char *const good[] = {
		"login_etl_ledger", "etl.ledger", "\"Etl Data\".\"My \"\"Ledger\"\"\"",
		"_x$1", "caf\xc3\xa9",
	};
	static const char *const bad[] = {
		"", "a.b.c", "x; DROP TABLE y", "\"unterminated", "\"\"", "1abc",
		"a .b", "a.", ".a", "a\"b", "\"a\"x",
		"toolong_toolong_toolong_toolong_toolong_toolong_toolong_toolong_",
		"caf\xe9",
	};
	struct buf b = BUF_INIT(4096);
	size_t i;
	int all = 1;
	static const char head[] = "CREATE TABLE IF NOT EXISTS login_etl_ledger(";
	static const char key[] = "PRIMARY KEY (target, sent_timestamp, message_id)";

	ok(ledger_ddl(&b, "login_etl_ledger") == 0 &&
	    strncmp(buf_cstr(&b), head, strlen(head)) == 0 &&
	    strstr(buf_cstr(&b), key) != NULL,
	    "the DDL creates the ledger keyed by target, timestamp and id");
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		buf_reset(&b);
		all &= ledger_ddl(&b, good[i]) == 0 && strstr(buf_cstr(&b), good[i]);
	}
	ok(all, "SQL names, qualified and quoted, are taken as written");
	for (i = 0, all = 1; i < sizeof bad / sizeof *bad; i++) {
		buf_reset(&b);
		errno = 0;
		all &= ledger_ddl(&b, bad[i]) == -1 && errno == EINVAL && b.len == 0;
		if (!all) {
			printf("# accepted: %s\n", bad[i]);
			break;
		}
	}
	ok(all, "anything else is refused: no SQL rides in on a name");
	buf_free(&b);
}

static void
order(void)
{
	struct key k[5] = {
		{ 2, "b", 1, 0 }, { 1, "zz", 2, 1 }, { 2, "a", 1, 2 },
		{ 2, "ab", 2, 3 }, { 2, "a", 1, 4 },
	};

	ledger_sort(k, 5);
	ok(k[0].rec == 1 && k[1].rec == 2 && k[2].rec == 4 && k[3].rec == 3 &&
	    k[4].rec == 0, "keys sort by timestamp, then bytes, then input order");
	ok(ledger_key_cmp(&k[1], &k[2]) == 0 && ledger_key_cmp(&k[2], &k[3]) < 0,
	    "a prefix sorts first, as COLLATE \"C\" does");
}

static void
keys(void)
{
	struct batch b;
	struct rec *r;
	const char *ids[] = { "m2", "m1", "m2", NULL, "m1" };
	size_t i;

	ok(batch_init(&b, 8) == 0, "a batch");
	for (i = 0; i < 5; i++) {
		r = batch_add(&b, "{}", 2, i + 1);
		r->status = ST_PENDING;
		r->ts = 10;
		if (ids[i] != NULL)
			batch_set_mid(&b, r, ids[i], 2, 0);
	}
	ok(batch_keys(&b) == 2 && b.nkeys == 2, "two of four keys repeat");
	ok(b.rec[2].status == ST_DUPLICATE && b.rec[4].status == ST_DUPLICATE &&
	    b.rec[0].status == ST_PENDING && b.rec[1].status == ST_PENDING &&
	    b.rec[3].status == ST_PENDING,
	    "the later of each pair is the duplicate; no id, no key");
	ok(b.keys[0].rec == 1 && b.keys[1].rec == 0, "the keys, sorted");
	ok(b.rec[2].first == 0 && b.rec[4].first == 1 &&
	    b.rec[0].first == NO_FIRST && b.rec[1].first == NO_FIRST,
	    "each duplicate knows its first copy, whose fate it shares");
	for (i = 0; i < 7; i++)
		batch_add(&b, "{}", 2, 9);
	ok(batch_full(&b) && batch_add(&b, "{}", 2, 9) == NULL,
	    "a batch holds no more than its records");
	batch_free(&b);
}

int
main(void)
{
	ddl();
	order();
	keys();
	return done_testing();
}
