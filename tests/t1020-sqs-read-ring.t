#!/bin/bash
# sqs-read in the ring: acks on stdin decide what is deleted; the
# in-flight cap, releases, heartbeats, signals and lost peers behave.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"

test_services sqs
"$TOOLS/gen-logins" 3000 >sent || exit 1

# acks_for STATUS FILE: an ack with STATUS for each record in FILE.
acks_for() {
	perl -MJSON::PP -e '
		my $s = shift @ARGV;
		while (<>) {
			my $r = decode_json($_);
			print encode_json({ message_id => $r->{message_id},
			    receipt_handle => $r->{receipt_handle}, status => $s }), "\n";
		}' "$1" "$2"
}

# ring_start ARGS...: sqs-read ARGS in the background, its records copied
# to "out" and its ack channel (a FIFO) held open on descriptor 9, as
# the stage downstream would hold it.  RING_PID is its pid.
ring_start() {
	rm -f acks recs out && mkfifo acks recs || return 1
	sqs-read "$@" <acks >recs 2>err &
	RING_PID=$!
	exec 9>acks
	cat recs >out 9>&- &
	return 0
}

# ring_wait STATUS: waits for sqs-read to end; fails unless its exit
# status is STATUS.
ring_wait() {
	wait $RING_PID
	local st=$?
	[ "$st" = "$1" ] || { echo "sqs-read exited $st, want $1" >&2; return 1; }
}

# The acker takes the first 1000 records and holds the rest, and at most
# 500 may wait unacked, so the signal comes with at most 1500 of the
# 3000 written, however fast the machine: some acked, maybe some held.
test_expect_success 'SIGTERM in the middle of a drain loses nothing and duplicates nothing' '
	url=$(sqs_create term) &&
	sqs_send "$url" sent >/dev/null &&
	mkfifo acks recs || return 1
	sqs-read -c 2 --wait 1 --visibility 5 --max-inflight 500 --drain term \
	    <acks >recs 2>err &
	pid=$!
	ack_echo out 1000 >acks <recs &
	test_wait_for "test -s out && test \$(wc -l <out) -ge 300" 60 &&
	kill -TERM $pid &&
	{ wait $pid; test $? = 0; } &&
	n=$(wc -l <out) && test "$n" -le 1500 &&
	acked=$(( n < 1000 ? n : 1000 )) &&
	head -n $acked out >deleted &&
	# what was acked is deleted; the rest is all still there (held ones
	# given back, those of receives cut short visible again in 5 s)
	timeout 120 sqs-read --wait 1 --max-messages $((3000 - acked)) \
	    --delete-after-write term >rest 2>err2 &&
	cat deleted rest >all && test "$(wc -l <all)" = 3000 &&
	test "$(ids all | uniq | wc -l)" = 3000 &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success '--max-inflight holds, and acks let more through' '
	url=$(sqs_create cap) &&
	head -n 100 sent >few && sqs_send "$url" few >/dev/null &&
	ring_start --max-inflight 25 --wait 1 cap &&
	test_wait_for "test \$(wc -l <out) -ge 25" 30 &&
	sleep 2 && test "$(wc -l <out)" = 25 &&
	test "$(sqs_count "$url")" = "75 25" &&
	head -n 10 out >first10 && acks_for loaded first10 >&9 &&
	test_wait_for "test \$(wc -l <out) -ge 35" 30 &&
	sleep 2 && test "$(wc -l <out)" = 35 &&
	test "$(sqs_count "$url")" = "65 25"
'

test_expect_success 'bad ack lines are warned about by line and message id, never echoed' '
	printf "%s\n" "not json at all SECRETBODY" "{\"no_handle\":\"SECRETBODY\"}" \
	    "{\"message_id\":\"m-unknown\",\"receipt_handle\":\"SECRETHANDLE\"}" \
	    "[\"SECRETBODY\"]" >&9 &&
	sed -n 11p out >one && acks_for odd-status one >&9 &&
	test_wait_for "grep -q \"unknown status\" err" 10 &&
	grep -q "ack line 11: not valid JSON: ignored" err &&
	grep -q "ack line 12: no receipt_handle: ignored" err &&
	grep -q "ack for message m-unknown: receipt handle not held" err &&
	grep -q "ack line 14: not a JSON object: ignored" err &&
	test_must_not_contain err SECRET &&
	kill -0 $RING_PID
'

