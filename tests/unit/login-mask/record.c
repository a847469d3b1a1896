/*
 * record: the field rules one by one, the hostile inputs, identity, and
 * the records written (rows, acks, releases, rejects).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "reason.h"
#include "record.h"
#include "row.h"
#include "tap.h"

static struct parser p;
static struct record last;	/* the record of the last rejects() */

#define GOOD_BODY "{\"user_id\": \"u1\", \"app_version\": \"2.3.0\", " \
	"\"device_type\": \"android\", \"ip\": \"199.172.111.135\", " \
	"\"locale\": \"RU\", \"device_id\": \"593-47-5928\"}"

/* A body with one field's JSON value replaced (or the key, for dups). */
static char *
body_with(const char *key, const char *json)
{
	static char out[1 << 16];
	const char *keys[] = { "user_id", "app_version", "device_type", "ip",
		"locale", "device_id" };
	const char *vals[] = { "\"u1\"", "\"2.3.0\"", "\"android\"",
		"\"199.172.111.135\"", "\"RU\"", "\"593-47-5928\"" };
	size_t n = 0, i;

	n += (size_t)snprintf(out + n, sizeof out - n, "{");
	for (i = 0; i < 6; i++) {
		if (strcmp(keys[i], key) == 0 && json == NULL)
			continue;	/* the key left out */
		n += (size_t)snprintf(out + n, sizeof out - n, "%s\"%s\": %s",
		    n > 1 ? ", " : "", keys[i], strcmp(keys[i], key) == 0 ?
		    json : vals[i]);
	}
	snprintf(out + n, sizeof out - n, "}");
	return out;
}

static int
parse(const char *line, size_t len, struct record *r)
{
	r->lineno = 1;
	return record_parse(&p, line, len, r);
}

static void
rejects(const char *line, size_t len, int where, int what, const char *why)
{
	struct record r;
	int rc = parse(line, len, &r);

	last = r;
	ok(rc == -1 && r.where == where && r.what == what,
	    "%s: %s: %s", why, where_name(where), what_name(what));
	if (rc != -1 || r.where != where || r.what != what)
		printf("# got %d, %s: %s\n", rc, where_name(r.where),
		    what_name(r.what));
}

#define REJECTS(line, where, what, why) \
	rejects((line), strlen(line), (where), (what), (why))

static void
field(const char *key, const char *json, int where, int what, const char *why)
{
	REJECTS(body_with(key, json), where, what, why);
}

static void
accepts(const char *line, struct record *r, const char *why)
{
	int rc = parse(line, strlen(line), r);

	ok(rc == 0, "%s", why);
	if (rc != 0)
		printf("# rejected: %s: %s\n", where_name(r->where),
		    what_name(r->what));
}

static void
app_version(void)
{
	static const struct { const char *v; long want; } good[] = {
		{ "2.3.0", 2003000 }, { "0.96", 96000 }, { "0.60", 60000 },
		{ "9.10", 9010000 }, { "2", 2000000 }, { "0.0.1", 1 },
		{ "2147.483.647", 2147483647 }, { "0.999.999", 999999 },
		{ "0.0.0", 0 }, { "10.100.0", 10100000 }, { "0.6", 6000 },
		/* Parts are numbers: the sample holds 6.02. */
		{ "6.02", 6002000 }, { "0002.3", 2003000 }, { "1.0999", 1999000 },
	};
	static const char *const invalid[] = {
		"", ".", "2.", ".2", "2..3", "2.3.4.5", "v2", "2.x", " 2", "2 ",
		"-1", "+1", "1e3", "2.3-beta", "\xd9\xa1", "0x10",
	};
	static const char *const range[] = {
		"2147.483.648", "2148", "1.1000", "1.2.1000", "4294967296",
		"99999999999999999999999.1",
	};
	size_t i;
	long v;
	int what, good_ok = 1, inv_ok = 1, range_ok = 1;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		if (app_version_parse(good[i].v, strlen(good[i].v), &v, &what) ||
		    v != good[i].want) {
			good_ok = 0;
			printf("# %s\n", good[i].v);
		}
	ok(good_ok, "app_version MAJOR[.MINOR[.PATCH]] is MAJOR*1000000 + "
	    "MINOR*1000 + PATCH (0.60 is 60000, 2147.483.647 the largest)");
	for (i = 0; i < sizeof invalid / sizeof *invalid; i++)
		if (app_version_parse(invalid[i], strlen(invalid[i]), &v, &what) !=
		    -1 || what != P_INVALID) {
			inv_ok = 0;
			printf("# %s\n", invalid[i]);
		}
	ok(inv_ok, "anything but digits and up to two dots is invalid");
	for (i = 0; i < sizeof range / sizeof *range; i++)
		if (app_version_parse(range[i], strlen(range[i]), &v, &what) != -1 ||
		    what != P_RANGE) {
			range_ok = 0;
			printf("# %s\n", range[i]);
		}
	ok(range_ok, "what does not fit an integer column, or a part past 999, "
	    "is out of range");
}

