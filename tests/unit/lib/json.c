/*
 * json: the strict grammar check jsmn lacks, unescaping to UTF-8 with
 * the hostile cases refused, and string writing that round-trips.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static struct json j;

static int
parse(const char *s)
{
	return json_parse(&j, s, strlen(s));
}

static void
accepts(const char *s)
{
	int r = parse(s);

	ok(r == JSON_OK, "accepts %s%s%s", s, r ? ": " : "",
	    r ? json_strerror(r) : "");
}

static void
refuses(const char *s, int want, const char *why)
{
	int r = json_parse(&j, s, strlen(s));

	ok(r == want, "refuses %s (%s): got %s", why, json_strerror(want),
	    json_strerror(r));
}

static void
grammar(void)
{
	static const char *good[] = {
		"{}", "[]", " {\"a\" : [1, -0, 2.5e-3, true, false, null]} ",
		"{\"a\":{\"b\":{\"c\":[]}}}", "\"bare string\"", "42", "-0.5E+2",
		"null", "[\"\\u00e9\\ud83d\\ude00\\n\\\"\"]", "{\"\":\"\"}",
		"[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++)
		accepts(good[i]);

	refuses("", JSON_ESYNTAX, "empty input");
	refuses("  \n", JSON_ESYNTAX, "only whitespace");
	refuses("tru", JSON_ESYNTAX, "a truncated literal");
	refuses("[True]", JSON_ESYNTAX, "a capitalised literal");
	refuses("[nul]", JSON_ESYNTAX, "nul");
	refuses("[01]", JSON_ESYNTAX, "a leading zero");
	refuses("[1.]", JSON_ESYNTAX, "a bare decimal point");
	refuses("[.5]", JSON_ESYNTAX, "a missing integer part");
	refuses("[+1]", JSON_ESYNTAX, "a plus sign");
	refuses("[1e]", JSON_ESYNTAX, "an empty exponent");
	refuses("[-]", JSON_ESYNTAX, "a lone minus");
	refuses("[1,]", JSON_ESYNTAX, "a trailing comma in an array");
	refuses("{\"a\":1,}", JSON_ESYNTAX, "a trailing comma in an object");
	refuses("[1 2]", JSON_ESYNTAX, "a missing comma");
	refuses("{\"a\":1 \"b\":2}", JSON_ESYNTAX, "a missing comma in an object");
	refuses("{\"a\" 1}", JSON_ESYNTAX, "a missing colon");
	refuses("{\"a\"}", JSON_ESYNTAX, "a key without a value");
	refuses("{1:2}", JSON_ESYNTAX, "a number as a key");
	refuses("{,\"a\":1}", JSON_ESYNTAX, "a leading comma");
	refuses("{}{}", JSON_ESYNTAX, "two values");
	refuses("{\"a\":1}x", JSON_ESYNTAX, "trailing garbage");
	refuses("[1}", JSON_ESYNTAX, "mismatched brackets");
	refuses("{\"a\":[1}", JSON_ESYNTAX, "an unclosed array");
	refuses("[[[", JSON_ESYNTAX, "unclosed containers");
	refuses("]", JSON_ESYNTAX, "a lone closing bracket");
	refuses("\"abc", JSON_ESYNTAX, "an unterminated string");
	refuses("['a']", JSON_ESYNTAX, "single quotes");
	refuses("[\"a\tb\"]", JSON_ECTRL, "a raw tab in a string");
	refuses("[\"a\nb\"]", JSON_ECTRL, "a raw newline in a string");
	refuses("[\"\\x41\"]", JSON_EESCAPE, "an unknown escape");
	refuses("[\"\\u12\"]", JSON_EESCAPE, "a short \\u escape");
	refuses("[\"\\u12g4\"]", JSON_EESCAPE, "a \\u escape with a non-hex digit");
	refuses("[\"\xc0\x80\"]", JSON_EUTF8, "an overlong NUL");
	refuses("[\"\xe0\x80\xaf\"]", JSON_EUTF8, "an overlong slash");
	refuses("[\"\xed\xa0\x80\"]", JSON_EUTF8, "an encoded surrogate");
	refuses("[\"\xf4\x90\x80\x80\"]", JSON_EUTF8, "a code point past U+10FFFF");
	refuses("[\"\xf5\x80\x80\x80\"]", JSON_EUTF8, "an F5 lead byte");
	refuses("[\"\x80\"]", JSON_EUTF8, "a stray continuation byte");
	refuses("[\"\xc3\"]", JSON_EUTF8, "a truncated sequence");
	refuses("[\"\xff\"]", JSON_EUTF8, "an FF byte");
	ok(json_parse(&j, "[\"a\0b\"]", 7) == JSON_ENUL, "refuses a raw NUL in a string");
	ok(json_parse(&j, "[1]\0", 4) != JSON_OK, "refuses a NUL after the value");
}

static void
nesting(void)
{
	size_t n = 200000, deep = 5000, i;
	char *s = malloc(2 * n + 1);
	struct json big;

	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	s[2 * n] = '\0';
	ok(json_parse(&j, s, 2 * n) == JSON_ETOOBIG,
	    "200000 levels of nesting past the token cap: too big, no crash");
	/* Deep enough to blow a recursive parser's stack, within a cap. */
	json_init(&big, 2 * deep);
	memmove(s, s + n - deep, 2 * deep);
	ok(json_parse(&big, s, 2 * deep) == JSON_OK && big.ntok == (int)deep,
	    "5000 levels parsed without recursion when the cap allows it");
	s[deep] = '}';
	ok(json_parse(&big, s, 2 * deep) == JSON_ESYNTAX,
	    "a wrong bracket deep inside is found");
	json_free(&big);
	free(s);
}

