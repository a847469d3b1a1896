#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "json.h"
#include "lineread.h"
#include "login.h"
#include "record.h"
#include "run.h"

#define FLUSH_AT (64 * 1024)

struct unmask {
	const struct masker *ring;
	size_t nring;
	struct json j;
	struct buf out;
	int nokey, failed;
	unsigned long long values;
};

static const struct name masked_names[NFIELD] = {
	NAME("masked_ip"), NAME("masked_device_id"),
};
static const char *const plain_names[NFIELD] = { "ip", "device_id" };

static void
complain(struct unmask *u, unsigned long long lineno, const char *what,
    int err, const char *keyid)
{
	if (err == UNMASK_NOKEY) {
		u->nokey = 1;
		warnx("line %llu: %s%s%s (key id %s)", lineno, what ? what : "",
		    what ? ": " : "", unmask_strerror(err), keyid);
	} else {
		u->failed = 1;
		warnx("line %llu: %s%s%s", lineno, what ? what : "",
		    what ? ": " : "", unmask_strerror(err));
	}
}

/* A bare mask, surrounding blanks ignored: its value and a newline. */
static int
bare(struct unmask *u, unsigned long long lineno, const char *s, size_t n)
{
	unsigned char v[MASK_MAX];
	char keyid[KEY_ID_LEN + 1];
	size_t vlen;
	int err;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 0)
		return 0;
	err = unmask_value(u->ring, u->nring, -1, s, n, NULL, v, &vlen, keyid);
	if (err != UNMASK_OK) {
		complain(u, lineno, NULL, err, keyid);
		return 0;
	}
	u->values++;
	if (buf_add(&u->out, v, vlen) == -1 || buf_addc(&u->out, '\n') == -1)
		return -1;
	return 0;
}

/*
 * A row record, copied key by key as read, with each mask replaced by
 * the value under the plain column name.  Nothing is written for a row
 * with a mask that does not unmask.
 */
static int
row(struct unmask *u, unsigned long long lineno, const char *s, size_t n)
{
	const struct json *j = &u->j;
	const jsmntok_t *k, *v;
	unsigned char val[MASK_MAX];
	char keyid[KEY_ID_LEN + 1];
	size_t old = u->out.len, vlen;
	int i, next, c, f, err;

	if ((err = json_parse(&u->j, s, n)) != JSON_OK ||
	    j->tok[0].type != JSMN_OBJECT) {
		u->failed = 1;
		warnx("line %llu: %s", lineno, err != JSON_OK ?
		    json_strerror(err) : "not an object");
		return 0;
	}
	if (buf_addc(&u->out, '{') == -1)
		return -1;
	for (i = 1, c = 0; c < j->tok[0].size; c++, i = next) {
		k = &j->tok[i];
		v = &j->tok[i + 1];
		next = json_skip(j, i + 1);
		if (c > 0 && buf_addc(&u->out, ',') == -1)
			return -1;
		f = key_index(j, i, masked_names, NFIELD);
		if (f < 0) {
			/* Key and value as read, quotes included. */
			if (buf_add(&u->out, s + k->start - 1,
			    (size_t)(k->end - k->start) + 2) == -1 ||
			    buf_addc(&u->out, ':') == -1 ||
			    buf_add(&u->out, s + v->start - (v->type == JSMN_STRING),
			    (size_t)(v->end - v->start) +
			    2 * (v->type == JSMN_STRING)) == -1)
				return -1;
			continue;
		}
		if (v->type != JSMN_STRING) {
			u->failed = 1;
			warnx("line %llu: %s: not a string", lineno,
			    masked_names[f].s);
			goto skip;
		}
		err = unmask_value(u->ring, u->nring, f, s + v->start,
		    (size_t)(v->end - v->start), NULL, val, &vlen, keyid);
		if (err != UNMASK_OK) {
			complain(u, lineno, masked_names[f].s, err, keyid);
			goto skip;
		}
		u->values++;
		if (json_put_key(&u->out, plain_names[f]) != JSON_OK ||
		    json_put_str(&u->out, (const char *)val, vlen) != JSON_OK)
			return -1;
	}
	return buf_add(&u->out, "}\n", 2);
skip:
	buf_truncate(&u->out, old);
	return 0;
}

int
unmask_run(const struct masker *ring, size_t n)
{
	struct unmask u;
	struct lineread lr;
	char *line;
	size_t len, i;
	int kind, st = 0;

	memset(&u, 0, sizeof u);
	u.ring = ring;
	u.nring = n;
	buf_init(&u.out, FLUSH_AT + RECORD_LINE_MAX + 64 * 1024);
	if (lr_init(&lr, STDIN_FILENO, RECORD_LINE_MAX) == -1 ||
	    json_init(&u.j, RECORD_MAXTOK) == -1) {
		warn("cannot allocate");
		st = EX_OSERR;
		goto done;
	}
	for (;;) {
		kind = lr_next(&lr, &line, &len);
		if (kind == LR_NEED || kind == LR_EOF || u.out.len >= FLUSH_AT) {
			if (u.out.len > 0 && write_all(STDOUT_FILENO, u.out.data,
			    u.out.len) == -1) {
				warn("stdout");
				st = EX_IOERR;
				goto done;
			}
			buf_reset(&u.out);
		}
		if (kind == LR_EOF)
			break;
		if (kind == LR_NEED) {
			if (lr_fill(&lr) == -1) {
				warn("stdin");
				st = EX_IOERR;
				goto done;
			}
			continue;
		}
		if (kind == LR_LONG) {
			u.failed = 1;
			warnx("line %llu: too long", lr.lineno);
			continue;
		}
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if ((i < len && line[i] == '{' ? row(&u, lr.lineno, line, len) :
		    bare(&u, lr.lineno, line, len)) == -1) {
			warnx("line %llu: output buffer full", lr.lineno);
			st = EX_SOFTWARE;
			goto done;
		}
	}
	if (close(STDOUT_FILENO) == -1) {
		warn("stdout");
		st = EX_IOERR;
		goto done;
	}
	fprintf(stderr, "%s: read %llu, unmasked %llu values\n",
	    program_invocation_short_name, lr.lineno, u.values);
	st = u.nokey ? EX_CONFIG : u.failed ? EX_DATAERR : 0;
done:
	lr_free(&lr);
	json_free(&u.j);
	buf_free(&u.out);
	return st;
}
