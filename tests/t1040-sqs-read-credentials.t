#!/bin/bash
# sqs-read finds credentials as AWS's tools do: environment, profiles in
# the shared files, the container endpoint, IMDSv2; it refreshes those
# that expire; and secrets never show in its messages.  The scripted SQS
# front serves the credential endpoints on loopback and checks each
# request's signature against the key it was meant to use.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/tests/lib/sqs.sh"
. "$TOP/tests/lib/sqs-read.sh"

test_services sqs
"$TOOLS/gen-logins" 20 >sent || exit 1
url=$(sqs_create creds) || exit 1

fake_sqs '{"secrets": {"AKIDPROFILE": "profile-secret", "AKIDCONFIG": "config-secret",
	"AKIDEXAMPLETEST": "test-secret-not-real"}, "token": "Bearer container-token", "lifetime": 4}'
queue=$AWS_ENDPOINT_URL_SQS/000000000000/creds

# drain_with ENV...: one drain of the queue (refilled first) through the
# scripted front, with the environment changed as given.
drain_with() {
	sqs_send "$url" sent >/dev/null &&
	env "$@" sqs-read -e "$FAKE" -c 1 --drain --wait 1 --delete-after-write "$queue" \
	    >out 2>err &&
	test "$(wc -l <out)" = 20
}

cat >credentials <<'EOC'
# comment
[default]
aws_access_key_id = AKIDWRONG
aws_secret_access_key = wrong

[work]
aws_access_key_id=AKIDPROFILE
aws_secret_access_key   =   profile-secret
EOC
cat >config <<'EOC'
[default]
region = eu-west-1
[profile cfg]
region = us-east-1
s3 =
    max_concurrent_requests = 20
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = config-secret
[profile role]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = work
EOC

test_expect_success 'a profile in the credentials file signs the requests' '
	: >"$FAKE_LOG" &&
	drain_with -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_SHARED_CREDENTIALS_FILE=credentials AWS_PROFILE=work &&
	test "$(fake_count key AKIDPROFILE)" -gt 0 &&
	test "$(fake_count sig false)" = 0
'

test_expect_success '--profile wins over the environment; keys may sit in the config file' '
	: >"$FAKE_LOG" &&
	sqs_send "$url" sent >/dev/null &&
	AWS_CONFIG_FILE=config sqs-read --profile cfg -e "$FAKE" -c 1 --drain --wait 1 \
	    --delete-after-write "$queue" >out 2>err &&
	test "$(fake_count key AKIDCONFIG)" -gt 0 &&
	test "$(fake_count key AKIDEXAMPLETEST)" = 0
'

test_expect_success 'the region comes from the profile when nothing else names it' '
	: >"$FAKE_LOG" &&
	drain_with -u AWS_REGION AWS_CONFIG_FILE=config AWS_PROFILE=cfg &&
	test "$(fake_count sig true)" -gt 0 &&
	test_must_fail --code 78 env -u AWS_REGION sqs-read -e "$FAKE" --drain "$queue" \
	    </dev/null >out 2>err &&
	grep -q "no region" err
'

test_expect_success 'a profile that is not there, or asks for a role, is a config error' '
	test_must_fail --code 78 env AWS_PROFILE=nope sqs-read -e "$FAKE" "$queue" </dev/null 2>err &&
	grep -q "profile nope: not found in" err &&
	test_must_fail --code 78 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONFIG_FILE=config AWS_PROFILE=role sqs-read -e "$FAKE" "$queue" </dev/null 2>err &&
	grep -q "profile role: role_arn is not supported" err
'

test_expect_success 'no credentials anywhere: a config error that says where it looked' '
	test_must_fail --code 78 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    sqs-read -e "$FAKE" "$queue" </dev/null 2>err &&
	grep -q "no AWS credentials" err &&
	test_must_fail --code 78 env AWS_SECRET_ACCESS_KEY= sqs-read -e "$FAKE" "$queue" \
	    </dev/null 2>err &&
	grep -q "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY" err
'

printf "Bearer container-token\n" >token
test_expect_success 'the container endpoint gives temporary credentials, with their session token' '
	: >"$FAKE_LOG" &&
	drain_with -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/creds" \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/token &&
	test "$(fake_count action container)" -ge 1 &&
	test "$(fake_count ok false)" = 0 &&
	test "$(fake_count sig false)" = 0 &&
	test "$(grep -c "\"token\":\"token-" "$FAKE_LOG")" -gt 0 &&
	test_must_not_contain err "token-" && test_must_not_contain err secret-
'

test_expect_success 'a wrong container token is refused, and says so' '
	test_must_fail --code 75 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/creds" \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong sqs-read -e "$FAKE" "$queue" </dev/null 2>err &&
	grep -q "the container credentials endpoint: HTTP 401" err &&
	test_must_fail --code 78 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds \
	    sqs-read -e "$FAKE" "$queue" </dev/null 2>err &&
	grep -q "plain http is allowed only to a loopback" err
'

test_expect_success 'IMDSv2 gives the instance role credentials, token first' '
	: >"$FAKE_LOG" &&
	drain_with -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE/" &&
	test "$(fake_count action imds-token)" -ge 1 &&
	test "$(fake_count action imds-role)" = 1 &&
	test "$(fake_count action imds-creds)" -ge 1 &&
	test "$(fake_count ok false)" = 0 &&
	test "$(fake_count sig false)" = 0 &&
	head -n 1 "$FAKE_LOG" | grep -q imds-token
'

# receive_keys: how many keys signed the ReceiveMessage calls logged.
receive_keys() {
	perl -MJSON::PP -ne 'my $j = decode_json($_);
	    print $j->{key}, "\n" if $j->{action} eq "ReceiveMessage"' "$FAKE_LOG" |
	    sort -u | wc -l
}