static void
tokens(void)
{
	const char *s = "{\"x\":[1,{\"y\":2}],\"us\\u0065r\":\"bob\",\"n\":null,"
	    "\"user\":\"second\"}";
	struct buf b = BUF_INIT(100);
	int v;

	ok(parse(s) == JSON_OK && j.tok[0].type == JSMN_OBJECT &&
	    j.tok[0].size == 4, "an object with four keys");
	ok(json_skip(&j, 2) == 7, "skip passes over a nested array");
	v = json_get(&j, 0, "user");
	ok(v > 0 && json_tokstr(&j, v, &b) == JSON_OK && strcmp(b.data, "bob") == 0,
	    "get finds a key spelled with an escape, first match wins");
	ok(json_get(&j, 0, "y") == -1, "get does not look into nested objects");
	v = json_get(&j, 0, "n");
	ok(v > 0 && json_isnull(&j, v), "null is recognised");
	ok(json_get(&j, 1, "x") == -1, "get on a non-object finds nothing");
	ok(parse("\"just a string\"") == JSON_OK && j.ntok == 1 &&
	    j.tok[0].type == JSMN_STRING, "a bare string is one string token");
	buf_free(&b);
}

static int
unesc(const char *in, const char *want, size_t wantlen)
{
	struct buf b = BUF_INIT(1000);
	int r, good;

	buf_adds(&b, "pre");
	r = json_unescape(&b, in, strlen(in));
	good = r == JSON_OK && b.len == 3 + wantlen &&
	    memcmp(b.data + 3, want, wantlen) == 0;
	buf_free(&b);
	return good;
}

static int
unesc_err(const char *in, size_t n)
{
	struct buf b = BUF_INIT(1000);
	int r;

	buf_adds(&b, "pre");
	r = json_unescape(&b, in, n);
	if (r != JSON_OK && b.len != 3)
		r = -1;		/* an error must leave the buffer as it was */
	buf_free(&b);
	return r;
}

