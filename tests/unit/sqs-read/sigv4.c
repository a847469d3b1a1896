/*
 * sigv4: AWS's published Signature Version 4 test vectors (the
 * aws-sig-v4-test-suite: get-vanilla, get-vanilla-query-order-key-case,
 * post-vanilla), the canonical forms they rest on, and an SQS request
 * signed with a session token.
 */
#include <string.h>

#include "sigv4.h"
#include "tap.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static struct sigv4_req
vector(const char *method, const char *path, const char *query,
    const struct sigv4_header *h, size_t nh)
{
	struct sigv4_req r;

	memset(&r, 0, sizeof r);
	r.method = method;
	r.path = path;
	r.query = query;
	r.headers = h;
	r.nheaders = nh;
	r.payload = "";
	r.access_key = "AKIDEXAMPLE";
	r.secret_key = SECRET;
	r.region = "us-east-1";
	r.service = "service";
	r.amz_date = "20150830T123600Z";
	return r;
}

static void
check(const char *name, struct sigv4_req r, const char *sig)
{
	struct buf b = BUF_INIT(4096);
	char want[512];

	snprintf(want, sizeof want, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
	    "20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=%s", sig);
	ok(sigv4_authorization(&b, &r) == 0, "%s: signs", name);
	is_str(buf_cstr(&b), want, name);
	buf_free(&b);
}

int
main(void)
{
	static const struct sigv4_header base[] = {
		{ "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" },
	};
	struct sigv4_header h[6];
	struct sigv4_req r;
	struct buf b = BUF_INIT(4096);
	char hex[65], date[17];

	check("get-vanilla", vector("GET", "/", NULL, base, 2),
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	check("get-vanilla-query-order-key-case",
	    vector("GET", "/", "Param2=value2&Param1=value1", base, 2),
	    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
	check("post-vanilla", vector("POST", "/", NULL, base, 2),
	    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");

	/* get-vanilla's canonical request, as the suite gives it. */
	ok(sigv4_canonical_request(&b, &(struct sigv4_req){ .method = "GET", .path = "/",
	    .headers = base, .nheaders = 2, .payload = "" }) == 0, "canonical request");
	is_str(buf_cstr(&b), "GET\n/\n\nhost:example.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "canonical request of get-vanilla");

	/* Header names fold to lower case and sort; values are trimmed and folded. */
	h[0] = (struct sigv4_header){ "X-B", "  two   words  " };
	h[1] = (struct sigv4_header){ "x-a", "1" };
	h[2] = (struct sigv4_header){ "X-B", "again" };
	buf_reset(&b);
	ok(sigv4_canonical_request(&b, &(struct sigv4_req){ .method = "POST",
	    .path = "/a b/\xe1\x88\xb4", .query = "b=2&a=x y&a=1", .headers = h,
	    .nheaders = 3, .payload = "x", .payload_len = 1 }) == 0, "canonical forms");
	sha256_hex(hex, "x", 1);
	{
		char want[512];
		snprintf(want, sizeof want, "POST\n/a%%20b/%%E1%%88%%B4\na=1&a=x%%20y&b=2\n"
		    "x-a:1\nx-b:two words,again\n\nx-a;x-b\n%s", hex);
		is_str(buf_cstr(&b), want, "path encoded, query sorted, headers joined");
	}
	h[0] = (struct sigv4_header){ "X-Bad", "line\nbreak" };
	buf_reset(&b);
	ok(sigv4_canonical_request(&b, &(struct sigv4_req){ .method = "GET", .path = "/",
	    .headers = h, .nheaders = 1, .payload = "" }) == -1,
	    "a header value with a newline is refused");

	/* An SQS call with a session token: the token is signed. */
	h[0] = (struct sigv4_header){ "Content-Type", "application/x-amz-json-1.0" };
	h[1] = (struct sigv4_header){ "Host", "sqs.eu-west-1.amazonaws.com" };
	h[2] = (struct sigv4_header){ "X-Amz-Date", "20240501T000000Z" };
	h[3] = (struct sigv4_header){ "X-Amz-Target", "AmazonSQS.ReceiveMessage" };
	h[4] = (struct sigv4_header){ "X-Amz-Security-Token", "tok" };
	r = vector("POST", "/", NULL, h, 5);
	r.region = "eu-west-1";
	r.service = "sqs";
	r.amz_date = "20240501T000000Z";
	r.payload = "{}";
	r.payload_len = 2;
	buf_reset(&b);
	ok(sigv4_authorization(&b, &r) == 0 && strstr(buf_cstr(&b),
	    "Credential=AKIDEXAMPLE/20240501/eu-west-1/sqs/aws4_request, SignedHeaders="
	    "content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=") != NULL,
	    "an SQS request signs its headers and the session token");
	{
		struct buf b2 = BUF_INIT(4096);
		h[4].value = "other";
		sigv4_authorization(&b2, &r);
		ok(strcmp(buf_cstr(&b), buf_cstr(&b2)) != 0, "a different token, a different signature");
		buf_free(&b2);
	}
	sigv4_amz_date(date, 1440938160);
	is_str(date, "20150830T123600Z", "X-Amz-Date form");
	buf_free(&b);
	return done_testing();
}
