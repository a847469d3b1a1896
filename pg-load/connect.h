/*
 * connect: the connection to the server, the user's settings checked
 * before any host is tried, each host of a list given its own timeout,
 * and the TCP safeguards those settings leave open set by pg-load.
 */
#ifndef PG_LOAD_CONNECT_H
#define PG_LOAD_CONNECT_H

#include "db.h"

/* pg-load's settings for what the user's connection settings leave open. */
#define DB_CONNECT_TIMEOUT 10		/* seconds */
#define DB_KEEPALIVES_IDLE 30		/* seconds */
#define DB_KEEPALIVES_INTERVAL 10	/* seconds */
#define DB_KEEPALIVES_COUNT 3
#define DB_TCP_USER_TIMEOUT 60000	/* milliseconds */

/*
 * Connects (closing any old connection) as pg-load, in UTF-8, with the
 * server's notices dropped (they can quote data).  A server that does
 * not answer is given connect_timeout (DB_CONNECT_TIMEOUT unless the
 * user's settings say), and the attempt as a whole at most limit
 * seconds when limit > 0.  A host that accepts the connection and then
 * says nothing is passed for the hosts after it, as one that does not
 * answer the handshake is.  With interruptible set, a signal ends the
 * wait.  DB_OK or DB_CONN, with libpq's message in err.text (it names
 * no data) and, when the server refused the connection, its SQLSTATE
 * in err.sqlstate; DB_FATAL with err.code EX_USAGE (the setting is in
 * conninfo) or EX_CONFIG (from the environment or a service file) for
 * settings that are not valid, a service that is not defined among
 * them.
 */
int db_connect(struct db *d, double limit, int interruptible);

#endif