static void
ips(void)
{
	static const struct { const char *in, *want; } good[] = {
		{ "199.172.111.135", "199.172.111.135" },
		{ "0.0.0.0", "0.0.0.0" }, { "255.255.255.255", "255.255.255.255" },
		{ "2001:DB8::0:1", "2001:db8::1" }, { "2001:db8::1", "2001:db8::1" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "::ffff:1.2.3.4", "1.2.3.4" }, { "::FFFF:0102:0304", "1.2.3.4" },
		{ "::1", "::1" }, { "::", "::" },
	};
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "0x1.2.3.4",
		" 1.2.3.4", "1.2.3.4 ", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9",
		"localhost", "1.2.3.-4", "1.2.3.04", "00.1.2.3", "1.2.3.", ".1.2.3",
		"1..2.3", "1.2.3.4.", "1000.1.1.1", "1.2.3.256",
	};
	char out[INET6_ADDRSTRLEN], ref[INET6_ADDRSTRLEN];
	unsigned char a[4];
	size_t i;
	unsigned k;
	int good_ok = 1, bad_ok = 1, same = 1;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		if (ip_canonical(good[i].in, out) == 0 ||
		    strcmp(out, good[i].want) != 0) {
			good_ok = 0;
			printf("# %s -> %s\n", good[i].in, out);
		}
	ok(good_ok, "addresses take their canonical form (inet_ntop); "
	    "::ffff:a.b.c.d is a.b.c.d");
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		if (ip_canonical(bad[i], out) != 0) {
			bad_ok = 0;
			printf("# %s\n", bad[i]);
		}
	ok(bad_ok, "what inet_pton refuses is not an address");
	/* Our IPv4 writer against inet_ntop, on a spread of addresses. */
	for (k = 0; k < 100000 && same; k++) {
		unsigned x = k * 2654435761u;

		memcpy(a, &x, 4);
		inet_ntop(AF_INET, a, ref, sizeof ref);
		same = ip_canonical(ref, out) == strlen(ref) &&
		    strcmp(out, ref) == 0;
	}
	ok(same, "IPv4 is written exactly as inet_ntop writes it");
	/*
	 * Strings of digits and dots, most nearly addresses: taken exactly
	 * when inet_pton takes them, and then as inet_ntop writes them.
	 */
	for (k = 0, same = 1; k < 200000 && same; k++) {
		char s[32], *q = s;
		unsigned x = k * 2654435761u ^ k >> 3, parts = 3 + x % 3, d;

		for (i = 0; i < parts; i++) {
			if (i > 0)
				*q++ = '.';
			for (d = 0; d < 1 + (x >> (2 * i + 4)) % 4; d++)
				*q++ = (char)('0' + (x >> (3 * d + i)) % (d == 0 &&
				    x % 7 == 0 ? 10 : 3 + (x >> 9) % 8));
		}
		*q = '\0';
		if (inet_pton(AF_INET, s, a) == 1) {
			inet_ntop(AF_INET, a, ref, sizeof ref);
			same = ip_canonical(s, out) == strlen(ref) &&
			    strcmp(out, ref) == 0;
		} else {
			same = ip_canonical(s, out) == 0;
		}
		if (!same)
			printf("# %s\n", s);
	}
	ok(same, "dotted quads: those inet_pton takes, as inet_ntop writes them, "
	    "and no others");
}

