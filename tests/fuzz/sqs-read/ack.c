/*
 * Fuzz target: ack lines, as sqs-read reads them from the stage
 * downstream.  Properties: no crash or leak; an ack accepted has a
 * non-empty handle inside the parser's buffer, and its reason, when
 * refused, is one of the fixed strings (never text from the line).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ack.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ack_parser p;
	static int init;
	struct ack a;
	const char *why = NULL;
	char *line;
	int r;

	if (!init) {
		if (ack_parser_init(&p) == -1)
			abort();
		init = 1;
	}
	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	r = ack_parse(&p, line, size, &a, &why);
	if (r >= 0 && (a.handle == NULL || a.hlen == 0 || a.handle != p.handle.data ||
	    (a.action != ACK_DELETE && a.action != ACK_RELEASE)))
		abort();
	if (r != 0 && (why == NULL || (why >= line && why < line + size + 1)))
		abort();
	free(line);
	return 0;
}
