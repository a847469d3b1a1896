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

# Reports the next test as skipped, saying why: pgl_skip WHY
pgl_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1"
}

# Starts a TCP listener on 127.0.0.1 that never answers, stopped at exit,
# and sets pgl_port to its port: pgl_silent accept|syn.  "accept" takes
# each connection and then says nothing, like a server that hangs; "syn" keeps its accept queue full so that handshakes go
# unanswered, like a host that is down behind a firewall.
pgl_silent() {
	rm -f "$TMP/silent.$1"
	perl -MSocket -MFcntl -e '
		my ($mode, $file) = @ARGV;
		socket(my $l, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
		bind($l, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die "bind: $!";
		listen($l, 1) or die "listen: $!";
		my @held;
		for (1 .. ($mode eq "syn" ? 4 : 0)) {
			socket(my $c, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
			fcntl($c, F_SETFL, O_NONBLOCK) or die "fcntl: $!";
			connect($c, getsockname($l));
			push @held, $c;
		}
		my ($port) = unpack_sockaddr_in(getsockname($l));
		open my $f, ">", "$file.tmp" or die "$file: $!";
		print $f "$port\n";
		close $f;
		rename "$file.tmp", $file or die "$file: $!";
		# Accepted and held, so the queue never fills.
		while ($mode eq "accept" && accept(my $c, $l)) {
			push @held, $c;
		}
		sleep 3600;' "$1" "$TMP/silent.$1" </dev/null >/dev/null 2>&1 &
	test_cleanup "kill $! 2>/dev/null"
	test_wait_for "test -s '$TMP/silent.$1'" 10 || return 1
	pgl_port=$(cat "$TMP/silent.$1")
}
