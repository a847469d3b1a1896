#!/bin/bash
# sqs-read's command line: help, version, bounded numbers, clear errors,
# and descriptors that close on exec.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"

test_expect_success '-h prints the usage on stdout and exits 0' '
	sqs-read -h >out 2>err &&
	grep -q "^usage: sqs-read \[-hv\] \[-c concurrency\]" out &&
	test ! -s err
'

test_expect_success 'the usage is the man page SYNOPSIS, word for word' '
	sqs-read -h | sed "s/^usage: //" | tr -s " \n" "  " | sed "s/ *$//" >usage &&
	MANWIDTH=1000 man -l "$TOP/man/sqs-read.1" 2>/dev/null |
	    sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
	    tr -s " \n" "  " | sed "s/^ *//;s/ *$//" >synopsis &&
	test_cmp synopsis usage
'

test_expect_success '--version prints the version' '
	sqs-read --version >out &&
	grep -q "^sqs-read [0-9][0-9.]*$" out
'

test_expect_success 'numbers are checked, naming the option and the input' '
	test_must_fail --code 64 sqs-read --wait 21 q 2>err &&
	grep -q "sqs-read: --wait 21: too large" err &&
	test_must_fail --code 64 sqs-read -c 0 q 2>err &&
	grep -q "sqs-read: -c 0: too small" err &&
	test_must_fail --code 64 sqs-read --visibility 1x q 2>err &&
	grep -q "sqs-read: --visibility 1x: not a number" err &&
	test_must_fail --code 64 sqs-read --max-inflight -5 q 2>err &&
	grep -q "max-inflight -5: not a number" err &&
	test_must_fail --code 64 sqs-read --max-messages 99999999999999999999 q 2>err &&
	grep -q "too large" err
'

test_expect_success 'a missing or second queue is a usage error, said as sqs-read: reason' '
	test_must_fail --code 64 sqs-read 2>err &&
	head -n 1 err >first &&
	echo "sqs-read: missing queue" >want && test_cmp want first &&
	sed -n 2p err | grep -q "^usage: sqs-read \[-hv\]" &&
	test_must_fail --code 64 sqs-read a b 2>err &&
	grep -q "^sqs-read: one queue only$" err
'

test_expect_success 'a bad endpoint or region is named' '
	test_must_fail --code 64 sqs-read -e ftp://127.0.0.1/ q </dev/null 2>err &&
	grep -q "sqs-read: -e ftp://127.0.0.1/: not an http or https URL" err &&
	test_must_fail --code 64 sqs-read --region "Bad Region" q </dev/null 2>err &&
	grep -q -- "--region Bad Region: not a region name" err
'

test_services sqs

test_expect_success 'its descriptors close on exec (no stray copy of a pipe in a child)' '
	sqs_create idle >/dev/null
	sqs-read --wait 20 idle </dev/null >/dev/null 2>err &
	pid=$!
	test_wait_for "ls -l /proc/$pid/fd | grep -q socket:" 10 &&
	sleep 1 &&
	stray=
	# its own descriptors: the sockets (others may be inherited)
	for fd in $(ls /proc/$pid/fd); do
		case $(readlink /proc/$pid/fd/$fd) in socket:*) ;; *) continue ;; esac
		flags=$(sed -n "s/^flags:[[:space:]]*//p" /proc/$pid/fdinfo/$fd)
		test $((0$flags & 02000000)) != 0 || stray="$stray $fd"
	done
	kill -TERM $pid && wait $pid &&
	test -z "$stray"
'

test_expect_success '--check: 0 for a queue that answers, by name or URL; nothing received' '
	url=$(sqs_create checked) &&
	sqs_call SendMessage "{\"QueueUrl\":\"$url\",\"MessageBody\":\"hello\"}" >/dev/null &&
	sqs-read --check checked </dev/null >out 2>err &&
	sqs-read --check "$AWS_ENDPOINT_URL_SQS/000000000000/checked" </dev/null >>out 2>>err &&
	test ! -s out && test ! -s err &&
	test "$(sqs_count "$url")" = "1 0"
'

test_expect_success '--check: 66 for a missing queue, by name or URL, naming it' '
	test_must_fail --code 66 sqs-read --check no-such </dev/null 2>err &&
	grep -q "^sqs-read: queue no-such: GetQueueUrl: the queue does not exist" err &&
	test_must_fail --code 66 sqs-read --check "$AWS_ENDPOINT_URL_SQS/000000000000/no-such" \
	    </dev/null 2>err &&
	grep -q "^sqs-read: queue .*/no-such: GetQueueAttributes: the queue does not exist" err
'

test_expect_success '--check leaves a pipe on standard input as it was (blocking)' '
	sleep 1 | { sqs-read --check checked 2>err &&
	    perl -MFcntl -e "exit((fcntl(STDIN, F_GETFL, 0) & O_NONBLOCK) ? 1 : 0)"; }
'

test_done