static void
unescape(void)
{
	ok(unesc("plain", "plain", 5), "plain text is copied");
	ok(unesc("a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t", "a\"b\\c/d\b\f\n\r\t", 12),
	    "the two-character escapes");
	ok(unesc("\\u0041\\u00e9\\u20ac", "A\xc3\xa9\xe2\x82\xac", 6),
	    "\\u escapes become UTF-8");
	ok(unesc("\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4),
	    "a surrogate pair becomes one 4-byte character");
	ok(unesc("\\uD83D\\uDE00", "\xf0\x9f\x98\x80", 4), "upper-case hex too");
	ok(unesc("\\uffff\\u0001", "\xef\xbf\xbf\x01", 4),
	    "U+FFFF and U+0001 pass");
	is_int(unesc_err("\\ud800", 6), JSON_ESURROGATE, "a lone high surrogate");
	is_int(unesc_err("\\udc00", 6), JSON_ESURROGATE, "a lone low surrogate");
	is_int(unesc_err("\\ud800\\u0041", 12), JSON_ESURROGATE,
	    "a high surrogate before a normal character");
	is_int(unesc_err("\\ud800\\ud800", 12), JSON_ESURROGATE,
	    "two high surrogates");
	is_int(unesc_err("\\ud800x", 7), JSON_ESURROGATE,
	    "a high surrogate before plain text");
	is_int(unesc_err("\\u0000", 6), JSON_ENUL, "an escaped NUL");
	is_int(unesc_err("a\0b", 3), JSON_ENUL, "a raw NUL");
	is_int(unesc_err("\xc0\xaf", 2), JSON_EUTF8, "overlong UTF-8");
	is_int(unesc_err("ok\xed\xb0\x80", 5), JSON_EUTF8, "an encoded surrogate");
	is_int(unesc_err("\\q", 2), JSON_EESCAPE, "an unknown escape");
	is_int(unesc_err("abc\\", 4), JSON_EESCAPE, "a trailing backslash");
	is_int(unesc_err("\\u00", 4), JSON_EESCAPE, "a short \\u escape");
}

static void
writing(void)
{
	struct buf b = BUF_INIT(1 << 16), back = BUF_INIT(1 << 16);
	unsigned char all[127];
	unsigned seed = 12345;
	int i, k, good = 1;

	json_put_str(&b, "a\"b\\c\n\t\x01\x1f/\x7f", 11);
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\\u007f\"",
	    "quotes, backslashes and control characters (DEL too) are escaped");
	buf_reset(&b);
	json_put_str(&b, "x\0y", 3);
	is_str(buf_cstr(&b), "\"x\\u0000y\"", "NUL is written as \\u0000");
	buf_reset(&b);
	json_put_str(&b, "caf\xc3\xa9 \xf0\x9f\x98\x80", 10);
	is_str(buf_cstr(&b), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
	    "valid UTF-8 passes unchanged");
	buf_reset(&b);
	buf_adds(&b, "keep");
	ok(json_put_str(&b, "bad\xff", 4) == JSON_EUTF8 && b.len == 4,
	    "invalid UTF-8 is refused and the buffer left as it was");
	ok(json_put_str(&b, "\xed\xa0\x80", 3) == JSON_EUTF8,
	    "an encoded surrogate is refused");
	buf_reset(&b);
	json_put_key(&b, "k");
	json_put_int(&b, -9223372036854775807LL - 1);
	buf_addc(&b, ',');
	json_put_int(&b, 0);
	is_str(buf_cstr(&b), "\"k\":-9223372036854775808,0", "keys and integers");

	/* Every ASCII byte, then random UTF-8: write, parse, unescape. */
	for (i = 0; i < 127; i++)
		all[i] = (unsigned char)(i + 1);
	for (k = 0; k < 2000 && good; k++) {
		char s[64];
		size_t n = 0;

		if (k == 0) {
			memcpy(s, all, 63);
			n = 63;
		}
		while (k > 0 && n < 56) {
			unsigned cp;

			seed = seed * 1103515245 + 12345;
			cp = (seed >> 8) % 0x110000;
			if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
				continue;
			if (cp < 0x80) {
				s[n++] = (char)cp;
			} else if (cp < 0x800) {
				s[n++] = (char)(0xc0 | cp >> 6);
				s[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				s[n++] = (char)(0xe0 | cp >> 12);
				s[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
				s[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				s[n++] = (char)(0xf0 | cp >> 18);
				s[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
				s[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
				s[n++] = (char)(0x80 | (cp & 0x3f));
			}
		}
		buf_reset(&b);
		buf_reset(&back);
		good = json_put_str(&b, s, n) == JSON_OK &&
		    json_parse(&j, b.data, b.len) == JSON_OK &&
		    json_tokstr(&j, 0, &back) == JSON_OK &&
		    back.len == n && memcmp(back.data, s, n) == 0;
		if (!good)
			tap_diag_mem("failed on", s, n);
	}
	ok(good, "2000 strings round-trip through write, parse and unescape");
	buf_free(&b);
	buf_free(&back);
}

int
main(void)
{
	json_init(&j, 1000);
	grammar();
	nesting();
	tokens();
	unescape();
	writing();
	json_free(&j);
	return done_testing();
}