static void
fields(void)
{
	char line[2048], name[200];
	struct record r;
	int i;

	accepts(GOOD_BODY, &r, "a bare login body is accepted");
	ok(!r.message && !r.ident && r.mid == NULL && r.ts == NULL,
	    "and has no identity");

	/* Each field: missing, mistyped, and its own rule. */
	field("user_id", NULL, W_USER_ID, P_MISSING, "no user_id");
	field("user_id", "12", W_USER_ID, P_NOT_STRING, "a number as user_id");
	field("user_id", "null", W_USER_ID, P_NOT_STRING, "a null user_id");
	memset(name, 'a', 129);
	snprintf(line, sizeof line, "\"%.129s\"", name);
	field("user_id", line, W_USER_ID, P_TOO_LONG, "129 characters of user_id");
	snprintf(line, sizeof line, "\"%.128s\"", name);
	accepts(body_with("user_id", line), &r, "128 characters of user_id fit");
	line[0] = '"';
	for (i = 0; i < 128; i++)
		memcpy(line + 1 + 2 * i, "\xc3\xa9", 2);
	strcpy(line + 1 + 256, "\"");
	accepts(body_with("user_id", line), &r, "128 two-byte characters fit: "
	    "characters are counted, not bytes");
	strcpy(line + 1 + 256, "\xc3\xa9\"");
	field("user_id", line, W_USER_ID, P_TOO_LONG, "129 two-byte characters");

	field("device_type", NULL, W_DEVICE_TYPE, P_MISSING, "no device_type");
	field("device_type", "[\"ios\"]", W_DEVICE_TYPE, P_NOT_STRING,
	    "an array as device_type");
	field("device_type", "\"abcdefghijklmnopqrstuvwxyz0123456\"",
	    W_DEVICE_TYPE, P_TOO_LONG, "33 characters of device_type");
	accepts(body_with("device_type", "\"abcdefghijklmnopqrstuvwxyz012345\""),
	    &r, "32 characters of device_type fit");

	field("locale", NULL, W_LOCALE, P_MISSING, "no locale");
	field("locale", "false", W_LOCALE, P_NOT_STRING, "false as locale");
	field("locale", "\"abcdefghijklmnopqrstuvwxyz0123456\"", W_LOCALE,
	    P_TOO_LONG, "33 characters of locale");
	accepts(body_with("locale", "null"), &r, "a null locale is accepted");
	ok(r.login.locale_null, "as NULL");

	field("ip", NULL, W_IP, P_MISSING, "no ip");
	field("ip", "3338694535", W_IP, P_NOT_STRING, "an ip as a number");
	field("ip", "\"300.1.2.3\"", W_IP, P_INVALID, "an ip past 255");
	field("ip", "\"\"", W_IP, P_INVALID, "an empty ip");
	field("ip", "\"1111:2222:3333:4444:5555:6666:7777:8888:9999:0000\"",
	    W_IP, P_INVALID, "an ip longer than any address");
	accepts(body_with("ip", "\"::ffff:199.172.111.135\""), &r,
	    "an IPv4-mapped IPv6 address is accepted");
	ok(strcmp(r.login.ip, "199.172.111.135") == 0, "as the IPv4 address");

	field("device_id", NULL, W_DEVICE_ID, P_MISSING, "no device_id");
	field("device_id", "5934759", W_DEVICE_ID, P_NOT_STRING,
	    "a number as device_id");
	field("device_id", "\"\"", W_DEVICE_ID, P_EMPTY, "an empty device_id");
	memset(name, 'd', 165);
	snprintf(line, sizeof line, "\"%.165s\"", name);
	field("device_id", line, W_DEVICE_ID, P_TOO_LONG,
	    "a device_id too long for its reversible mask");
	snprintf(line, sizeof line, "\"%.164s\"", name);
	accepts(body_with("device_id", line), &r, "164 bytes of device_id fit");

	field("app_version", NULL, W_APP_VERSION, P_MISSING, "no app_version");
	field("app_version", "2", W_APP_VERSION, P_NOT_STRING,
	    "app_version as a number");
	field("app_version", "\"2.x\"", W_APP_VERSION, P_INVALID,
	    "app_version 2.x");
	field("app_version", "\"3000.0.0\"", W_APP_VERSION, P_RANGE,
	    "app_version past an integer");
	p.null_app_version = 1;
	accepts(body_with("app_version", "\"3000.0.0\""), &r,
	    "with --null-app-version, one out of range is accepted");
	ok(r.login.app_version_null, "as NULL");
	field("app_version", "\"2.x\"", W_APP_VERSION, P_INVALID,
	    "but a malformed one is still rejected");
	p.null_app_version = 0;

	accepts("{\"x\": [1, {\"y\": null}], \"user_id\": \"u\", \"app_version\": "
	    "\"1\", \"device_type\": \"t\", \"ip\": \"::1\", \"locale\": null, "
	    "\"device_id\": \"d\", \"z\": \"\\u00e9\"}", &r,
	    "extra keys, nested or not, are ignored");
	REJECTS("{\"user_id\": \"a\", \"user_id\": \"b\", \"app_version\": \"1\", "
	    "\"device_type\": \"t\", \"ip\": \"::1\", \"locale\": null, "
	    "\"device_id\": \"d\"}", W_USER_ID, P_DUPLICATE, "a key twice");
	REJECTS("{\"ip\": \"::1\", \"user_id\": \"a\", \"app_version\": \"1\", "
	    "\"device_type\": \"t\", \"i\\u0070\": \"::2\", \"locale\": null, "
	    "\"device_id\": \"d\"}", W_IP, P_DUPLICATE,
	    "a key twice, once spelled with an escape");
	accepts("{\"user_\\u0069d\": \"a\", \"app_version\": \"1\", "
	    "\"device_type\": \"t\", \"ip\": \"::1\", \"locale\": null, "
	    "\"device_id\": \"d\", \"x\": 1, \"x\": 2}", &r,
	    "a known key spelled with an escape is that key; unknown twins pass");
	accepts(body_with("device_id", "\"593\\u002d47\\u002d5928\""), &r,
	    "escaped values are unescaped");
	is_mem(r.login.device_id.p, r.login.device_id.n, "593-47-5928", 11,
	    "to the value masked");
}

