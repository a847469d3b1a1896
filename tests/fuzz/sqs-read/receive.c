/*
 * Fuzz target: the SQS response parsers sqs-read runs on what the
 * network gives it (ReceiveMessage, the batch results, errors,
 * GetQueueUrl).  Properties: no crash, no leak, no read outside the
 * input; every message handed out either has a problem or an id, a
 * handle and a body whose MD5 matched, and its record parses back to
 * the same body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "sqs.h"

static struct json back;

static void
check(const struct sqs_msg *m, void *arg)
{
	struct buf rec = BUF_INIT(8 << 20), body = BUF_INIT(2 << 20);
	int i;

	(void)arg;
	if (m->problem != NULL)
		return;
	if (m->id == NULL || m->handle == NULL || m->body == NULL ||
	    record_put(&rec, m) == -1 ||
	    json_parse(&back, rec.data, rec.len - 1) != JSON_OK ||
	    (i = json_get(&back, 0, "body")) < 0 ||
	    json_tokstr(&back, i, &body) != JSON_OK || body.len != m->blen ||
	    memcmp(body.data ? body.data : "", m->body, m->blen) != 0)
		abort();
	buf_free(&rec);
	buf_free(&body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sqs_parser p;
	static int init;
	struct sqs_batch_result br;
	struct sqs_error e;
	struct buf err = BUF_INIT(1024), url = BUF_INIT(4096);
	char *text;

	if (!init) {
		if (sqs_parser_init(&p) == -1 || json_init(&back, 64) == -1)
			abort();
		init = 1;
	}
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)sqs_parse_receive(&p, text, size, check, NULL, &err);
	buf_reset(&err);
	(void)sqs_parse_batch(&p, text, size, 10, &br, &err);
	buf_reset(&err);
	(void)sqs_parse_get_url(&p, text, size, &url, &err);
	sqs_parse_error(&p, text, size, text, &e);
	if (strlen(e.code) >= sizeof e.code || strlen(e.message) >= sizeof e.message)
		abort();
	(void)sqs_classify(400, e.code);
	free(text);
	buf_free(&err);
	buf_free(&url);
	return 0;
}
