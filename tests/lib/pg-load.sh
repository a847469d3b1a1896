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

# Starts a TCP proxy on 127.0.0.1 to the test's server, stopped at exit,
# and sets pgl_port to its port: pgl_proxy MODE [ARG].  Its fault comes
# once:
#   cut SQLSTATE	passes the server's error of that SQLSTATE on, and
#			nothing after it, then closes the client's side, as
#			a link lost just after a refused row would;
#   swallow		keeps a COMMIT from the server and closes the
#			client's side, but not the server's: the session is
#			left idle in its transaction, as when the COMMIT is
#			lost on the way and the server never hears of it;
#   swallow-gone	the same, having stopped listening first, as a host
#			gone for good: a client that reconnects at once
#			finds no one;
#   swallow-run CMD	the same as swallow, having run the shell command
#			CMD first (a server restart, say), while the client
#			still waits for the COMMIT's answer.
pgl_proxy() {
	rm -f "$TMP/proxy.$1" "$TMP/proxy.$1.done"
	perl -MSocket -MIO::Select -MFcntl -e '
		my ($mode, $arg, $file, $dport) = @ARGV;
		socket(my $l, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
		bind($l, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die "bind: $!";
		listen($l, 16) or die "listen: $!";
		my ($port) = unpack_sockaddr_in(getsockname($l));
		open my $f, ">", "$file.tmp" or die "$file: $!";
		print $f "$port\n";
		close $f;
		rename "$file.tmp", $file or die "$file: $!";
		my @kids;
		$SIG{TERM} = sub { kill "TERM", @kids; exit 0 };
		# Whether the fault is still to come; it comes once.
		sub first { sysopen(my $h, "$file.done", O_CREAT | O_EXCL | O_WRONLY) }
		while (1) {
			# EINVAL: the listener was shut down, below.
			my $c;
			unless (accept($c, $l)) {
				last if $!{EINVAL};
				next;
			}
			my $pid = fork;
			die "fork: $!" unless defined $pid;
			if ($pid) { push @kids, $pid; close $c; next; }
			$SIG{TERM} = "DEFAULT";
			socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
			connect($s, pack_sockaddr_in($dport, inet_aton("127.0.0.1")))
			    or die "connect: $!";
			my $sel = IO::Select->new($c, $s);
			while (1) {
				for my $h ($sel->can_read) {
					my $n = sysread($h, my $buf, 65536);
					exit 0 unless $n;
					if ($h == $c) {
						if ($mode =~ /^swallow/ &&
						    $buf =~ /Q....COMMIT\0/s && first()) {
							# The listener before the client: it
							# would reconnect into it.
							shutdown($l, 2) if $mode eq "swallow-gone";
							system($arg) if $mode eq "swallow-run";
							close $c;
							# Held until the server ends it.
							1 while sysread($s, $buf, 65536);
							exit 0;
						}
						syswrite($s, $buf);
					} elsif ($mode eq "cut" && $buf =~ /C\Q$arg\E\0/) {
						# Up to the end of that error, before
						# the ReadyForQuery that may follow.
						my $at = 0;
						while ($at + 5 <= length $buf) {
							my ($t, $len) = unpack "a N", substr($buf, $at, 5);
							my $msg = substr($buf, $at, 1 + $len);
							$at += 1 + $len;
							if ($t eq "E" && $msg =~ /C\Q$arg\E\0/ && first()) {
								syswrite($c, substr($buf, 0, $at));
								shutdown($c, 2);
								exit 0;
							}
						}
						syswrite($c, $buf);
					} else {
						syswrite($c, $buf);
					}
				}
			}
		}
		close $l;
		sleep 1 while 1;' "$1" "${2:-}" "$TMP/proxy.$1" "$PGPORT" </dev/null >/dev/null 2>&1 &
	test_cleanup "kill $! 2>/dev/null"
	test_wait_for "test -s '$TMP/proxy.$1'" 30 ||
		{ echo "pgl_proxy $1: the proxy did not start" >&2; return 1; }
	pgl_port=$(cat "$TMP/proxy.$1")
}
