#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>

#include "connect.h"
#include "dbint.h"
#include "report.h"
#include "sig.h"

#define SOCKET_QUEUE (4 << 20)	/* bytes; the kernel may allow less */

static void
drop_notice(void *arg, const PGresult *r)
{
	(void)arg;
	(void)r;
}

/*
 * The SQLSTATE in a verbose message from the server ("FATAL:  28000:
 * role ..."), the last one when libpq tried several hosts, into st; ""
 * when there is none.
 */
static void
state_in(char st[6], const char *s)
{
	const char *p;
	size_t i;

	st[0] = '\0';
	for (p = s; (p = strstr(p, ":  ")) != NULL; p++) {
		for (i = 3; i < 8 && ((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'A' && p[i] <= 'Z')); i++)
			;
		if (i == 8 && p[8] == ':' && p[9] == ' ') {
			memcpy(st, p + 3, 5);
			st[5] = '\0';
		}
	}
}

/*
 * Keeps why a connection failed (libpq's message when why is NULL),
 * without the verbose message's source locations, and closes it.
 */
static int
conn_fail(struct db *d, const char *why)
{
	struct dberr *e = &d->err;
	const char *s = why, *eol;
	size_t n;

	if (s == NULL)
		s = d->conn != NULL ? PQerrorMessage(d->conn) : "out of memory";
	buf_reset(&e->text);
	for (; *s != '\0'; s = eol) {
		eol = s + strcspn(s, "\n");
		if (*eol == '\n')
			eol++;
		n = (size_t)(eol - s);
		if (strncmp(s, "LOCATION:", 9) != 0 &&
		    e->text.len + n <= e->text.max)
			(void)buf_add(&e->text, s, n);
	}
	while (e->text.len > 0 && e->text.data[e->text.len - 1] == '\n')
		buf_truncate(&e->text, e->text.len - 1);
	keep(&e->primary, buf_cstr(&e->text));
	state_in(e->sqlstate, buf_cstr(&e->text));
	/* libpq's own refusal: the server asked for a password it lacks. */
	if (e->sqlstate[0] == '\0' && d->conn != NULL &&
	    PQconnectionNeedsPassword(d->conn))
		strcpy(e->sqlstate, "28000");
	db_close(d);
	e->rc = DB_CONN;
	return DB_CONN;
}

/* A connection setting as libpq resolved it, or NULL when unset. */
static const char *
setting(const PQconninfoOption *o, const char *kw)
{
	for (; o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* Whether s is an integer in [min, max] as libpq reads one, into *v. */
static int
integer(const char *s, long min, long max, long *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || errno != 0)
		return 0;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' ||
	    *end == '\f' || *end == '\v')
		end++;
	if (*end != '\0' || n < min || n > max)
		return 0;
	if (v != NULL)
		*v = n;
	return 1;
}

/* connect_timeout in seconds (checked by bad_setting()), 0 for none. */
static long
connect_timeout(const PQconninfoOption *o)
{
	const char *s = setting(o, "connect_timeout");
	long v;

	if (s == NULL)
		return DB_CONNECT_TIMEOUT;
	if (!integer(s, LONG_MIN, LONG_MAX, &v))
		return 0;
	return v > 0 ? v : 0;
}

/* How many entries a comma-separated list has: 0 when it is unset. */
static size_t
entries(const char *list)
{
	size_t n = 1;

	if (list == NULL)
		return 0;
	for (; *list != '\0'; list++)
		n += *list == ',';
	return n;
}

/* The list from its entry i on; NULL when it is unset. */
static const char *
from_entry(const char *list, size_t i)
{
	for (; i > 0 && list != NULL; i--)
		if ((list = strchr(list, ',')) != NULL)
			list++;
	return list;
}

/* Entry i of a list into s, "" when there is none (or it is too long). */
static void
entry(const char *list, size_t i, char *s, size_t size)
{
	size_t n;

	s[0] = '\0';
	if ((list = from_entry(list, i)) == NULL)
		return;
	n = strcspn(list, ",");
	if (n < size) {
		memcpy(s, list, n);
		s[n] = '\0';
	}
}

