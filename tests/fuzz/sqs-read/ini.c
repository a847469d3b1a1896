/*
 * Fuzz target: the AWS shared credentials and config files, and the
 * credentials documents of the container and instance endpoints.
 * Properties: no crash or leak, no read past the text; a value found
 * fits its buffer's cap and is trimmed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "ini.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = { "default", "profile work", "work" };
	static const char *const keys[] = { "region", "aws_access_key_id", "ca_bundle" };
	struct buf v = BUF_INIT(256), err = BUF_INIT(1024);
	struct creds c;
	char *text;
	size_t i, k;
	int r;

	if ((text = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	for (i = 0; i < 3; i++) {
		(void)ini_has_section(text, size, sections[i]);
		for (k = 0; k < 3; k++) {
			r = ini_get(text, size, sections[i], keys[k], &v);
			if (r == 1 && (v.len > v.max || (v.len > 0 &&
			    (v.data[0] == ' ' || v.data[v.len - 1] == ' '))))
				abort();
		}
	}
	creds_init(&c);
	(void)creds_parse_json(&c, text, size, 1700000000, &err);
	creds_free(&c);
	free(text);
	buf_free(&v);
	buf_free(&err);
	return 0;
}