static void
hostile(void)
{
	char *deep, *wide, *many;
	size_t i, n = 100000;

	REJECTS("", W_LINE, P_NOT_JSON, "an empty line");
	REJECTS("not json", W_LINE, P_NOT_JSON, "plain text");
	REJECTS("{\"user_id\": \"a\"", W_LINE, P_NOT_JSON, "a cut-off object");
	REJECTS("{\"a\":tru}", W_LINE, P_NOT_JSON, "a bad literal");
	REJECTS("{} {}", W_LINE, P_NOT_JSON, "two objects on a line");
	REJECTS("[\"user_id\"]", W_LINE, P_NOT_OBJECT, "an array");
	REJECTS("\"a string\"", W_LINE, P_NOT_OBJECT, "a string");
	REJECTS("42", W_LINE, P_NOT_OBJECT, "a number");
	REJECTS("{\"user_id\": \"a\xff\"}", W_LINE, P_UTF8, "invalid UTF-8");
	REJECTS("{\"user_id\": \"\xed\xa0\x80\"}", W_LINE, P_UTF8,
	    "an encoded surrogate");
	REJECTS("{\"user_id\": \"a\tb\"}", W_LINE, P_CTRL,
	    "a raw control character");
	rejects("{\"user_id\": \"a\0b\"}", 18, W_LINE, P_NUL, "a raw NUL");
	REJECTS("{\"user_id\": \"\\q\"}", W_LINE, P_ESCAPE, "a bad escape");
	field("user_id", "\"\\ud800\"", W_USER_ID, P_SURROGATE,
	    "a lone high surrogate");
	field("user_id", "\"a\\udc00b\"", W_USER_ID, P_SURROGATE,
	    "a lone low surrogate");
	field("device_id", "\"a\\u0000b\"", W_DEVICE_ID, P_NUL,
	    "an escaped NUL");

	deep = malloc(2 * n + 1);
	for (i = 0; i < n; i++) {
		deep[i] = '[';
		deep[2 * n - 1 - i] = ']';
	}
	deep[2 * n] = '\0';
	rejects(deep, 2 * n, W_LINE, P_TOO_BIG, "100000 levels of nesting");
	deep[0] = '{';
	rejects(deep, 2 * n, W_LINE, P_NOT_JSON, "and a broken deep nesting");
	free(deep);

	wide = malloc(16 * n + 64);
	strcpy(wide, "{");
	for (i = 0; i < n; i++)
		sprintf(wide + strlen(wide), "\"k%zu\":%zu,", i, i);
	strcpy(wide + strlen(wide) - 1, "}");
	REJECTS(wide, W_LINE, P_TOO_BIG, "100000 keys");
	many = malloc(16 * n + 512);
	strcpy(many, "{\"message_id\":\"m\",\"body\":\"{");
	for (i = 0; i < 600; i++)
		sprintf(many + strlen(many), "\\\"k%zu\\\":1,", i);
	strcpy(many + strlen(many) - 1, "}\"}");
	REJECTS(many, W_BODY, P_TOO_BIG, "a body with 600 keys");
	free(wide);
	free(many);
}

