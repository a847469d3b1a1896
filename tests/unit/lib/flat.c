/*
 * flat: the fast reader of flat objects leaves json_parse's tokens, says
 * which strings hold escapes, declines everything else, and unescapes
 * as json_unescape does; at every offset of the 64-byte blocks it reads.
 */
#include <stdio.h>
#include <string.h>

#include "flat.h"
#include "json.h"
#include "tap.h"

static struct json j1, j2;
static unsigned char esc[64];

/* flat_parse leaves what json_parse would, or declines. */
static void
same(void)
{
	static const char *const same[] = {
		"{}", " { } ", "{\"a\":1}", "{\"a\":\"x\\\"y\",\"b\":null,\"c\":true,"
		"\"d\":false,\"e\":-0.5E+3}", "{\"k\\u00e9\":\"\xc3\xa9\"}\r\n",
		"{\"a\":\"0123456789abcdefghijklmnopqrstuvwxyz\",\"a\":2}",
		"\t{ \"a\" : \"\" ,\n\"b\" :0 }",
	};
	static const char *const declined[] = {
		"{\"a\":{}}", "{\"a\":[1]}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":tru}", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1]",
		"{\"a\":1}x", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12g4\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":1",
		"{\"a\":\"abc", "{\"a\":nullx}", "\"a\"", "1", "", "{\"a\":1}{}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1 2}",
	};
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof same / sizeof *same; i++) {
		size_t n = strlen(same[i]);

		good &= flat_parse(&j1, same[i], n, esc) == 0 &&
		    json_parse(&j2, same[i], n) == JSON_OK && j1.ntok == j2.ntok &&
		    memcmp(j1.tok, j2.tok, (size_t)j1.ntok * sizeof *j1.tok) == 0;
	}
	ok(good, "flat objects: the same tokens as json_parse");
	for (i = 0, good = 1; i < sizeof declined / sizeof *declined; i++)
		good &= flat_parse(&j1, declined[i], strlen(declined[i]), esc) == -1;
	ok(good, "nested values and bad JSON are left to json_parse");
}

static void
escapes(void)
{
	const char *s = "{\"a\\n\":\"x\",\"b\":\"\\u00e9\",\"c\":\"plain\"}";

	ok(flat_parse(&j1, s, strlen(s), esc) == 0 && esc[1] && !esc[2] &&
	    !esc[3] && esc[4] && !esc[5] && !esc[6],
	    "esc marks exactly the strings holding a backslash");
}

/* More pairs than the token cap: declined, and json_parse says why. */
static void
cap(void)
{
	char s[512];
	size_t n = 0;
	int i;

	s[n++] = '{';
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(s + n, sizeof s - n, "%s\"k%d\":%d",
		    i ? "," : "", i, i);
	s[n++] = '}';
	ok(flat_parse(&j1, s, n, esc) == -1 &&
	    json_parse(&j1, s, n) == JSON_ETOOBIG,
	    "past the token cap: declined, and too big for json_parse");
}

/*
 * A text inside a string, read where it stands: the tokens json_parse
 * leaves for it unescaped, offsets aside; declined if it holds escapes
 * of its own or anything flat_parse would decline.
 */
