#!/bin/bash
# The throwaway services the tests run against are the real thing: a
# PostgreSQL server and an SQS emulator answering over HTTP on loopback.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"

test_services pg sqs

test_expect_success 'settings are printed for PostgreSQL and SQS, on loopback' '
	test -n "$PGHOST" && test -n "$PGPORT" &&
	case $AWS_ENDPOINT_URL_SQS in http://127.0.0.1:*) ;; *) false ;; esac
'

test_expect_success 'PostgreSQL answers a query over its socket and over TCP' '
	test "$(psql -X -Atc "select 6 * 7")" = 42 &&
	test "$(psql -X -h 127.0.0.1 -Atc "select current_setting(\$\$port\$\$)")" = "$PGPORT"
'

test_expect_success 'the emulator answers CreateQueue' '
	url=$(sqs_create smoke) &&
	case $url in */smoke) ;; *) false ;; esac
'

test_expect_success 'and SendMessageBatch' '
	sqs_call SendMessageBatch "{\"QueueUrl\":\"$url\",\"Entries\":[
		{\"Id\":\"a\",\"MessageBody\":\"one \\\"quoted\\\"\"},
		{\"Id\":\"b\",\"MessageBody\":\"two\"}]}" >sent.json &&
	test "$(json_get "scalar @{\$j->{Successful}}" <sent.json)" = 2
'

test_expect_success 'and ReceiveMessage, with the bodies sent and their MD5' '
	sqs_call ReceiveMessage "{\"QueueUrl\":\"$url\",\"MaxNumberOfMessages\":10,
		\"MessageSystemAttributeNames\":[\"SentTimestamp\",\"ApproximateReceiveCount\"]}" >recv.json &&
	json_get "sort map { \$_->{Body} } @{\$j->{Messages}}" <recv.json >bodies &&
	printf "%s\n" "one \"quoted\"" two >expect &&
	test_cmp expect bodies &&
	json_get "map { \$_->{MD5OfBody} } grep { \$_->{Body} eq q(two) } @{\$j->{Messages}}" <recv.json >md5 &&
	printf two | md5sum | cut -d" " -f1 >expect &&
	test_cmp expect md5
'

test_expect_success 'and DeleteMessageBatch, which empties the queue' '
	entries=$(json_get "join q(,), map { qq({\"Id\":\"e\$_\",\"ReceiptHandle\":\"\$j->{Messages}[\$_]{ReceiptHandle}\"}) } 0..\$#{\$j->{Messages}}" <recv.json) &&
	sqs_call DeleteMessageBatch "{\"QueueUrl\":\"$url\",\"Entries\":[$entries]}" >del.json &&
	test "$(json_get "scalar @{\$j->{Successful}}" <del.json)" = 2 &&
	test "$(sqs_count "$url")" = "0 0"
'

test_expect_success 'a second set of services starts beside the first without colliding' '
	env2=$("$TOP/scripts/services" start pg sqs) &&
	dir2=$(eval "$env2"; echo "$LOGIN_ETL_SERVICES") &&
	port2=$(eval "$env2"; echo "$PGPORT") &&
	sqs2=$(eval "$env2"; echo "$AWS_ENDPOINT_URL_SQS") &&
	test "$dir2" != "$LOGIN_ETL_SERVICES" && test "$port2" != "$PGPORT" &&
	test "$sqs2" != "$AWS_ENDPOINT_URL_SQS" &&
	test "$(eval "$env2"; psql -X -Atc "select 1")" = 1 &&
	"$TOP/scripts/services" stop "$dir2" &&
	test ! -e "$dir2" &&
	test "$(psql -X -Atc "select 2")" = 2
'

test_expect_success 'services whose owner is killed stop by themselves' '
	sleep 300 & owner=$! &&
	env3=$("$TOP/scripts/services" start --owner $owner pg sqs) &&
	dir3=$(eval "$env3"; echo "$LOGIN_ETL_SERVICES") &&
	pgpid=$(head -n 1 "$dir3/pg/data/postmaster.pid") &&
	kill -9 $owner &&
	test_wait_for "! test -e \"$dir3\"" 30 &&
	test_wait_for "test_process_gone $pgpid" 10
'

test_expect_success 'services run stops them when the command fails' '
	test_must_fail "$TOP/scripts/services" run sqs -- sh -c "echo \$LOGIN_ETL_SERVICES >dir; exit 3" &&
	test -s dir && test ! -e "$(cat dir)"
'

test_done
