/* endpoint: URLs, origins, and the regions Amazon SQS hosts name. */
#include <string.h>

#include "endpoint.h"
#include "tap.h"

static const char *
region(const char *host)
{
	static struct buf b = BUF_INIT(64);

	return region_from_host(&b, host) == 0 ? buf_cstr(&b) : "(none)";
}

int
main(void)
{
	struct endpoint e = { BUF_INIT(4096), BUF_INIT(1024), BUF_INIT(4096), 0 };
	struct buf b = BUF_INIT(4096);
	const char *why;

	is_str(region("sqs.eu-west-1.amazonaws.com"), "eu-west-1", "sqs.REGION");
	is_str(region("sqs-fips.us-gov-west-1.amazonaws.com"), "us-gov-west-1", "FIPS");
	is_str(region("us-east-2.queue.amazonaws.com"), "us-east-2", "legacy REGION.queue");
	is_str(region("sqs.cn-north-1.amazonaws.com.cn:443"), "cn-north-1", "China, with a port");
	is_str(region("SQS.EU-WEST-1.AMAZONAWS.COM"), "eu-west-1", "case folded");
	is_str(region("sqs.us-east-1.localhost"), "(none)", "an emulator names none");
	is_str(region("evil.sqs.eu-west-1.amazonaws.com.example"), "(none)", "a look-alike");
	is_str(region("sqs.a.b.amazonaws.com"), "(none)", "dots in the region");

	ok(endpoint_parse(&e, "https://sqs.eu-west-1.amazonaws.com", &why) == 0 && e.https,
	    "https endpoint");
	is_str(buf_cstr(&e.host), "sqs.eu-west-1.amazonaws.com", "its host");
	is_str(buf_cstr(&e.path), "/", "its path");
	is_str(buf_cstr(&e.url), "https://sqs.eu-west-1.amazonaws.com/", "its URL");
	ok(endpoint_parse(&e, "http://127.0.0.1:4566/prefix/", &why) == 0 && !e.https,
	    "http endpoint with a port and path");
	is_str(buf_cstr(&e.host), "127.0.0.1:4566", "host with port");
	is_str(buf_cstr(&e.path), "/prefix/", "path kept");
	ok(endpoint_parse(&e, "ftp://x/", &why) == -1 && strstr(why, "http") != NULL, "ftp refused");
	ok(endpoint_parse(&e, "http://u:p@x/", &why) == -1, "credentials in a URL refused");
	ok(endpoint_parse(&e, "http://x/?a=b", &why) == -1, "a query refused");
	ok(endpoint_parse(&e, "not a url", &why) == -1, "not a URL");

	ok(url_origin(&b, "https://sqs.eu-west-1.amazonaws.com/123456789012/q") == 0,
	    "origin of a queue URL");
	is_str(buf_cstr(&b), "https://sqs.eu-west-1.amazonaws.com", "scheme and host");
	ok(url_origin(&b, "queue-name") == -1, "a name has none");
	ok(is_url("HTTPS://x") && !is_url("login-queue"), "URL or name");
	endpoint_default(&b, "eu-west-1");
	is_str(buf_cstr(&b), "https://sqs.eu-west-1.amazonaws.com", "default endpoint");
	endpoint_default(&b, "cn-north-1");
	is_str(buf_cstr(&b), "https://sqs.cn-north-1.amazonaws.com.cn", "China's");
	ok(region_valid("us-east-1") && !region_valid("US") && !region_valid(""), "region names");
	ok(host_is_loopback("127.0.0.1") && host_is_loopback("127.8.9.1") &&
	    host_is_loopback("[::1]") && host_is_loopback("localhost") &&
	    !host_is_loopback("169.254.170.2") && !host_is_loopback("10.0.0.1"), "loopback");
	endpoint_free(&e);
	buf_free(&b);
	return done_testing();
}
