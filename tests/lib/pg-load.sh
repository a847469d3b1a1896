# pg-load.sh: helpers for pg-load's tests.  Source after tap.sh and
# test_services pg.

# The users' table, from scripts/schema.sql (the ledger is left to
# pg-load unless a test creates it).
pgl_user_logins() {
	sed -n '/^CREATE TABLE IF NOT EXISTS user_logins/,/;$/p' \
	    "$TOP/scripts/schema.sql" | psql -X -q -v ON_ERROR_STOP=1
}

# psql's one value for a query.
pgl_sql() {
	psql -X -q -v ON_ERROR_STOP=1 -At -c "$1"
}

# Row records with current timestamps (the ledger prunes old ones):
# pgl_rows N [SEED] > file
pgl_rows() {
	"$TOOLS/gen-logins" -f row -s "${2:-1}" -t "$(date +%s000)" "$1"
}

# Runs a PostgreSQL server program as the user the server runs as, with
# no descriptor of ours: a restarted server must not hold a test's pipe.
pgl_as_pg() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@") </dev/null >/dev/null 2>&1 \
		    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	else
		"$@" </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	fi
}

# pg_ctl on the test's server: pgl_ctl restart -m fast
pgl_ctl() {
	pgl_as_pg "$(cat "$LOGIN_ETL_SERVICES/pg/bindir")/pg_ctl" \
	    -D "$LOGIN_ETL_SERVICES/pg/data" -w -t 60 "$@"
}

# Counts acks by status: pgl_acks FILE STATUS
pgl_acks() {
	grep -c "\"status\":\"$2\"" "$1"
}

# The value of a key in each JSON line of a file: pgl_field FILE KEY
pgl_field() {
	perl -MJSON::PP -e '
		my $k = shift;
		while (<>) {
			my $j = JSON::PP->new->decode($_);
			print defined $j->{$k} ? $j->{$k} : "(none)", "\n";
		}' "$2" "$1"
}

# The message ids of a file of records or acks, fast (no JSON parser: the
# ids the tests use are plain).
pgl_ids() {
	sed -n 's/.*"message_id":"\([^"]*\)".*/\1/p' "$1"
}