static void
messages(void)
{
	char line[4096];
	struct record r;

	snprintf(line, sizeof line, "{\"message_id\":\"m-1\",\"receipt_handle\":"
	    "\"rh\\/1\",\"sent_timestamp\":1696287680114,\"receive_count\":3,"
	    "\"body\":\"%s\"}", "{\\\"user_id\\\": \\\"u1\\\", \\\"app_version"
	    "\\\": \\\"2.3.0\\\", \\\"device_type\\\": \\\"android\\\", \\\"ip"
	    "\\\": \\\"199.172.111.135\\\", \\\"locale\\\": \\\"RU\\\", "
	    "\\\"device_id\\\": \\\"593-47-5928\\\"}");
	accepts(line, &r, "a message record is accepted");
	ok(r.message && r.ident && r.midlen == 3 && memcmp(r.mid, "m-1", 3) == 0 &&
	    r.rhlen == 5 && memcmp(r.rh, "rh\\/1", 5) == 0 &&
	    r.ts_ms == 1696287680114LL, "with its identity, kept as read");

	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\",\"body\":7}",
	    W_BODY, P_NOT_STRING, "a body that is not a string");
	ok(last.ident, "keeps its identity, so it can be acked");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\"}", W_BODY,
	    P_MISSING, "a message record without a body");
	REJECTS("{\"message_id\":\"m\",\"body\":\"{}\",\"body\":\"{}\"}", W_BODY,
	    P_DUPLICATE, "two bodies");
	REJECTS("{\"message_id\":\"m\",\"body\":\"not json\"}", W_BODY,
	    P_NOT_JSON, "a body that is not JSON");
	REJECTS("{\"message_id\":\"m\",\"body\":\"[1]\"}", W_BODY, P_NOT_OBJECT,
	    "a body that is not an object");
	snprintf(line, sizeof line, "{\"message_id\":\"m\",\"body\":\"%s\"}",
	    "{\\\"x\\\": \\\"\\\\ud800\\\", \\\"user_id\\\": \\\"u1\\\", "
	    "\\\"app_version\\\": \\\"1\\\", \\\"device_type\\\": \\\"t\\\", "
	    "\\\"ip\\\": \\\"::1\\\", \\\"locale\\\": null, "
	    "\\\"device_id\\\": \\\"d\\\"}");
	accepts(line, &r, "a lone surrogate in a key that is ignored is never "
	    "read");
	REJECTS("{\"message_id\":\"m\",\"body\":\"\\ud800\"}", W_BODY,
	    P_SURROGATE, "a body that is a lone surrogate");
	REJECTS("{\"message_id\":\"m\",\"body\":\"{\\\"a\\\":\\\"\\u0001\\\"}\"}",
	    W_BODY, P_CTRL, "a body with a control character, escaped once");
	REJECTS("{\"message_id\":\"m\",\"body\":\"{\\u0000}\"}", W_BODY, P_NUL,
	    "a body with an escaped NUL");
	REJECTS("{\"message_id\":\"m\",\"body\":\"\\u00ff\\u00fe\",\"x\":1}",
	    W_BODY, P_NOT_JSON, "a body of stray characters");

	REJECTS("{\"message_id\":7,\"receipt_handle\":\"r\",\"body\":\"{}\"}",
	    W_MESSAGE_ID, P_NOT_STRING, "a message_id that is not a string");
	ok(!last.ident && last.ack && last.mid == NULL && last.rhlen == 1,
	    "leaves no identity to keep, but the receipt handle to ack with");
	REJECTS("{\"receipt_handle\":\"r\",\"body\":\"{}\"}", W_MESSAGE_ID,
	    P_MISSING, "a receipt handle without a message_id (no dedup)");
	ok(!last.ident && last.ack, "can still be acked");
	REJECTS("{\"receipt_handle\":\"r\"}", W_MESSAGE_ID, P_MISSING,
	    "a receipt handle alone");
	ok(last.ack, "can be acked too");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\","
	    "\"sent_timestamp\":-5,\"body\":\"{}\"}", W_SENT_TIMESTAMP, P_RANGE,
	    "a negative timestamp beside a good receipt handle");
	ok(!last.ident && last.ack && last.midlen == 1 && last.ts == NULL,
	    "can be acked, with its message_id and without the timestamp");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\","
	    "\"sent_timestamp\":\"1\",\"body\":\"{}\"}", W_SENT_TIMESTAMP,
	    P_NOT_INTEGER, "a timestamp as a string beside a good receipt handle");
	ok(last.ack, "can be acked");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\","
	    "\"receipt_handle\":\"s\",\"body\":\"{}\"}", W_RECEIPT_HANDLE,
	    P_DUPLICATE, "two receipt handles");
	ok(!last.ack && last.rh == NULL, "cannot be acked: which one?");
	REJECTS("{\"message_id\":\"m\",\"message_id\":\"n\","
	    "\"receipt_handle\":\"r\",\"receipt_handle\":\"s\",\"body\":\"{}\"}",
	    W_MESSAGE_ID, P_DUPLICATE, "two message ids and two receipt handles");
	ok(!last.ack, "cannot be acked either");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"r\","
	    "\"sent_timestamp\":1,\"sent_timestamp\":2,\"body\":\"{}\"}",
	    W_SENT_TIMESTAMP, P_DUPLICATE, "two timestamps");
	ok(last.ack && last.ts == NULL, "can be acked, without a timestamp");
	REJECTS("{\"message_id\":\"\\ud800\",\"receipt_handle\":\"r\","
	    "\"body\":\"{}\"}", W_MESSAGE_ID, P_SURROGATE,
	    "a message_id with a lone surrogate");
	REJECTS("{\"message_id\":\"m\",\"receipt_handle\":\"\",\"body\":\"{}\"}",
	    W_RECEIPT_HANDLE, P_EMPTY, "an empty receipt handle");
	ok(!last.ack, "cannot be acked");
	REJECTS("{\"message_id\":\"m\",\"message_id\":\"n\",\"body\":\"{}\"}",
	    W_MESSAGE_ID, P_DUPLICATE, "two message ids");
	REJECTS("{\"message_id\":\"m\",\"sent_timestamp\":\"1\",\"body\":\"{}\"}",
	    W_SENT_TIMESTAMP, P_NOT_INTEGER, "a timestamp as a string");
	REJECTS("{\"message_id\":\"m\",\"sent_timestamp\":1.5,\"body\":\"{}\"}",
	    W_SENT_TIMESTAMP, P_NOT_INTEGER, "a fractional timestamp");
	REJECTS("{\"message_id\":\"m\",\"sent_timestamp\":-1,\"body\":\"{}\"}",
	    W_SENT_TIMESTAMP, P_RANGE, "a negative timestamp");
	REJECTS("{\"message_id\":\"m\",\"sent_timestamp\":253402300800000,"
	    "\"body\":\"{}\"}", W_SENT_TIMESTAMP, P_RANGE,
	    "a timestamp past the year 9999");
	ok(!last.ack, "and without a receipt handle, nothing to ack");

	snprintf(line, sizeof line, "{\"message_id\":\"m-1\",\"receipt_handle\":"
	    "\"rh\",\"sent_timestamp\":null,\"body\":\"%s\"}",
	    "{\\\"user_id\\\": \\\"u1\\\", \\\"app_version\\\": \\\"1\\\", "
	    "\\\"device_type\\\": \\\"t\\\", \\\"ip\\\": \\\"::1\\\", "
	    "\\\"locale\\\": null, \\\"device_id\\\": \\\"d\\\"}");
	accepts(line, &r, "a null sent_timestamp is accepted");
	ok(r.ident && r.ack && r.ts == NULL && r.tslen == 0,
	    "as no sent_timestamp");
}

