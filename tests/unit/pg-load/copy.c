/* copy: values written for COPY text and array literals read back. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "copytext.h"
#include "json.h"
#include "tap.h"

/* Encodes one field, decodes the row, and compares. */
static int
roundtrip(const char *s, size_t n)
{
	struct buf b = BUF_INIT(1 << 20);
	struct field f[4];
	char *out;
	int nf, same;

	if (copy_put_text(&b, s, n) == -1)
		return 0;
	if ((out = malloc(b.len + 1)) == NULL)
		return 0;
	nf = copy_decode_row(buf_cstr(&b), b.len, f, 4, out);
	same = nf == 1 && !f[0].null && f[0].len == n &&
	    memcmp(out + f[0].off, s, n) == 0 &&
	    memchr(buf_cstr(&b), '\t', b.len) == NULL &&
	    memchr(buf_cstr(&b), '\n', b.len) == NULL &&
	    memchr(buf_cstr(&b), '\r', b.len) == NULL;
	free(out);
	buf_free(&b);
	return same;
}

static uint64_t rng = 88172645463325252ULL;

static unsigned
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)rng;
}

static void
hostile(void)
{
	static const char *const cases[] = {
		"", "plain", "tab\there", "new\nline", "carriage\rreturn",
		"back\\slash", "\\", "\\\\", "\\.", "\\N", "N", "\\x41", "\\101",
		"trailing\\", "\r\n", "\t\t", "a\\tb", "quotes \" and '",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
		"\x01\x02\x1b[31m\x7f", "\xef\xbb\xbf" "BOM", "NULL",
		"\\\n\\\t\\\r",
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++)
		ok(roundtrip(cases[i], strlen(cases[i])),
		    "hostile value %zu round-trips through COPY text", i);
}

static void
random_bytes(void)
{
	char s[64];
	size_t n, k;
	int i, good = 1;

	for (i = 0; i < 20000 && good; i++) {
		n = next() % sizeof s;
		for (k = 0; k < n; k++) {
			/* Mostly the bytes COPY cares about, never NUL. */
			static const char special[] = "\\\t\n\r.N\x01\x80\xff";
			s[k] = next() % 2 ? special[next() % 9] : (char)(next() % 255 + 1);
		}
		good = roundtrip(s, n);
	}
	ok(good, "20000 random byte strings round-trip through COPY text");
}

static void
nul_and_null(void)
{
	struct buf b = BUF_INIT(64);
	struct field f[4];
	char out[64];

	buf_adds(&b, "keep");
	errno = 0;
	ok(copy_put_text(&b, "a\0b", 3) == -1 && errno == EINVAL,
	    "a NUL is refused with EINVAL");
	is_str(buf_cstr(&b), "keep", "and the buffer is left as it was");
	buf_reset(&b);
	copy_put_null(&b);
	buf_addc(&b, '\t');
	copy_put_text(&b, "", 0);
	buf_addc(&b, '\t');
	copy_put_text(&b, "\\N", 2);
	ok(copy_decode_row(buf_cstr(&b), b.len, f, 4, out) == 3 &&
	    f[0].null && !f[1].null && f[1].len == 0 && !f[2].null &&
	    f[2].len == 2 && memcmp(out + f[2].off, "\\N", 2) == 0,
	    "NULL, the empty string and the text \\N stay three things");
	buf_reset(&b);
	ok(copy_put_text(&b, "\\.", 2) == 0 &&
	    copy_decode_row(buf_cstr(&b), b.len, f, 4, out) == 1,
	    "a value \\. is not read as the end of the data");
	buf_free(&b);

	/* The decoder itself refuses what the server would. */
	ok(copy_decode_row("a\rb", 3, f, 4, out) == -1 &&
	    copy_decode_row("\\.", 2, f, 4, out) == -1,
	    "the test's reader refuses a raw CR and the end marker");
}

static void
jstrings(void)
{
	static const struct { const char *json, *text; } cases[] = {
		{ "plain", "plain" },
		{ "tab\\there", "tab\there" },
		{ "a\\\\b", "a\\b" },
		{ "q\\\"q\\/", "q\"q/" },
		{ "\\u00e9\\u65e5\\ud83d\\ude00", "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80" },
		{ "\\b\\f\\n\\r\\t\\u0001", "\b\f\n\r\t\x01" },
	};
	struct buf b = BUF_INIT(256), scratch = BUF_INIT(256);
	struct field f[2];
	char out[256];
	size_t i;
	int good;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		buf_reset(&b);
		good = copy_put_jstring(&b, &scratch, cases[i].json,
		    strlen(cases[i].json)) == 0 &&
		    copy_decode_row(buf_cstr(&b), b.len, f, 2, out) == 1;
		ok(good && f[0].len == strlen(cases[i].text) &&
		    memcmp(out + f[0].off, cases[i].text, f[0].len) == 0,
		    "JSON string %zu is unescaped and escaped for COPY", i);
	}
	buf_reset(&b);
	errno = 0;
	ok(copy_put_jstring(&b, &scratch, "a\\u0000b", 8) == -1 &&
	    errno == EINVAL && b.len == 0, "\\u0000 is refused as a NUL");
	errno = 0;
	ok(copy_put_jstring(&b, &scratch, "\\ud800x", 7) == -1 &&
	    errno == EILSEQ && b.len == 0, "a lone surrogate is refused");
	buf_free(&b);
	buf_free(&scratch);
}

static void
arrays(void)
{
	static const char *const el[] = {
		"", "NULL", "null", " spaced ", "a,b", "{x}", "q\"q", "b\\s",
		"caf\xc3\xa9", "\t\n",
	};
	struct buf b = BUF_INIT(1024);
	struct field f[16];
	char out[1024];
	size_t i;
	int n, good = 1;

	array_open(&b);
	for (i = 0; i < sizeof el / sizeof *el; i++)
		array_put_text(&b, el[i], strlen(el[i]));
	array_close(&b);
	n = array_decode(buf_cstr(&b), b.len, f, 16, out);
	ok(n == (int)(sizeof el / sizeof *el), "a text array keeps its %d "
	    "elements", n);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		good &= !f[i].null && f[i].len == strlen(el[i]) &&
		    memcmp(out + f[i].off, el[i], f[i].len) == 0;
	ok(good, "each element reads back as it was, none as NULL");

	buf_reset(&b);
	array_open(&b);
	array_put_int(&b, 0);
	array_put_int(&b, 1696287680114LL);
	array_close(&b);
	is_str(buf_cstr(&b), "{0,1696287680114}", "an integer array");
	buf_reset(&b);
	array_open(&b);
	array_close(&b);
	ok(array_decode(buf_cstr(&b), b.len, f, 16, out) == 0,
	    "an empty array is empty");
	errno = 0;
	ok(array_put_text(&b, "a\0b", 3) == -1 && errno == EINVAL,
	    "a NUL in an element is refused");
	buf_free(&b);
}

static void
caps(void)
{
	struct buf b = BUF_INIT(8);

	buf_adds(&b, "12345");
	errno = 0;
	ok(copy_put_text(&b, "a\tb", 3) == -1 && errno == EMSGSIZE &&
	    b.len == 5, "past the buffer's cap: EMSGSIZE, buffer intact");
	buf_free(&b);
}

int
main(void)
{
	hostile();
	random_bytes();
	nul_and_null();
	jstrings();
	arrays();
	caps();
	return done_testing();
}
