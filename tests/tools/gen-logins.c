/*
 * gen-logins: deterministic Fetch-shaped logins for tests and benchmarks.
 *
 *	gen-logins [-f body|message|row|copy] [-s seed] [-i ip-pool]
 *	    [-d device-pool] [-b bad-every] [-t first-timestamp] count
 *
 * body     login bodies, spaced as the real queue's (Python json.dumps)
 * message  message records as sqs-read writes them, body escaped inside
 * row      row records as login-mask writes them (masks are stand-ins)
 * copy     the same rows in COPY text format, for psql \copy
 *
 * Every login has a unique user_id, so exactly-once can be checked on the
 * table's own columns.  With -i/-d, ips and device ids are drawn from a
 * pool of that size, so duplicates show.  With -b N, every Nth message
 * (body and message formats) is malformed in one of several ways, and its
 * user_id starts with "bad-" so tests can tell them apart.
 */
#include <err.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "buf.h"
#include "json.h"

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void
uuid(char *out, uint64_t seed, uint64_t i, uint64_t salt)
{
	uint64_t a = mix(seed ^ mix(i * 4 + salt)), b = mix(a);

	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64
	    "-%012" PRIx64, a >> 32, (a >> 16) & 0xffff, a & 0xfff,
	    (b >> 48) & 0xfff, b & (uint64_t)0xffffffffffff);
}

struct login {
	char user_id[48];
	char app_version[16];
	const char *device_type;
	char ip[16];
	const char *locale;	/* NULL for a null locale */
	char device_id[12];
};

static const char *const locales[] = {
	"RU", "US", "PH", "BR", "IN", "DE", "FR", "ES", "MX", "CN", "JP", "NG",
};

static void
make_login(struct login *l, uint64_t seed, uint64_t i, uint64_t ippool,
    uint64_t devpool)
{
	uint64_t r = mix(seed ^ mix(i * 4 + 1));
	uint64_t ipn = mix(seed ^ (ippool ? (i % ippool) : i) ^ 0x1111);
	uint64_t dev = mix(seed ^ (devpool ? (i % devpool) : i) ^ 0x2222);

	uuid(l->user_id, seed, i, 0);
	if (r % 5 < 3)
		snprintf(l->app_version, sizeof l->app_version, "%u.%u.%u",
		    (unsigned)(r >> 8) % 10, (unsigned)(r >> 16) % 20,
		    (unsigned)(r >> 24) % 10);
	else
		snprintf(l->app_version, sizeof l->app_version, "0.%u",
		    (unsigned)(r >> 8) % 100);
	l->device_type = (r >> 32) & 1 ? "android" : "ios";
	snprintf(l->ip, sizeof l->ip, "%u.%u.%u.%u", (unsigned)(ipn >> 24) & 0xff,
	    (unsigned)(ipn >> 16) & 0xff, (unsigned)(ipn >> 8) & 0xff,
	    (unsigned)ipn & 0xff);
	l->locale = (r >> 40) % 10 < 3 ? NULL :
	    locales[(r >> 44) % (sizeof locales / sizeof *locales)];
	snprintf(l->device_id, sizeof l->device_id, "%03u-%02u-%04u",
	    (unsigned)(dev % 1000), (unsigned)(dev / 1000 % 100),
	    (unsigned)(dev / 100000 % 10000));
}

static void
put_body(struct buf *b, const struct login *l)
{
	buf_addf(b, "{\"user_id\": \"%s\", \"app_version\": \"%s\", "
	    "\"device_type\": \"%s\", \"ip\": \"%s\", \"locale\": ",
	    l->user_id, l->app_version, l->device_type, l->ip);
	if (l->locale != NULL)
		buf_addf(b, "\"%s\"", l->locale);
	else
		buf_adds(b, "null");
	buf_addf(b, ", \"device_id\": \"%s\"}", l->device_id);
}

/* Malformed bodies, each a different reason; user_id marks them bad. */
static void
put_bad_body(struct buf *b, const struct login *l, uint64_t k)
{
	switch (k % 8) {
	case 0:
		buf_adds(b, "{\"foo\": \"oops_wrong_msg_type\", \"bar\": \"123\"}");
		break;
	case 1:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"app_version\": \"2.3.0\", "
		    "\"device_type\": \"ios\", \"ip\": \"300.1.2.3\", "
		    "\"locale\": \"US\", \"device_id\": \"%s\"}",
		    l->user_id, l->device_id);
		break;
	case 2:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"app_version\": \"2.3.0\"",
		    l->user_id);
		break;
	case 3:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"app_version\": 2, "
		    "\"device_type\": \"ios\", \"ip\": \"%s\", \"locale\": \"US\", "
		    "\"device_id\": \"%s\"}", l->user_id, l->ip, l->device_id);
		break;
	case 4:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"app_version\": \"2.x\", "
		    "\"device_type\": \"ios\", \"ip\": \"%s\", \"locale\": \"US\", "
		    "\"device_id\": \"%s\"}", l->user_id, l->ip, l->device_id);
		break;
	case 5:
		buf_addf(b, "[\"bad-%s\"]", l->user_id);
		break;
	case 6:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"app_version\": \"1.0\", "
		    "\"device_type\": \"ios\", \"ip\": \"%s\", \"locale\": "
		    "\"%s\", \"device_id\": \"%s\"}", l->user_id, l->ip,
		    "a-locale-much-longer-than-thirty-two-characters", l->device_id);
		break;
	default:
		buf_addf(b, "{\"user_id\": \"bad-%s\", \"user_id\": \"again\", "
		    "\"app_version\": \"1.0\", \"device_type\": \"ios\", "
		    "\"ip\": \"%s\", \"locale\": \"US\", \"device_id\": \"%s\"}",
		    l->user_id, l->ip, l->device_id);
	}
}