test_expect_success 'on SIGTERM it closes stdout, then gives back what stays unacked' '
	kill -TERM $RING_PID &&
	test_wait_for "test \$(jobs -r | wc -l) -le 1" 30 &&
	exec 9>&- &&
	ring_wait 0 &&
	test "$(wc -l <out)" = 36 &&
	test "$(sqs_count "$url")" = "90 0"
'

test_expect_success 'a released message is received again before --drain ends' '
	url=$(sqs_create release) &&
	head -n 50 sent >few && sqs_send "$url" few >/dev/null &&
	rm -f acks && mkfifo acks &&
	{
		sqs-read --drain --wait 1 release <acks 2>err |
		    ack_release_first >acks 2>out
		test "${PIPESTATUS[*]}" = "0 0"
	} &&
	test "$(wc -l <out)" = 100 &&
	perl -MJSON::PP -ne "\$c{decode_json(\$_)->{receive_count}}++;
	    END { exit !(\$c{1} == 50 && \$c{2} == 50) }" out &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'held messages are kept invisible past their visibility timeout' '
	url=$(sqs_create heartbeat) &&
	head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	ring_start -v --visibility 2 --wait 1 heartbeat &&
	test_wait_for "test \$(wc -l <out) -ge 20" 30 &&
	sleep 5 &&
	sqs-read --wait 0 --drain heartbeat </dev/null >other 2>/dev/null &&
	test ! -s other &&
	acks_for loaded out >&9 &&
	test_wait_for "test \"\$(sqs_count $url)\" = \"0 0\"" 30 &&
	kill -TERM $RING_PID &&
	test_wait_for "grep -q \"stopping\" err" 10 &&
	exec 9>&- &&
	ring_wait 0
'

test_expect_success 'a second signal ends it at once' '
	url=$(sqs_create twice) &&
	head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	ring_start -v --wait 1 twice &&
	test_wait_for "test \$(wc -l <out) -ge 20" 30 &&
	kill -TERM $RING_PID &&
	test_wait_for "grep -q \"stopping\" err" 10 &&
	kill -TERM $RING_PID &&
	ring_wait 143 &&
	exec 9>&-
'

test_expect_success 'acks that end early are a lost peer: exit 74' '
	url=$(sqs_create early) &&
	head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	ring_start --wait 1 early &&
	exec 9>&- &&
	ring_wait 74 &&
	grep -q "acks ended early" err
'

# Records in the pipe when its reader dies were written, and may be
# deleted already (the manual says so): never more than were written.
test_expect_success 'a reader that goes away is a lost peer: exit 74, nothing unwritten deleted' '
	url=$(sqs_create epipe) &&
	sqs_send "$url" sent >/dev/null &&
	{ sqs-read -v --wait 1 --delete-after-write epipe 2>err; echo $? >status; } |
	    head -n 1 >/dev/null &&
	test_wait_for "test -s status" 30 &&
	test "$(cat status)" = 74 &&
	grep -q "the reader has gone" err &&
	written=$(sed -n "s/.*done: received [0-9]*, written \([0-9]*\),.*/\1/p" err) &&
	deleted=$(sed -n "s/.*done: .*, deleted \([0-9]*\),.*/\1/p" err) &&
	left=$(sqs_count "$url" | awk "{ print \$1 + \$2 }") &&
	echo "written $written, deleted $deleted, left $left" &&
	test -n "$written" && test -n "$deleted" &&
	test $((3000 - left)) = "$deleted" &&
	test "$deleted" -le "$written"
'

test_expect_success 'setup: an empty queue' '
	sqs_create nbin >/dev/null &&
	rm -f in && mkfifo in
'

test_expect_success 'standard input is left blocking at the end, as it came' '
	{
		sqs-read -v --drain --wait 1 nbin >/dev/null 2>err
		st=$?
		perl -MFcntl -e "exit((fcntl(STDIN, F_GETFL, 0) & O_NONBLOCK) ? 1 : 0)" &&
		test $st = 0
	} <in &
	pid=$!
	exec 9>in &&
	test_wait_for "grep -q \"the queue is drained\" err" 30 &&
	exec 9>&- &&
	wait $pid
'

