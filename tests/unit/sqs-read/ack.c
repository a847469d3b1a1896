/* ack: what an ack line asks for, and how bad ones are refused. */
#include <string.h>

#include "ack.h"
#include "tap.h"

static struct ack_parser p;

static int
parse(const char *line, struct ack *a, const char **why)
{
	*why = NULL;
	return ack_parse(&p, line, strlen(line), a, why);
}

int
main(void)
{
	struct ack a;
	const char *why;

	ok(ack_parser_init(&p) == 0, "init");
	ok(parse("{\"message_id\":\"m1\",\"receipt_handle\":\"rh\\/1\",\"status\":\"loaded\"}",
	    &a, &why) == 0 && a.action == ACK_DELETE, "loaded deletes");
	is_mem(a.handle, a.hlen, "rh/1", 4, "the handle, unescaped");
	is_mem(a.id, a.idlen, "m1", 2, "the id");
	ok(parse("{\"receipt_handle\":\"r\",\"status\":\"duplicate\"}", &a, &why) == 0 &&
	    a.action == ACK_DELETE && a.id == NULL, "duplicate deletes; no id");
	ok(parse("{\"receipt_handle\":\"r\",\"status\":\"rejected\"}", &a, &why) == 0 &&
	    a.action == ACK_DELETE, "rejected deletes");
	ok(parse("{\"receipt_handle\":\"r\",\"status\":\"released\"}", &a, &why) == 0 &&
	    a.action == ACK_RELEASE, "released gives back");
	ok(parse("{\"receipt_handle\":\"r\",\"release\":true}", &a, &why) == 0 &&
	    a.action == ACK_RELEASE, "release: true gives back");
	ok(parse("{\"message_id\":\"m\",\"receipt_handle\":\"r\",\"sent_timestamp\":1,"
	    "\"receive_count\":1,\"body\":\"{}\"}", &a, &why) == 0 && a.action == ACK_DELETE,
	    "a whole message record is an ack");
	ok(parse("{\"receipt_handle\":\"r\",\"status\":\"weird\"}", &a, &why) == 1 &&
	    a.action == ACK_RELEASE && strstr(why, "unknown status"),
	    "an unknown status gives back, with a warning");
	ok(parse("{\"message_id\":\"m9\"}", &a, &why) == -1 && a.id != NULL &&
	    strcmp(why, "no receipt_handle") == 0, "no handle: refused, id kept for the warning");
	ok(parse("{\"receipt_handle\":7}", &a, &why) == -1, "a number for a handle");
	ok(parse("{\"receipt_handle\":\"\"}", &a, &why) == -1, "an empty handle");
	ok(parse("[1]", &a, &why) == -1 && strcmp(why, "not a JSON object") == 0, "an array");
	ok(parse("{\"receipt_handle\":\"r\"", &a, &why) == -1 && strcmp(why, "not valid JSON") == 0,
	    "truncated");
	ok(parse("{\"receipt_handle\":\"r\"}{}", &a, &why) == -1, "two objects");
	ok(parse("{\"receipt_handle\":\"r\\u0000\"}", &a, &why) == -1, "a NUL in the handle");
	{
		char deep[4000];
		memset(deep, '[', sizeof deep - 1);
		deep[sizeof deep - 1] = '\0';
		ok(parse(deep, &a, &why) == -1, "deep nesting is refused: %s", why);
	}
	ok(parse("{\"receipt_handle\":\"r\",\"status\":null}", &a, &why) == 0 &&
	    a.action == ACK_DELETE, "a null status deletes");
	ack_parser_free(&p);
	return done_testing();
}