static void
inner(void)
{
	static const char *const same[] = {
		"{}", " { } ", "{\\\"a\\\": 1}",
		"{\\\"user_id\\\": \\\"u1\\\", \\\"n\\\": -0.5e3, \\\"l\\\": null, "
		"\\\"t\\\": true, \\\"f\\\":false,\\\"\\\":\\\"\xc3\xa9\\\"}",
		"{\\\"a\\\":\\\"0123456789abcdefghijklmnopqrstuvwxyz\\\",\\\"a\\\":2}",
	};
	static const char *const declined[] = {
		"{\\\"a\\\": \\\"x\\\\\\\\y\\\"}", "{\\\"a\\\":\\n1}",
		"{\\\"a\\\": \\\"\\u00e9\\\"}", "{\\\"a\\\": 1\\\"}", "{\"a\":1}",
		"{\\\"a\\\":{}}", "{\\\"a\\\":[1]}", "{\\\"a\\\":1} x",
		"{\\\"a\\\":01}", "{\\\"a\\\":1,}", "{\\\"a\\\" 1}", "{\\\"a\\\":\\\"b}",
		"{\\\"a\\\":\\\"b\\\\\\\"}", "",
	};
	struct buf u = BUF_INIT(256);
	const jsmntok_t *x, *y;
	size_t i;
	int k, good = 1;

	for (i = 0; i < sizeof same / sizeof *same; i++) {
		size_t n = strlen(same[i]);

		buf_reset(&u);
		good &= flat_parse_inner(&j1, same[i], n, esc) == 0 &&
		    json_unescape(&u, same[i], n) == JSON_OK &&
		    json_parse(&j2, u.data, u.len) == JSON_OK &&
		    j1.ntok == j2.ntok;
		for (k = 0; good && k < j1.ntok; k++) {
			x = &j1.tok[k];
			y = &j2.tok[k];
			good = x->type == y->type && x->size == y->size &&
			    x->parent == y->parent && (x->type == JSMN_OBJECT ||
			    (x->end - x->start == y->end - y->start &&
			    memcmp(same[i] + x->start, u.data + y->start,
			    (size_t)(x->end - x->start)) == 0)) &&
			    (x->type != JSMN_STRING || esc[k] == 0);
		}
		if (!good)
			tap_diag_mem("failed on", same[i], n);
	}
	ok(good, "a text inside a string: json_parse's tokens for it unescaped");
	for (i = 0, good = 1; i < sizeof declined / sizeof *declined; i++)
		good &= flat_parse_inner(&j1, declined[i], strlen(declined[i]),
		    esc) == -1;
	ok(good, "escapes of its own, other whitespace and bad JSON are declined");
	buf_free(&u);
}

/*
 * The text {"k":"<a run of x><what>..."} with what at each offset from
 * 0 to 140, so that it falls before, across and after block bounds:
 * flat_parse accepts exactly when json_parse does, with its tokens, and
 * flat_unescape gives json_unescape's text and result.
 */
static void
offsets(void)
{
	static const char *const what[] = {
		"\\\"", "\\\\", "\\\\\\\"", "\\n\\t\\/", "\\u00e9", "\\ud83d\\ude00",
		"\xc3\xa9", "\xe2\x82\xac\\\"", "\\ud800", "\\u0000", "\\x", "\x01",
		"\xc3", "\"", "\\", "\\\\\\",
	};
	char s[400];
	struct buf a = BUF_INIT(400), b = BUF_INIT(400);
	size_t i, k, n, pos;
	int good = 1, fr, jr, ua, ub;

	for (i = 0; i < sizeof what / sizeof *what; i++) {
		for (pos = 0; pos <= 140; pos++) {
			n = (size_t)snprintf(s, sizeof s, "{\"k\":\"");
			for (k = 0; k < pos; k++)
				s[n++] = (char)('a' + k % 26);
			n += (size_t)snprintf(s + n, sizeof s - n,
			    "%s%s\"}", what[i], pos % 3 ? "\\\"tail" : "");
			fr = flat_parse(&j1, s, n, esc);
			jr = json_parse(&j2, s, n);
			if (fr == 0 && (jr != JSON_OK || j1.ntok != j2.ntok ||
			    memcmp(j1.tok, j2.tok, (size_t)j1.ntok *
			    sizeof *j1.tok) != 0 || !esc[2] != !memchr(s + 6,
			    '\\', (size_t)(j1.tok[2].end - 6))))
				good = 0;
			if (fr != 0 && jr == JSON_OK)
				good = 0;	/* flat, so it should take it */
			if (fr != 0)
				continue;
			buf_reset(&a);
			buf_reset(&b);
			ua = flat_unescape(&a, s + 6, (size_t)(j1.tok[2].end - 6));
			ub = json_unescape(&b, s + 6, (size_t)(j1.tok[2].end - 6));
			if (ua != ub || (ua == JSON_OK && (a.len != b.len ||
			    memcmp(a.data, b.data, a.len) != 0)))
				good = 0;
			if (!good) {
				tap_diag_mem("failed on", s, n);
				goto done;
			}
		}
	}
done:
	ok(good, "escapes, runs of backslashes, UTF-8, controls and quotes at "
	    "every block offset: json_parse's tokens, json_unescape's text");
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	json_init(&j1, 64);
	json_init(&j2, 64);
	same();
	escapes();
	cap();
	inner();
	offsets();
	json_free(&j1);
	json_free(&j2);
	return done_testing();
}
