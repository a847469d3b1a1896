#!/bin/bash
# make demo: the whole job on services of its own.  Its summary must be
# the truth about what it sent: every valid message loaded once, the
# redelivered ones skipped, every malformed one rejected; its output
# holds masks, not the input's ips and device ids; and it leaves nothing
# behind, however it ends.
. "$(dirname "$0")/lib/tap.sh"

SAMPLE=$TOP/tests/data/fetch-login-queue.ndjson

# fig LABEL: the figure after a summary label, e.g. fig "messages loaded".
fig() {
	sed -n "s/^  $1  *\([0-9][0-9]*\) .*/\1/p" out
}

# The lines of a section of out, from its "== TITLE" to the blank line.
section() {
	sed -n "/^== $1/,/^\$/p" out | sed '1d;$d'
}

# Whether nothing listens on any of the ports 127.0.0.1:$1...
none_listening() {
	local p
	for p; do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 1
	done
	return 0
}

# The PostgreSQL and SQS ports the demo says it used.
demo_ports() {
	sed -n 's/^  PostgreSQL .*:\([0-9]*\), SQS emulator on .*:\([0-9]*\)$/\1 \2/p' "$1"
}

# The demo's TMPDIR, to see what it leaves there: outside $TMP, which
# the postgres user that runs the server cannot enter.
DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/login-etl-demo-test.XXXXXX") &&
	chmod 711 "$DEMO_TMP" || exit 1
test_cleanup "rm -rf '$DEMO_TMP'"

test_expect_success 'the demo runs to the end, without a word on stderr' '
	TMPDIR=$DEMO_TMP "$TOP/scripts/demo" >out 2>err &&
	test_cmp /dev/null err &&
	tail -n 1 out | grep "^done: services stopped"
'

# Its malformed lines: the sample's one has no user_id, gen-logins's
# start their user_id with "bad-" or are the sample's.
test_expect_success 'what it says it sent is the sample and the generated logins' '
	n1=$(wc -l <"$SAMPLE") && bad1=$(grep -c -v "\"user_id\"" "$SAMPLE") &&
	grep "^ *$n1  real bodies, .* ($bad1 malformed)\$" out &&
	args=$(sed -n "s/.*generated, .*: gen-logins \(.*\) ([0-9]* malformed)\$/\1/p" out) &&
	test -n "$args" &&
	"$TOOLS/gen-logins" $args >gen &&
	n2=$(wc -l <gen) && bad2=$(grep -c -e "\"bad-" -e "^{\"foo\"" gen) &&
	grep "^ *$n2  generated, .* ($bad2 malformed)\$" out &&
	sent=$((n1 + n2)) && bad=$((bad1 + bad2)) &&
	grep "^  sent $sent messages: $((sent - bad)) valid, $bad malformed\$" out
'

test_expect_success 'every valid message sent is loaded, each once' '
	loaded=$(fig "messages loaded") &&
	test "$loaded" = $((sent - bad)) &&
	test "$(fig "distinct user_ids")" = "$loaded"
'

test_expect_success 'the messages delivered twice are skipped as duplicates' '
	first=$(sed -n "s/^== a first run loads \([0-9]*\) messages, .*/\1/p" out) &&
	test "$first" -gt 0 &&
	test "$(fig "duplicates skipped")" = "$first" &&
	grep "^  pg-load: $sent records: $((loaded - first)) loaded, $first duplicates," out &&
	grep ": $first by the first run, $((loaded - first)) by etl)\$" out
'

test_expect_success 'every malformed message is rejected, counted by reason' '
	test "$(fig rejected)" = "$bad" &&
	sed -n "/^  rejected /,/^  left in/p" out |
	    sed -n "s/^ *\([0-9][0-9]*\)  [a-z_]*: .*/\1/p" >reasons &&
	test "$(paste -sd+ reasons | bc)" = "$bad" &&
	grep "^  left in login-queue  *0  (dead-letter queue: 0)\$" out
'

test_expect_success 'the rows of one ip all carry the same masked_ip' '
	section "one ip" | sed "1,2d" >ip-rows &&
	test "$(wc -l <ip-rows)" -ge 2 &&
	awk "{ print \$NF }" ip-rows | sort -u >masks &&
	test "$(wc -l <masks)" = 1 &&
	grep -E "^h1\.ip\.[0-9a-f]{8}\.[A-Za-z0-9_-]{43}\$" masks
'

test_expect_success 'the reversible mask of the demo value unmasks to it' '
	value=$(sed -n "s/^== reversible masks: .*, on a demo value (\(.*\))\$/\1/p" out) &&
	test -n "$value" &&
	section "reversible masks" >rev &&
	sed -n "2p" rev | grep -E "^    s1\.ip\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\$" &&
	sed -n "3p" rev | grep -e "--unmask" &&
	test "$(sed -n "4p" rev)" = "    $value"
'

test_expect_success 'no ip or device id of the input appears in the output' '
	perl -MJSON::PP -ne "
		my \$j = eval { JSON::PP->new->decode(\$_) } or next;
		ref \$j eq q(HASH) or next;
		print \"\$j->{ip}\n\" if defined \$j->{ip};
		print \"\$j->{device_id}\n\" if defined \$j->{device_id};
	" "$SAMPLE" gen >pii &&
	test "$(wc -l <pii)" -gt 60 &&
	! grep -w -F -f pii out err &&
	test_must_not_contain out "[0-9a-f]\{64\}"
'

test_expect_success 'it leaves nothing behind: services stopped, files removed' '
	ports=$(demo_ports out) && test -n "$ports" &&
	none_listening $ports &&
	test -z "$(ls -A "$DEMO_TMP")"
'

test_expect_success 'stopped by SIGTERM, it stops its services and removes its files' '
	TMPDIR=$DEMO_TMP "$TOP/scripts/demo" >out2 2>err2 &
	pid=$! &&
	test_wait_for "grep -q \"^  PostgreSQL \" out2" 120 &&
	ports=$(demo_ports out2) &&
	kill -TERM $pid && { wait $pid; st=$?; } &&
	test "$st" = 143 &&
	grep "^demo: terminated" err2 &&
	none_listening $ports &&
	test -z "$(ls -A "$DEMO_TMP")"
'

test_expect_success 'without the programs it fails at once, saying what is missing' '
	mkdir empty &&
	test_must_fail env BIN=$TMP/empty TMPDIR=$DEMO_TMP "$TOP/scripts/demo" >out3 2>err3 &&
	grep "^demo: .*/empty/etl not found" err3 &&
	test -z "$(ls -A "$DEMO_TMP")"
'

test_done