test_expect_success 'temporary credentials are refreshed before they expire' '
	: >"$FAKE_LOG"
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/creds" \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/token \
	    sqs-read -e "$FAKE" -c 1 --wait 1 "$queue" </dev/null >out 2>err &
	pid=$!
	test_wait_for "test \$(receive_keys) -ge 3" 30 &&
	kill -TERM $pid && wait $pid &&
	test "$(fake_count action container)" -ge 3 &&
	test "$(fake_count sig false)" = 0
'

"$TOOLS/gen-logins" 40 >forty || exit 1
fake_sqs '{"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}, "token": "Bearer container-token",
	"lifetime": 8, "rules": [{"action": "container", "skip": 1, "reply": {"delayMs": 3000}}]}'
# One ack every 0.2 s: the refresh, due 4 s in and answered 3 s later,
# comes in the middle.  Requests logged while it was unanswered were
# sent while sqs-read waited for it.
test_expect_success 'acks are read and deletes sent while the credentials endpoint is slow' '
	url=$(sqs_create slow-creds) && sqs_send "$url" forty >/dev/null &&
	rm -f acks && mkfifo acks &&
	{
		env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		    AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/creds" \
		    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/token \
		    sqs-read -e "$FAKE" -c 1 --drain --wait 1 "$url" <acks 2>err |
		perl -MJSON::PP -ne "
			\$| = 1; select(undef, undef, undef, 0.2); my \$r = decode_json(\$_);
			print encode_json({ receipt_handle => \$r->{receipt_handle},
			    message_id => \$r->{message_id}, status => q(loaded) }), qq(\n);
		" >acks
		test "${PIPESTATUS[*]}" = "0 0"
	} &&
	test "$(fake_count action container)" -ge 2 &&
	during=$(perl -MJSON::PP -ne "my \$j = decode_json(\$_);
	    \$n++ if \$j->{action} eq q(DeleteMessageBatch) && \$j->{credsPending};
	    END { print \$n + 0 }" "$FAKE_LOG") &&
	echo "deletes sent while the credentials were on their way: $during" &&
	test "$during" -ge 5 &&
	test "$(fake_count sig false)" = 0 &&
	test "$(sqs_count "$url")" = "0 0"
'

echo test-role >role
fake_sqs '{"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"}, "lifetime": 4,
	"roleFile": "'"$TMP"'/role"}'
test_expect_success 'IMDS: when the role kept has no credentials any more, its name is asked again' '
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE/" \
	    sqs-read -e "$FAKE" -c 1 --wait 1 "$queue" </dev/null >out 2>err &
	pid=$!
	test_wait_for "test \$(fake_count action imds-creds) -ge 1" 30 &&
	echo other-role >role &&
	test_wait_for "test \$(receive_keys) -ge 3 || test_process_gone $pid" 30 &&
	kill -TERM $pid && wait $pid &&
	test "$(fake_count found false)" -ge 1 &&
	test "$(fake_count action imds-role)" = 2 &&
	test "$(fake_count sig false)" = 0
'

# Temporary credentials the service refuses as expired, while the
# endpoint that gives them fails for a while.  The first receive is
# held back 2 s, long enough to spoil the endpoint's token; the second
# is refused, and so is any later request signed with that key.
stale_plan='{"secrets": {"AKIDEXAMPLETEST": "test-secret-not-real"},
	"token": "Bearer container-token", "lifetime": LIFE, "rules": [
	{"action": "ReceiveMessage", "times": 1, "reply": {"delayMs": 2000}},
	{"action": "ReceiveMessage", "times": 1, "reply": {"expired": true}}]}'

# stale_run: a drain of the queue through the plan, the endpoint's token
# spoilt once the first credentials are out; sets pid.
stale_run() {
	url=$(sqs_create "$1") && sqs_send "$url" sent >/dev/null &&
	printf "Bearer container-token\n" >token || return 1
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE/creds" \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/token \
	    sqs-read -e "$FAKE" -c 1 --drain --wait 1 --delete-after-write "$url" \
	    >out 2>err &
	pid=$!
	test_wait_for "test \$(fake_count action container) -ge 1" 30 &&
	printf "Bearer wrong\n" >token
}

# refused_after: requests signed with the refused key that reached the
# service after the first failed fetch of new credentials.
refused_after() {
	perl -MJSON::PP -ne 'my $j = decode_json($_);
	    $bad //= $j->{key} if ($j->{rule} // "") eq "expired";
	    $failed = 1 if $j->{action} eq "container" && !$j->{ok};
	    $n++ if $failed && defined $j->{key} && $j->{key} eq $bad;
	    END { print $n + 0, "\n" }' "$FAKE_LOG"
}

fake_sqs "${stale_plan/LIFE/60}"
test_expect_success 'credentials refused as expired: requests wait while new ones are sought' '
	stale_run stale &&
	test_wait_for "test \$(fake_count ok false) -ge 2" 30 &&
	printf "Bearer container-token\n" >token &&
	{ wait $pid; test $? = 0; } &&
	test "$(wc -l <out)" = 20 &&
	test "$(sqs_count "$url")" = "0 0" &&
	grep -q "could not be refreshed yet: HTTP 401" err &&
	test "$(refused_after)" = 0 &&
	test "$(fake_count sig false)" = 0
'

fake_sqs "${stale_plan/LIFE/8}"
test_expect_success 'and if none come before the refused ones would have expired: 75' '
	stale_run stale-for-good &&
	{ wait $pid; test $? = 75; } &&
	grep -q "were refused as expired and could not be refreshed: HTTP 401" err &&
	test "$(fake_count ok false)" -ge 3 &&
	test "$(refused_after)" = 0 &&
	test_must_not_contain err "token-" && test_must_not_contain err secret-
'

test_done