/* How many hosts the settings name: host and hostaddr go in step. */
static size_t
hosts(const PQconninfoOption *o)
{
	size_t h = entries(setting(o, "host"));
	size_t a = entries(setting(o, "hostaddr"));

	return h > a ? h : a > 0 ? a : 1;
}

/*
 * Whether entry i of a hostaddr list is empty (the host's name is looked
 * up instead) or a numeric address, as libpq reads one when it tries
 * that host.
 */
static int
address(const char *list, size_t i)
{
	struct addrinfo hint = {
		.ai_flags = AI_NUMERICHOST,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	}, *res;
	char a[256];
	size_t n;

	if ((list = from_entry(list, i)) == NULL ||
	    (n = strcspn(list, ",")) == 0)
		return 1;
	if (n >= sizeof a)
		return 0;
	memcpy(a, list, n);
	a[n] = '\0';
	if (getaddrinfo(a, NULL, &hint, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

/* Whether word is one of the words of the space-separated list. */
static int
one_of(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (; *list != '\0'; list += strcspn(list, " "), list += *list == ' ')
		if (strncmp(list, word, n) == 0 &&
		    (list[n] == ' ' || list[n] == '\0'))
			return 1;
	return 0;
}

/*
 * The first connection setting libpq would refuse, or NULL.  Numbers
 * and addresses libpq reads only when it tries a host, and then as a
 * reason to try the next, so they are checked before any.  Words libpq
 * checks before it tries a host, which is when (enums set) they are
 * checked here: checked sooner, a word a later libpq learns would be
 * refused.
 */
static const char *
bad_setting(const PQconninfoOption *o, int enums)
{
	static const char *const ints[] = {
		"connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout",
	};
	static const struct { const char *kw, *words; } words[] = {
		{ "sslmode", "disable allow prefer require verify-ca "
		    "verify-full" },
		{ "gssencmode", "disable prefer require" },
		{ "channel_binding", "disable prefer require" },
		{ "target_session_attrs", "any read-write read-only primary "
		    "standby prefer-standby" },
		{ "load_balance_hosts", "disable random" },
		{ "sslcertmode", "disable allow require" },
		{ "sslnegotiation", "postgres direct" },
	};
	const char *v, *ports = setting(o, "port"),
	    *addrs = setting(o, "hostaddr");
	char port[32];
	size_t i, nh = entries(setting(o, "host")), na = entries(addrs),
	    np = entries(ports);

	for (i = 0; i < sizeof ints / sizeof *ints; i++)
		if ((v = setting(o, ints[i])) != NULL &&
		    !integer(v, INT_MIN, INT_MAX, NULL))
			return ints[i];
	for (i = 0; i < np; i++) {
		entry(ports, i, port, sizeof port);
		if (port[0] != '\0' && !integer(port, 1, 65535, NULL))
			return "port";
	}
	for (i = 0; i < na; i++)
		if (!address(addrs, i))
			return "hostaddr";
	if (nh > 0 && na > 0 && nh != na)
		return "hostaddr";
	if (np > 1 && np != hosts(o))
		return "port";
	for (i = 0; enums && i < sizeof words / sizeof *words; i++)
		if ((v = setting(o, words[i].kw)) != NULL &&
		    !one_of(v, words[i].words))
			return words[i].kw;
	return NULL;
}

/* Whether the connection string given (-d) sets kw itself. */
static int
given(const struct db *d, const char *kw)
{
	PQconninfoOption *o;
	int set;

	if (d->conninfo == NULL ||
	    (o = PQconninfoParse(d->conninfo, NULL)) == NULL)
		return 0;
	set = setting(o, kw) != NULL;
	PQconninfoFree(o);
	return set;
}

/*
 * Fails the connection for a setting that is not valid: a usage error
 * when it is in the connection string given, a configuration error when
 * it comes from the environment or a service file.
 */
static int
settings_fail(struct db *d, const PQconninfoOption *o, const char *kw)
{
	char why[200];
	int code = given(d, kw) ? EX_USAGE : EX_CONFIG;

	snprintf(why, sizeof why, "invalid connection setting %s=\"%.40s\"",
	    kw, setting(o, kw) != NULL ? setting(o, kw) : "");
	(void)conn_fail(d, why);
	d->err.rc = DB_FATAL;
	d->err.code = code;
	return DB_FATAL;
}

/* Whether libpq resolved any setting: none when it refused them whole. */
static int
resolved(const PQconninfoOption *o)
{
	for (; o->keyword != NULL; o++)
		if (o->val != NULL)
			return 1;
	return 0;
}

/*
 * libpq refused the settings whole, before any host was tried: a service
 * it cannot find, a service file it cannot read (main() has checked the
 * syntax of -d).  No retry mends that: a usage error for the service -d
 * names, a configuration error for the rest (PGSERVICE, PGSERVICEFILE,
 * the file itself).  libpq's messages are in English: pg-load never
 * calls setlocale().
 */
static int
refused_fail(struct db *d)
{
	int code = EX_CONFIG;

	if (given(d, "service") && strstr(PQerrorMessage(d->conn),
	    "definition of service \"") != NULL)
		code = EX_USAGE;
	(void)conn_fail(d, NULL);
	d->err.rc = DB_FATAL;
	d->err.code = code;
	return DB_FATAL;
}

/*
 * Sets the TCP options the user's settings leave open.  Without them a
 * server gone without a word (a host frozen, a route or NAT entry
 * lost) leaves pg-load waiting on a half-open connection for hours,
 * deaf to --retry-seconds and to signals.  They are pg-load's defaults,
 * so a kernel that refuses one costs only that safeguard, never the
 * connection; what the user set, libpq sets, and fails on.  A local
 * socket gets a deep send queue instead: it holds about 200 kB by
 * default, a millisecond of the server's work, so the server waits
 * whenever pg-load loses the CPU for longer.
 */
static void
tune_socket(int fd, const PQconninfoOption *o)
{
	static const struct {
		const char *kw;
		int opt, val, keepalive;
	} def[] = {
		{ "keepalives_idle", TCP_KEEPIDLE, DB_KEEPALIVES_IDLE, 1 },
		{ "keepalives_interval", TCP_KEEPINTVL, DB_KEEPALIVES_INTERVAL,
		    1 },
		{ "keepalives_count", TCP_KEEPCNT, DB_KEEPALIVES_COUNT, 1 },
		{ "tcp_user_timeout", TCP_USER_TIMEOUT, DB_TCP_USER_TIMEOUT, 0 },
	};
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	const char *ka = setting(o, "keepalives");
	int size = SOCKET_QUEUE, off = ka != NULL && strtol(ka, NULL, 10) == 0;
	size_t i;

	/* Best effort throughout: see above. */
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == -1)
		return;
	if (sa.ss_family == AF_UNIX) {
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		return;
	}
	if (sa.ss_family != AF_INET && sa.ss_family != AF_INET6)
		return;
	for (i = 0; i < sizeof def / sizeof *def; i++)
		if (!(def[i].keepalive && off) && setting(o, def[i].kw) == NULL)
			(void)setsockopt(fd, IPPROTO_TCP, def[i].opt,
			    &def[i].val, sizeof def[i].val);
}

/*
 * Waits for the socket until end (0: no end).  With interruptible set,
 * a signal ends the wait too.
 */
int
wait_socket(int fd, short events, double end, int interruptible)
{
	struct pollfd p = { .fd = fd, .events = events };
	long ms = -1;
	int r;

	if (end > 0) {
		ms = (long)((end - mono_now()) * 1000.0) + 1;
		if (ms < 0)
			ms = 0;
	}
	if (interruptible)
		return sig_wait(fd, events, ms);
	do
		r = poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
	while (r == -1 && errno == EINTR);
	return r == -1 ? -1 : r > 0;
}

/* When a wait of secs seconds from now ends; 0 for no end. */
static double
deadline(double secs)
{
	return secs > 0 ? mono_now() + secs : 0;
}

/*
 * Starts connecting with the user's settings; with o, with its hosts
 * (host, hostaddr and port in step) cut to those from entry from on.
 */
static int
start(struct db *d, const PQconninfoOption *o, size_t from)
{
	/* Later keywords win: the encoding is ours whatever PG* says. */
	static const char *const kw[] = {
		"fallback_application_name", "dbname", "client_encoding",
		"host", "hostaddr", "port", NULL
	};
	const char *val[] = {
		"pg-load", d->conninfo, "UTF8", NULL, NULL, NULL, NULL
	};
	const char *port;

	if (o != NULL) {
		port = setting(o, "port");
		val[3] = from_entry(setting(o, "host"), from);
		val[4] = from_entry(setting(o, "hostaddr"), from);
		/* One port stands for every host. */
		val[5] = entries(port) == 1 ? port : from_entry(port, from);
	}
	if ((d->conn = PQconnectStartParams(kw, val, 1)) == NULL)
		return -1;
	PQsetErrorVerbosity(d->conn, PQERRORS_VERBOSE);
	/* From the first message on: a notice can quote data. */
	PQsetNoticeReceiver(d->conn, drop_notice, NULL);
	return 0;
}

/*
 * The entry of the hosts, from entry from on, that c is trying (the
 * first that matches, when one is named twice), or (size_t)-1.
 */
static size_t
trying(PGconn *c, const PQconninfoOption *o, size_t from)
{
	const char *host = PQhost(c), *port = PQport(c);
	const char *ports = setting(o, "port");
	char h[1024], p[32];
	size_t i, n = hosts(o);

	if (host == NULL || port == NULL)
		return (size_t)-1;
	for (i = from; i < n; i++) {
		entry(setting(o, "host"), i, h, sizeof h);
		if (h[0] == '\0')
			entry(setting(o, "hostaddr"), i, h, sizeof h);
		entry(ports, entries(ports) == 1 ? 0 : i, p, sizeof p);
		if (strcmp(h, host) == 0 &&
		    (p[0] == '\0' || strcmp(p, port) == 0))
			return i;
	}
	return (size_t)-1;
}

/* Fails the connection with why (libpq's message if NULL) and notes. */
static int
fail_noted(struct db *d, const char *why, const struct buf *notes)
{
	struct buf msg = BUF_INIT(ERR_TEXT_MAX);
	int rc;

	if (why == NULL)
		why = d->conn != NULL ? PQerrorMessage(d->conn) :
		    "out of memory";
	if (notes->len == 0)
		return conn_fail(d, why);
	if (buf_adds(&msg, why) == -1 ||
	    (msg.len > 0 && msg.data[msg.len - 1] != '\n' &&
	    buf_adds(&msg, "\n") == -1) ||
	    buf_add(&msg, notes->data, notes->len) == -1) {
		buf_free(&msg);
		return conn_fail(d, why);
	}
	rc = conn_fail(d, buf_cstr(&msg));
	buf_free(&msg);
	return rc;
}

/* When a host's wait ends: after wait seconds (0: none), within all_end. */
static double
host_end(double wait, double all_end)
{
	double end = deadline(wait);

	return all_end > 0 && (end == 0 || all_end < end) ? all_end : end;
}

/*
 * A host gave no answer in secs: makes libpq go on to the next address
 * or host (1), or starts a new connection with the hosts after it (2),
 * and notes why in notes.  0 when no host is left, -1 with errno on
 * failure.
 */
static int
next_host(struct db *d, const PQconninfoOption *o, size_t *from,
    struct buf *notes, double secs)
{
	const char *host = PQhost(d->conn), *port = PQport(d->conn);
	char note[300];
	size_t at;

	if (PQstatus(d->conn) == CONNECTION_STARTED) {
		/*
		 * The TCP handshake got no answer (a host down, a firewall
		 * that drops).  Resetting it makes libpq try the next
		 * address or host, as its own timeout does.
		 */
		if (shutdown(PQsocket(d->conn), SHUT_RDWR) == -1)
			return -1;
		snprintf(note, sizeof note, "no answer from \"%.100s\", port "
		    "%.20s in %.0f s: pg-load reset the connection\n", host,
		    port, secs);
		(void)buf_adds(notes, note);
		return 1;
	}
	/*
	 * The host took the connection and then said nothing (a server
	 * frozen, a proxy whose server is gone).  libpq cannot be told to
	 * give up on a host at this stage, so the connection starts again
	 * with the hosts after it.
	 */
	if ((at = trying(d->conn, o, *from)) == (size_t)-1 ||
	    at + 1 >= hosts(o))
		return 0;
	snprintf(note, sizeof note, "connection to server at \"%.100s\", "
	    "port %.20s: no answer in %.0f s: pg-load tried the next host\n",
	    host, port, secs);
	(void)buf_adds(notes, note);
	db_close(d);
	*from = at + 1;
	if (start(d, o, *from) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 2;
}

int
db_connect(struct db *d, double limit, int interruptible)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PQconninfoOption *o;
	struct buf notes = BUF_INIT(ERR_TEXT_MAX);
	const char *host = NULL, *port = NULL, *bad;
	char why[300];
	double wait, t0 = 0, end = 0, all_end = deadline(limit);
	size_t from = 0;
	int r = DB_CONN;

	db_close(d);
	err_reset(&d->err);
	/*
	 * Not PQconnectdbParams(): it cannot be interrupted, and its message
	 * for a refused login has no SQLSTATE to tell it from a server
	 * that is down.  So libpq's own steps, with the error verbosity set
	 * first, and connect_timeout kept here: libpq keeps it only for
	 * the blocking call.
	 */
	if (start(d, NULL, 0) == -1)
		return conn_fail(d, "out of memory");
	/* What libpq resolved: the string, a service file, PG*, defaults. */
	if ((o = PQconninfo(d->conn)) == NULL)
		return conn_fail(d, "out of memory");
	if (PQstatus(d->conn) == CONNECTION_BAD && !resolved(o)) {
		PQconninfoFree(o);
		return refused_fail(d);
	}
	if ((bad = bad_setting(o, PQstatus(d->conn) == CONNECTION_BAD)) !=
	    NULL) {
		r = settings_fail(d, o, bad);
		PQconninfoFree(o);
		return r;
	}
	wait = (double)connect_timeout(o);
	while (st != PGRES_POLLING_OK) {
		if (d->conn == NULL || PQstatus(d->conn) == CONNECTION_BAD) {
			r = fail_noted(d, NULL, &notes);
			break;
		}
		/* As libpq does, each host gets the whole timeout. */
		if (PQhost(d->conn) != host || PQport(d->conn) != port) {
			host = PQhost(d->conn);
			port = PQport(d->conn);
			t0 = mono_now();
			end = host_end(wait, all_end);
		}
		r = wait_socket(PQsocket(d->conn), st == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, end, interruptible);
		if (r == 0 && !(interruptible && sig_caught()) &&
		    (all_end == 0 || mono_now() < all_end) &&
		    (r = next_host(d, o, &from, &notes, end - t0)) > 0) {
			if (r == 2) {
				/* A new connection, started as the first. */
				host = port = NULL;
				st = PGRES_POLLING_WRITING;
			} else {
				t0 = mono_now();
				end = host_end(wait, all_end);
			}
			continue;
		}
		if (r != 1) {
			if (r == -1)
				snprintf(why, sizeof why, "connecting: %s",
				    strerror(errno));
			else if (interruptible && sig_caught())
				snprintf(why, sizeof why, "interrupted");
			else
				snprintf(why, sizeof why, "connection to server "
				    "at \"%.100s\", port %.20s: no answer in "
				    "%.0f s", host, port, end - t0);
			r = fail_noted(d, why, &notes);
			break;
		}
		if ((st = PQconnectPoll(d->conn)) == PGRES_POLLING_FAILED) {
			r = fail_noted(d, NULL, &notes);
			break;
		}
	}
	buf_free(&notes);
	if (st != PGRES_POLLING_OK) {
		PQconninfoFree(o);
		return r;
	}
	/*
	 * libpq's copy of each error stays in the connection (and in the
	 * result of a connection lost after it): kept to the severity and
	 * the SQLSTATE, it cannot quote a row wherever it is shown.
	 */
	PQsetErrorVerbosity(d->conn, PQERRORS_SQLSTATE);
	/* Statements are awaited with poll(2): see await(). */
	if (PQsetnonblocking(d->conn, 1) == -1) {
		PQconninfoFree(o);
		return conn_fail(d, NULL);
	}
	tune_socket(PQsocket(d->conn), o);
	PQconninfoFree(o);
	d->serial++;
	return DB_OK;
}