static void
put_fake_mask(struct buf *b, const char *tag, const char *value)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t h = mix(strlen(value));
	const char *c;
	int k;

	for (c = value; *c; c++)
		h = mix(h ^ (unsigned char)*c);
	buf_addf(b, "%s1.k0a1b2c3.", tag);
	for (k = 0; k < 43; k++) {
		buf_addc(b, b64[h & 63]);
		h = k % 10 == 9 ? mix(h) : h >> 6;
	}
}

static long
app_version_int(const char *v)
{
	unsigned a = 0, b = 0, c = 0;

	sscanf(v, "%u.%u.%u", &a, &b, &c);
	return (long)a * 1000000 + (long)b * 1000 + c;
}

static void
utc_date(char *out, int64_t ms)
{
	int64_t days = ms / 86400000, y, m, d, era, doe, yoe, doy, mp;

	/* Howard Hinnant's civil_from_days. */
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)d % 100u);
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen-logins [-f body|message|row|copy] [-s seed] "
	    "[-i ip-pool] [-d device-pool] [-b bad-every] [-t first-timestamp] "
	    "count\n");
	exit(EX_USAGE);
}

int
main(int argc, char *argv[])
{
	const char *fmt = "body";
	uint64_t seed = 1, ippool = 0, devpool = 0, bad = 0, n, i;
	int64_t ts0 = 1696287680114LL;
	struct buf body = BUF_INIT(1 << 20), line = BUF_INIT(4 << 20);
	struct login l;
	char mid[40], rh[200], date[16];
	int c, isbad;

	while ((c = getopt(argc, argv, "f:s:i:d:b:t:")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'i': ippool = strtoull(optarg, NULL, 10); break;
		case 'd': devpool = strtoull(optarg, NULL, 10); break;
		case 'b': bad = strtoull(optarg, NULL, 10); break;
		case 't': ts0 = strtoll(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (argc - optind != 1)
		usage();
	n = strtoull(argv[optind], NULL, 10);
	if (strcmp(fmt, "body") && strcmp(fmt, "message") && strcmp(fmt, "row") &&
	    strcmp(fmt, "copy"))
		usage();

	for (i = 0; i < n; i++) {
		int64_t ts = ts0 + (int64_t)i;

		make_login(&l, seed, i, ippool, devpool);
		isbad = bad > 0 && i % bad == bad - 1;
		buf_reset(&body);
		buf_reset(&line);
		if (isbad)
			put_bad_body(&body, &l, i / bad);
		else
			put_body(&body, &l);
		uuid(mid, seed, i, 2);
		/* Receipt handles are long opaque base64 in real SQS. */
		snprintf(rh, sizeof rh, "AQEB%016" PRIx64 "%016" PRIx64
		    "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
		    "%016" PRIx64 "%016" PRIx64 "+EXAMPLE/handle==",
		    mix(seed ^ i), mix(i ^ 1), mix(i ^ 2), mix(i ^ 3), mix(i ^ 4),
		    mix(i ^ 5), mix(i ^ 6), mix(i ^ 7));
		if (strcmp(fmt, "body") == 0) {
			buf_add(&line, body.data, body.len);
		} else if (strcmp(fmt, "message") == 0) {
			buf_addf(&line, "{\"message_id\":\"%s\",\"receipt_handle\":\"%s\","
			    "\"sent_timestamp\":%" PRId64 ",\"receive_count\":1,"
			    "\"body\":", mid, rh, ts);
			json_put_str(&line, body.data, body.len);
			buf_addc(&line, '}');
		} else if (strcmp(fmt, "row") == 0) {
			utc_date(date, ts);
			buf_addf(&line, "{\"message_id\":\"%s\",\"receipt_handle\":\"%s\","
			    "\"sent_timestamp\":%" PRId64 ",\"user_id\":\"%s\","
			    "\"device_type\":\"%s\",\"masked_ip\":\"", mid, rh, ts,
			    l.user_id, l.device_type);
			put_fake_mask(&line, "ip", l.ip);
			buf_adds(&line, "\",\"masked_device_id\":\"");
			put_fake_mask(&line, "dev", l.device_id);
			buf_adds(&line, "\",\"locale\":");
			if (l.locale)
				buf_addf(&line, "\"%s\"", l.locale);
			else
				buf_adds(&line, "null");
			buf_addf(&line, ",\"app_version\":%ld,\"create_date\":\"%s\"}",
			    app_version_int(l.app_version), date);
		} else {
			utc_date(date, ts);
			buf_addf(&line, "%s\t%s\t", l.user_id, l.device_type);
			put_fake_mask(&line, "ip", l.ip);
			buf_addc(&line, '\t');
			put_fake_mask(&line, "dev", l.device_id);
			buf_addf(&line, "\t%s\t%ld\t%s", l.locale ? l.locale : "\\N",
			    app_version_int(l.app_version), date);
		}
		buf_addc(&line, '\n');
		if (fwrite(line.data, 1, line.len, stdout) != line.len)
			err(EX_IOERR, "stdout");
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EX_IOERR, "stdout");
	buf_free(&body);
	buf_free(&line);
	return 0;
}
