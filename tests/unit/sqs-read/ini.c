/* ini: the AWS shared files as AWS's tools read them. */
#include <string.h>

#include "ini.h"
#include "tap.h"

static const char text[] =
	"# a comment\n"
	"; another\n"
	"[default]\n"
	"region = us-east-1\n"
	"\n"
	"[profile  work]\r\n"
	"region=eu-west-1\r\n"
	"s3 =\n"
	"    region = nested-is-not-ours\n"
	"AWS_Access_Key_ID =  AKID  \n"
	"empty =\n"
	"[broken\n"
	"region = after-broken\n"
	"[work]\n"
	"region = creds-file-style\n"
	"[profile work]\n"
	"region = last-wins\n";

static const char *
get(const char *sec, const char *key)
{
	static struct buf v = BUF_INIT(64);
	int r = ini_get(text, strlen(text), sec, key, &v);

	return r == 1 ? buf_cstr(&v) : r == 0 ? "(none)" : "(error)";
}

int
main(void)
{
	struct buf v = BUF_INIT(3), s = BUF_INIT(64);

	is_str(get("default", "region"), "us-east-1", "a plain key");
	is_str(get("profile work", "region"), "last-wins", "a repeated section: the last value wins");
	is_str(get("profile work", "aws_access_key_id"), "AKID", "keys ignore case; values are trimmed");
	is_str(get("profile work", "empty"), "", "an empty value");
	is_str(get("profile work", "s3"), "", "a nested block's head");
	is_str(get("work", "region"), "creds-file-style", "sections are exact names");
	is_str(get("default", "missing"), "(none)", "a missing key");
	is_str(get("nope", "region"), "(none)", "a missing section");
	ok(ini_has_section(text, strlen(text), "profile work"), "has profile work");
	ok(!ini_has_section(text, strlen(text), "broken"), "an unclosed header is no section");
	ok(ini_get(text, strlen(text), "profile work", "aws_access_key_id", &v) == -1,
	    "a value over the cap is an error");
	ok(ini_get("[a]\nk=v", 5, "a", "k", &v) == 0, "stops at the given length");
	ini_profile_section(&s, "work", 1);
	is_str(buf_cstr(&s), "profile work", "config file: profile NAME");
	ini_profile_section(&s, "default", 1);
	is_str(buf_cstr(&s), "default", "config file: default");
	ini_profile_section(&s, "work", 0);
	is_str(buf_cstr(&s), "work", "credentials file: NAME");
	buf_free(&s);
	return done_testing();
}