# sock_ring ARGS...: sqs-read ARGS with standard input and output one
# socket, as socat EXEC: gives them; the other end acks every record
# until it reads the end, then closes.  A copy of sqs-read's end stays
# open here, so that only a shutdown can end the records.  Prints the
# records acked, sqs-read's exit status, and its end's mode at the end.
sock_ring() {
	timeout 60 perl -MSocket -MFcntl -MJSON::PP -e '
		socketpair(my $me, my $it, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die "socketpair: $!";
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) {
			close $me;
			open(STDIN, "<&", $it) && open(STDOUT, ">&", $it) or die "dup: $!";
			exec(@ARGV) or die "exec: $!";
		}
		my $n = 0;
		while (my $l = <$me>) {
			my $r = decode_json($l);
			my $ack = encode_json({ receipt_handle => $r->{receipt_handle},
			    message_id => $r->{message_id}, status => "loaded" }) . "\n";
			syswrite($me, $ack) == length($ack) or die "ack: $!";
			$n++;
		}
		close $me;
		waitpid($pid, 0) == $pid or die "waitpid: $!";
		my $fl = fcntl($it, F_GETFL, 0) // die "fcntl: $!";
		print "$n ", $? >> 8, " ", ($fl & O_NONBLOCK) ? "non-blocking" : "blocking", "\n";
	' "$@"
}

test_expect_success 'one socket as stdin and stdout: the reader sees the end, acks go on' '
	url=$(sqs_create sock) &&
	head -n 20 sent >few && sqs_send "$url" few >/dev/null &&
	sock_ring sqs-read --drain --wait 1 sock >result 2>err &&
	echo "20 0 blocking" >expect &&
	test_cmp expect result &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'setup: 50 messages of 10 kB' '
	url=$(sqs_create cut) &&
	perl -e "print q(y) x 10007, qq(\n) for 1 .. 50" >tenk &&
	sqs_send "$url" tenk >/dev/null &&
	rm -f acks recs go && mkfifo acks recs
'

# The reader takes nothing until the deadline has passed: the pipe is
# full, most likely in the middle of a record.
test_expect_success 'at the shutdown deadline, the reader still gets whole records only' '
	sqs-read -v --shutdown-timeout 1 --wait 1 cut <acks >recs 2>err &
	RING_PID=$!
	exec 9>acks
	{ test_wait_for "test -e go" 60; cat; } <recs >out 9>&- &
	reader=$!
	test_wait_for "test \"\$(sqs_count $url)\" = \"0 50\"" 30 &&
	kill -TERM $RING_PID &&
	test_wait_for "grep -q \"no ack after 1 s: giving 50 messages back\" err" 30 &&
	touch go &&
	exec 9>&- &&
	ring_wait 0 &&
	wait $reader &&
	n=$(wc -l <out) && echo "$n records out" &&
	test "$n" -gt 0 && test "$n" -lt 50 &&
	test -z "$(tail -c 1 out)" &&
	perl -MJSON::PP -ne "exit 1 unless length(decode_json(\$_)->{body}) == 10007" out &&
	test_wait_for "test \"\$(sqs_count $url)\" = \"50 0\"" 30
'

# Whoever else holds the ack pipe's read end may make it blocking (its
# flags are shared): acks are still read only when they are there, so
# the loop neither stalls on them nor keeps a signal from ending the run.
test_expect_success 'an ack pipe made blocking by another holder: acked, deleted, a signal ends it' '
	url=$(sqs_create blocking) && head -n 5 sent >five && sqs_send "$url" five >/dev/null &&
	timeout 60 perl -MFcntl -MJSON::PP -e "
		pipe(my \$ar, my \$aw) or die; pipe(my \$rr, my \$rw) or die;
		my \$pid = fork() // die;
		if (\$pid == 0) {
			close \$aw; close \$rr;
			open(STDIN, q(<&), \$ar); open(STDOUT, q(>&), \$rw);
			exec(@ARGV) or die;
		}
		close \$rw; \$aw->autoflush(1);
		my \$n = 0;
		while (my \$l = <\$rr>) {
			fcntl(\$ar, F_SETFL, 0) or die;
			my \$r = decode_json(\$l);
			print \$aw encode_json({ message_id => \$r->{message_id},
			    receipt_handle => \$r->{receipt_handle}, status => q(loaded) }), qq(\n);
			last if ++\$n == 5;
		}
		sleep 2; kill q(TERM), \$pid; waitpid(\$pid, 0);
		exit(\$? >> 8);
	" sqs-read -v --shutdown-timeout 5 --wait 1 blocking 2>err &&
	grep -q "done: received 5, written 5, acked 5, deleted 5," err &&
	test "$(sqs_count "$url")" = "0 0"
'

test_done
