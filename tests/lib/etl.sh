# etl.sh: helpers for the ring's tests (sourced after tap.sh).  They
# check outcomes on what a user sees: the table's own columns, the
# rejects file and the queue's counts.

. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/login-mask.sh"
. "$TOP/tests/lib/pg-load.sh"

# etl_services: PostgreSQL and the emulator for this test, the users'
# table and the ledger from scripts/schema.sql, and a key made as the
# manual says.  Call it outside test bodies.
etl_services() {
	test_services pg sqs
	psql -X -q -v ON_ERROR_STOP=1 -f "$TOP/scripts/schema.sql" >/dev/null ||
		{ echo "Bail out! could not load scripts/schema.sql"; exit 1; }
	lm_key "$TMP/key" || { echo "Bail out! could not make a key"; exit 1; }
	# Rings still running when a test ends are stopped before the
	# services go.
	test_cleanup 'etl_stop_all'
}

# etl_table NAME: a table like the users' one.
etl_table() {
	pgl_sql "CREATE TABLE $1 (LIKE user_logins)"
}

# etl_queue NAME FILE: a new queue holding each line of FILE as a
# message; prints the queue's URL.
etl_queue() {
	local url
	url=$(sqs_create "$1") || return 1
	test "$(sqs_send "$url" "$2")" = "$(wc -l <"$2")" || return 1
	echo "$url"
}

# etl_empty URL: whether the queue holds nothing, visible or in flight.
etl_empty() {
	test "$(sqs_count "$1")" = "0 0"
}

# etl_bg OUT ERR ARGS...: etl ARGS in the background, its output to OUT
# and ERR; ETL_PID is its pid, stopped at exit if still running.
etl_bg() {
	local out=$1 err=$2
	shift 2
	etl "$@" </dev/null >"$out" 2>"$err" &
	ETL_PID=$!
	etl_pids="${etl_pids:-} $ETL_PID"
}

# etl_stage ETL-PID NAME: the pid of one stage of that ring.
etl_stage() {
	pgrep -P "$1" -x "$2"
}

# Stops the rings etl_bg started, stages first (they are in process
# groups of their own), each by its pid.
etl_stop_all() {
	local p s
	for p in ${etl_pids:-}; do
		for s in $(pgrep -P "$p"); do
			kill -KILL "$s" 2>/dev/null
		done
		kill -KILL "$p" 2>/dev/null
	done
}

# etl_wait STATUS: waits for the ring etl_bg started; fails unless etl
# exits with STATUS.
etl_wait() {
	wait "$ETL_PID"
	local st=$?
	[ "$st" = "$1" ] || { echo "etl exited $st, want $1" >&2; return 1; }
}

# etl_valid_ids FILE: the user_ids of the valid logins among the bodies
# in FILE, sorted.  Valid bodies are the sample's and gen-logins' well
# formed ones: all six keys, in order, a UUID for user_id (gen-logins
# marks every malformed one that has a user_id with "bad-").
etl_valid_ids() {
	sed -n 's/^{"user_id": "\([0-9a-f-]\{36\}\)", "app_version": .*/\1/p' "$1" |
	    LC_ALL=C sort
}

# etl_invalid_bodies FILE: the other bodies of FILE, sorted, one per
# line (a body sent twice is listed twice).
etl_invalid_bodies() {
	grep -v '^{"user_id": "[0-9a-f-]\{36\}", "app_version": ' "$1" | LC_ALL=C sort
}

# etl_table_ids TABLE: the user_ids in TABLE, sorted, one per row.
etl_table_ids() {
	psql -X -q -At -c "SELECT user_id FROM $1" | LC_ALL=C sort
}

# etl_check_rows TABLE BODIES: TABLE holds exactly one row per valid
# body of BODIES, and no other.
etl_check_rows() {
	etl_valid_ids "$2" >"$TMP/want.ids" &&
	etl_table_ids "$1" >"$TMP/got.ids" &&
	test_cmp "$TMP/want.ids" "$TMP/got.ids"
}

# etl_reject_bodies REJECTS [cut]: the bodies of the messages login-mask
# rejected, one per message: a message rejected twice (the same message
# id) is listed once.  Any other line fails, unless "cut" allows lines
# cut short by a stage killed in the middle of a write: the next stage
# reads the piece as a last line without a newline and refuses it (not
# JSON) into the rejects, while the message it was part of comes back
# from the queue whole.
etl_reject_bodies() {
	perl -MJSON::PP -e '
		my ($file, $cut) = @ARGV; my %seen;
		open my $f, "<", $file or die "$file: $!";
		while (<$f>) {
			my $r = JSON::PP->new->decode($_);
			if (!defined $r->{message_id}) {
				next if $cut && $r->{stage} eq "login-mask" &&
				    $r->{reason} =~ /^line: (not JSON|invalid UTF-8)$/;
				next if $cut && $r->{stage} eq "pg-load" && keys %$r == 3 &&
				    (defined $r->{line} || defined $r->{line_base64});
				die "$file line $.: no message id\n";
			}
			die "$file line $.: from $r->{stage}\n"
			    unless $r->{stage} eq "login-mask";
			next if $seen{$r->{message_id}}++;
			print $r->{body}, "\n";
		}' "$1" "${2:-}" >"$TMP/rej.bodies" &&
	LC_ALL=C sort "$TMP/rej.bodies"
}

# etl_check_rejects REJECTS BODIES [cut]: the rejects file holds each
# invalid body of BODIES, once per message sent, and nothing else (but
# pieces of lines, with "cut").
etl_check_rejects() {
	etl_invalid_bodies "$2" >"$TMP/want.rej" &&
	etl_reject_bodies "$1" "${3:-}" >"$TMP/got.rej" &&
	test_cmp "$TMP/want.rej" "$TMP/got.rej"
}
