#include <string.h>

#include "ack.h"
#include "sqs.h"

int
ack_parser_init(struct ack_parser *p)
{
	buf_init(&p->handle, SQS_HANDLE_MAX);
	buf_init(&p->id, SQS_ID_MAX);
	buf_init(&p->tmp, 64);
	return json_init(&p->j, ACK_TOKENS_MAX);
}

void
ack_parser_free(struct ack_parser *p)
{
	json_free(&p->j);
	buf_free(&p->handle);
	buf_free(&p->id);
	buf_free(&p->tmp);
}

int
ack_parse(struct ack_parser *p, const char *line, size_t len, struct ack *a,
    const char **why)
{
	const struct json *j = &p->j;
	int r, i;

	memset(a, 0, sizeof *a);
	if ((r = json_parse(&p->j, line, len)) != JSON_OK) {
		*why = r == JSON_ETOOBIG ? "too many JSON tokens" : "not valid JSON";
		return -1;
	}
	if (j->tok[0].type != JSMN_OBJECT) {
		*why = "not a JSON object";
		return -1;
	}
	buf_reset(&p->id);
	i = json_get(j, 0, "message_id");
	if (i >= 0 && j->tok[i].type == JSMN_STRING &&
	    json_tokstr(j, i, &p->id) == JSON_OK && p->id.len > 0 &&
	    memchr(p->id.data, '\n', p->id.len) == NULL) {
		a->id = p->id.data;
		a->idlen = p->id.len;
	}
	buf_reset(&p->handle);
	i = json_get(j, 0, "receipt_handle");
	if (i < 0) {
		*why = "no receipt_handle";
		return -1;
	}
	if (j->tok[i].type != JSMN_STRING || json_tokstr(j, i, &p->handle) != JSON_OK ||
	    p->handle.len == 0) {
		*why = "receipt_handle is not a usable string";
		return -1;
	}
	a->handle = p->handle.data;
	a->hlen = p->handle.len;
	a->action = ACK_DELETE;
	i = json_get(j, 0, "release");
	if (i >= 0 && j->tok[i].type == JSMN_PRIMITIVE && j->s[j->tok[i].start] == 't')
		a->action = ACK_RELEASE;
	i = json_get(j, 0, "status");
	if (i >= 0 && !json_isnull(j, i)) {
		if (json_streq(j, i, "released")) {
			a->action = ACK_RELEASE;
		} else if (!json_streq(j, i, "loaded") && !json_streq(j, i, "duplicate") &&
		    !json_streq(j, i, "rejected")) {
			/* Not ours to guess: give it back, nothing is lost. */
			a->action = ACK_RELEASE;
			*why = "unknown status: giving the message back to the queue";
			return 1;
		}
	}
	return 0;
}
