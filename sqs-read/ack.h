/*
 * ack: the ack records sqs-read reads on its standard input.
 *
 * An ack is any JSON object with a string "receipt_handle".  Its
 * "message_id" (optional) names the message in warnings.  "status"
 * (optional) says what to do: "loaded", "duplicate" and "rejected" (or
 * none) delete the message; "released", or "release": true, gives it
 * back to the queue (visibility 0).  Any other status gives the message
 * back too, with a warning: deleting on a status we do not know could
 * lose it, holding it would stall a drain.
 */
#ifndef SQS_READ_ACK_H
#define SQS_READ_ACK_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

#define ACK_LINE_MAX (8 << 20)	/* room for a whole message record */
#define ACK_TOKENS_MAX 1024

enum ack_action { ACK_DELETE, ACK_RELEASE };

struct ack {
	enum ack_action action;
	const char *handle;	/* unescaped, in the parser's buffers */
	size_t hlen;
	const char *id;		/* NULL if the ack has none */
	size_t idlen;
};

struct ack_parser {
	struct json j;
	struct buf handle, id, tmp;
};

int ack_parser_init(struct ack_parser *p);
void ack_parser_free(struct ack_parser *p);

/*
 * Parses one line.  Returns 0 with a filled; 1 with a filled and a
 * warning in why; or -1 with the reason in why.  why is a static string
 * that quotes nothing from the line.  a's id is set
 * whenever the line had a readable message_id, even when the rest was
 * refused, so the warning can name it.
 */
int ack_parse(struct ack_parser *p, const char *line, size_t len,
    struct ack *a, const char **why);

#endif