static void
dates(void)
{
	struct datecache dc = DATECACHE_INIT;

	is_str(utc_date(&dc, 0), "1970-01-01", "the epoch");
	is_str(utc_date(&dc, 1696287680114LL), "2023-10-02",
	    "the sample's SentTimestamp is 2023-10-02 UTC");
	is_str(utc_date(&dc, 951782400000LL), "2000-02-29", "a leap day");
	is_str(utc_date(&dc, 951868799999LL), "2000-02-29",
	    "its last millisecond");
	is_str(utc_date(&dc, 951868800000LL), "2000-03-01", "the next day");
	is_str(utc_date(&dc, 253402300799999LL), "9999-12-31",
	    "the last timestamp accepted");
}

static void
load(struct masker *m, int reversible)
{
	unsigned char raw[32];
	char why[256];
	struct key k;

	memset(raw, 7, sizeof raw);
	if (key_set(&k, raw, sizeof raw, why, sizeof why) == -1 ||
	    masker_init(m, &k, reversible) == -1)
		abort();
	key_wipe(&k);
}

static void
records(void)
{
	struct datecache dc = DATECACHE_INIT;
	struct buf out = BUF_INIT(1 << 20);
	struct masker m;
	struct record r;
	struct json j;
	char line[1024], mask[MASK_MAX + 1];
	const char *want, *bad;
	int v;

	load(&m, 0);
	json_init(&j, 64);
	snprintf(line, sizeof line, "{\"message_id\":\"m-1\",\"receipt_handle\":"
	    "\"rh\",\"sent_timestamp\":1696287680114,\"body\":\"{\\\"user_id\\\":"
	    " \\\"\\u00e9\\\\\\\"x\\\", \\\"app_version\\\": \\\"0.96\\\", "
	    "\\\"device_type\\\": \\\"ios\\\", \\\"ip\\\": \\\"::FFFF:1.2.3.4"
	    "\\\", \\\"locale\\\": null, \\\"device_id\\\": \\\"d-1\\\"}\"}");
	accepts(line, &r, "a message record with escapes in its body");
	ok(row_put(&out, &r, &m, &dc, 0) == 0, "makes a row");
	mask[mask_value(&m, FIELD_IP, "1.2.3.4", 7, mask)] = '\0';
	want = "{\"message_id\":\"m-1\",\"receipt_handle\":\"rh\","
	    "\"sent_timestamp\":1696287680114,\"user_id\":\"\xc3\xa9\\\"x\","
	    "\"device_type\":\"ios\",\"masked_ip\":\"";
	ok(strncmp(out.data, want, strlen(want)) == 0 &&
	    strncmp(out.data + strlen(want), mask, strlen(mask)) == 0,
	    "with the meta keys first, user_id re-escaped, the ip masked in "
	    "its canonical form");
	ok(strstr(out.data, "\"locale\":null,\"app_version\":96000,"
	    "\"create_date\":\"2023-10-02\"}\n") != NULL,
	    "null locale, app_version as an integer, the date of SentTimestamp");
	ok(strstr(out.data, "1.2.3.4") == NULL && strstr(out.data, "d-1") == NULL,
	    "and neither the ip nor the device_id");
	ok(json_parse(&j, out.data, out.len - 1) == JSON_OK &&
	    j.tok[0].type == JSMN_OBJECT && j.tok[0].size == 10,
	    "the row is one JSON object of ten keys");
	v = json_get(&j, 0, "masked_device_id");
	ok(v > 0 && j.tok[v].end - j.tok[v].start <= MASK_MAX,
	    "masks fit varchar(256)");

	buf_reset(&out);
	accepts(GOOD_BODY, &r, "a bare body");
	ok(row_put(&out, &r, &m, &dc, 86400 * 365) == 0 &&
	    strncmp(out.data, "{\"user_id\":\"u1\",", 16) == 0 &&
	    strstr(out.data, "\"create_date\":\"1971-01-01\"") != NULL,
	    "makes a row without meta keys, dated the day it is processed");

	buf_reset(&out);
	REJECTS("{\"message_id\":\"m-2\",\"receipt_handle\":\"rh2\","
	    "\"sent_timestamp\":5,\"body\":\"{\\\"ip\\\": \\\"x\\\"}\"}",
	    W_USER_ID, P_MISSING, "a bad message");
	r = last;
	ok(ack_put(&out, &r) == 0 && release_put(&out, &r) == 0, "acks and "
	    "releases are written");
	is_str(out.data, "{\"message_id\":\"m-2\",\"receipt_handle\":\"rh2\","
	    "\"sent_timestamp\":5,\"ack_only\":true}\n{\"message_id\":\"m-2\","
	    "\"receipt_handle\":\"rh2\",\"release\":true}\n",
	    "as the design says");
	buf_reset(&out);
	ok(reject_put(&out, &r, NULL, 0) == 0, "a reject is written");
	is_str(out.data, "{\"message_id\":\"m-2\",\"receipt_handle\":\"rh2\","
	    "\"sent_timestamp\":5,\"body\":\"{\\\"ip\\\": \\\"x\\\"}\",\"line\":1,"
	    "\"reason\":\"user_id: missing\",\"stage\":\"login-mask\"}\n",
	    "as the input record, reason and stage");
	buf_reset(&out);
	parse("{\"a\": \"\xff\"}", 10, &r);
	ok(reject_put(&out, &r, "{\"a\": \"\xff\"}", 10) == 0 &&
	    strcmp(out.data, "{\"body_base64\":\"eyJhIjogIv8ifQ==\",\"line\":1,"
	    "\"reason\":\"line: invalid UTF-8\",\"stage\":\"login-mask\"}\n") == 0,
	    "a line that is not UTF-8 is kept in base64");
	buf_reset(&out);
	/* Whatever the record held before: nothing of it may be read. */
	memset(&r, 0xa5, sizeof r);
	record_too_long(&r, 7);
	ok(!r.message && !r.ident && !r.ack && r.mid == NULL && r.rh == NULL &&
	    r.ts == NULL && r.body == NULL, "a line too long to read has no "
	    "identity");
	ok(reject_put(&out, &r, NULL, 9000000) == 0,
	    "and its reject is written");
	is_str(buf_cstr(&out), "{\"length\":9000000,\"line\":7,\"reason\":"
	    "\"line: too long\",\"stage\":\"login-mask\"}\n",
	    "noted by its line number and length");

	buf_reset(&out);
	bad = "{\"message_id\":\"m-3\",\"receipt_handle\":\"rh3\","
	    "\"sent_timestamp\":-5,\"body\":\"{}\"}";
	REJECTS(bad, W_SENT_TIMESTAMP, P_RANGE,
	    "a message with a bad timestamp and a good receipt handle");
	r = last;
	ok(reject_put(&out, &r, bad, strlen(bad)) == 0 && ack_put(&out, &r) == 0 && release_put(&out, &r) == 0,
	    "its reject, ack and release are written");
	is_str(buf_cstr(&out), "{\"record\":\"{\\\"message_id\\\":\\\"m-3\\\","
	    "\\\"receipt_handle\\\":\\\"rh3\\\",\\\"sent_timestamp\\\":-5,"
	    "\\\"body\\\":\\\"{}\\\"}\",\"line\":1,\"reason\":"
	    "\"sent_timestamp: out of range\",\"stage\":\"login-mask\"}\n"
	    "{\"message_id\":\"m-3\",\"receipt_handle\":\"rh3\",\"ack_only\":true}\n"
	    "{\"message_id\":\"m-3\",\"receipt_handle\":\"rh3\",\"release\":true}\n",
	    "the reject keeps the whole record; the ack and release only the "
	    "good identity");

	buf_reset(&out);
	REJECTS("{\"receipt_handle\":\"rh4\",\"body\":\"{}\"}", W_MESSAGE_ID,
	    P_MISSING, "a message without a message_id");
	r = last;
	ok(ack_put(&out, &r) == 0 && release_put(&out, &r) == 0,
	    "is acked or released");
	is_str(buf_cstr(&out), "{\"receipt_handle\":\"rh4\",\"ack_only\":true}\n"
	    "{\"receipt_handle\":\"rh4\",\"release\":true}\n",
	    "by its receipt handle");

	buf_reset(&out);
	accepts("{\"message_id\":\"m-5\",\"receipt_handle\":\"rh5\","
	    "\"sent_timestamp\":null,\"body\":\"{\\\"user_id\\\": \\\"u\\\", "
	    "\\\"app_version\\\": \\\"1\\\", \\\"device_type\\\": \\\"t\\\", "
	    "\\\"ip\\\": \\\"::1\\\", \\\"locale\\\": null, "
	    "\\\"device_id\\\": \\\"d\\\"}\"}", &r,
	    "a message with a null sent_timestamp");
	ok(row_put(&out, &r, &m, &dc, 86400 * 365) == 0 &&
	    strncmp(out.data, "{\"message_id\":\"m-5\",\"receipt_handle\":"
	    "\"rh5\",\"user_id\":", 48) == 0 &&
	    strstr(out.data, "\"create_date\":\"1971-01-01\"") != NULL,
	    "makes a row without sent_timestamp, dated the day it is processed");
	buf_free(&out);
	json_free(&j);
	masker_free(&m);
}

int
main(void)
{
	if (parser_init(&p, 0) == -1)
		return 1;
	app_version();
	ips();
	fields();
	hostile();
	messages();
	dates();
	records();
	parser_free(&p);
	return done_testing();
}
