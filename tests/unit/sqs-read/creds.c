/* creds: credential documents, expiry times and when to refresh. */
#include <string.h>

#include "creds.h"
#include "tap.h"

#define PARSE(c, s, now, err) creds_parse_json((c), (s), strlen(s), (now), (err))

int
main(void)
{
	struct creds c;
	struct buf err = BUF_INIT(512);
	time_t t, now = 1700000000;	/* 2023-11-14T22:13:20Z */
	const char *doc = "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAX\","
	    "\"SecretAccessKey\":\"s3cr3t\",\"Token\":\"tok\","
	    "\"Expiration\":\"2023-11-15T04:13:20Z\"}";

	ok(parse_iso8601("2023-11-14T22:13:20Z", 20, &t) == 0 && t == now, "a UTC time");
	ok(parse_iso8601("2023-11-14T22:13:20.123Z", 24, &t) == 0 && t == now, "with a fraction");
	ok(parse_iso8601("2023-11-14T22:13:20+00:00", 25, &t) == 0 && t == now, "with +00:00");
	ok(parse_iso8601("2023-11-14T22:13:20+02:00", 25, &t) == -1, "another offset is refused");
	ok(parse_iso8601("2023-13-14T22:13:20Z", 20, &t) == -1, "month 13 is refused");
	ok(parse_iso8601("yesterday", 9, &t) == -1, "words are refused");

	creds_init(&c);
	ok(creds_parse_json(&c, doc, strlen(doc), now, &err) == 0, "a container document");
	is_str(buf_cstr(&c.akid), "ASIAX", "key id");
	is_str(buf_cstr(&c.secret), "s3cr3t", "secret");
	is_str(buf_cstr(&c.token), "tok", "token");
	is_int(c.expires, now + 6 * 3600, "expiry");
	is_int(c.refresh_at, c.expires - 15 * 60, "refreshed 15 minutes before it ends");
	ok(!creds_due(&c, now) && creds_due(&c, c.refresh_at), "due at the refresh time");
	ok(creds_usable(&c, now) && !creds_usable(&c, c.expires), "usable until they expire");
	c.src = CREDS_CONTAINER;
	creds_expire(&c, now);
	ok(creds_due(&c, now), "due at once once the service says expired");
	ok(!creds_usable(&c, now), "and not usable: requests wait for new ones");
	ok(c.stale && c.stale_since == now, "stale since then");
	creds_expire(&c, now + 10);
	ok(c.stale_since == now, "a second refusal does not move the start of the wait");
	c.stale = 0;
	c.src = CREDS_ENV;
	creds_expire(&c, now);
	ok(!c.stale && creds_usable(&c, now), "keys that cannot be refreshed are never stale");

	ok(PARSE(&c, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
	    "\"Expiration\":\"2023-11-14T22:13:30Z\"}", now, &err) == 0 &&
	    c.refresh_at == now + 5, "a short life is refreshed halfway");
	buf_reset(&err);
	ok(PARSE(&c, "{\"Code\":\"Failure\"}", now, &err) == -1 &&
	    strstr(buf_cstr(&err), "not a success") != NULL, "a failure document");
	buf_reset(&err);
	ok(PARSE(&c, "{\"AccessKeyId\":\"A\"}", now, &err) == -1,
	    "a document without a secret");
	buf_reset(&err);
	ok(PARSE(&c, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
	    "\"Expiration\":\"2000-01-01T00:00:00Z\"}", now, &err) == -1 &&
	    strstr(buf_cstr(&err), "expired") != NULL, "an expired document");
	buf_reset(&err);
	ok(PARSE(&c, "{\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"S\"}", now, &err) == -1, "a key with a space would break the header: refused");
	ok(strstr(buf_cstr(&err), "S\"") == NULL, "no secret in the message");
	buf_reset(&err);
	ok(PARSE(&c, "not json", now, &err) == -1, "not JSON");
	creds_free(&c);
	buf_free(&err);
	return done_testing();
}
