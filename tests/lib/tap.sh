# tap.sh: shell tests as TAP for prove(1), in the manner of git's t/.
#
#	. "$(dirname "$0")/lib/tap.sh"
#	test_expect_success 'what the user relies on' '
#		cmd >out && test_cmp expect out
#	'
#	test_done
#
# Each test body runs in this shell (variables carry over) with its
# output kept in a log that is shown as TAP comments when it fails.
# TEST_VERBOSE=1 shows every log.  $TOP is the source tree, $BIN the
# programs under test (build/bin unless set), put first on PATH; $TMP
# is a private scratch directory, removed at the end.

TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$TOP/build/bin}
TOOLS=${TOOLS:-$TOP/build/tools}
PATH=$BIN:$PATH
export TOP BIN TOOLS PATH
TMP=$(mktemp -d "${TMPDIR:-/tmp}/login-etl-test.XXXXXX") || exit 1
export TMP
cd "$TMP" || exit 1

# Nothing a test runs may reach real AWS or probe instance metadata.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLETEST AWS_SECRET_ACCESS_KEY=test-secret-not-real
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_SQS \
	AWS_DEFAULT_REGION AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
	AWS_CONTAINER_CREDENTIALS_FULL_URI

test_count=0
test_failed=0
test_cleanups=

# Runs at exit: the test's own cleanups (services first), then $TMP.
test_at_exit() {
	eval "$test_cleanups"
	rm -rf "$TMP"
}
trap 'test_at_exit' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Registers shell code to run at exit, most recent first.
test_cleanup() {
	test_cleanups="$1
$test_cleanups"
}

test_diag() {
	sed 's/^/# /' "$@"
}

# A test body runs in a function of its own, so that its "return 1"
# (in a loop, say) fails the test rather than skip its report.
test_run_() {
	eval "$1"
}

test_expect_success() {
	test_count=$((test_count + 1))
	(exit 0); test_run_ "$2" >"$TMP/.log" 2>&1 </dev/null
	test_status=$?
	if [ -n "$TEST_VERBOSE" ]; then
		test_diag "$TMP/.log"
	fi
	if [ "$test_status" = 0 ]; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		test_failed=$((test_failed + 1))
		# On stderr, so that prove shows why, in CI logs too.
		if [ -z "$TEST_VERBOSE" ]; then
			tail -n 40 "$TMP/.log" | test_diag >&2
		fi
	fi
}

# Skips the rest: "1..0 # SKIP why" when nothing ran yet.
test_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
	exit $?
}

# A command that must fail cleanly: an exit status, not a crash.
# With --code N, the status must be exactly N.
test_must_fail() {
	local want=
	if [ "$1" = --code ]; then
		want=$2
		shift 2
	fi
	"$@"
	local st=$?
	if [ "$st" = 0 ]; then
		echo "test_must_fail: succeeded: $*" >&2
		return 1
	fi
	if [ "$st" -gt 125 ]; then
		echo "test_must_fail: died with status $st: $*" >&2
		return 1
	fi
	if [ -n "$want" ] && [ "$st" != "$want" ]; then
		echo "test_must_fail: status $st, want $want: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# Fails, saying why, unless the file holds no line matching the pattern.
test_must_not_contain() {
	if grep -n -e "$2" "$1" >&2; then
		echo "test_must_not_contain: $1 matches $2" >&2
		return 1
	fi
	return 0
}

# Starts throwaway services (pg, sqs) for this test, stopped at exit,
# and exports their settings (PG*, AWS_ENDPOINT_URL_SQS).
test_services() {
	local env
	env=$("$TOP/scripts/services" start --owner $$ "$@") || {
		echo "Bail out! could not start services: $*"
		exit 1
	}
	eval "$env"
	test_cleanup "'$TOP/scripts/services' stop '$LOGIN_ETL_SERVICES' >/dev/null 2>&1"
	# Tests talk to loopback only, never to real AWS or a real database.
	case ${AWS_ENDPOINT_URL_SQS:-http://127.0.0.1:} in
	http://127.0.0.1:*) ;;
	*) echo "Bail out! SQS endpoint $AWS_ENDPOINT_URL_SQS is not loopback"; exit 1 ;;
	esac
	case ${PGHOST:-/} in
	/*|127.0.0.1) ;;
	*) echo "Bail out! PGHOST $PGHOST is not loopback"; exit 1 ;;
	esac
}

# Whether process $1 is gone (a zombie nobody reaped counts as gone).
test_process_gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	case $st in Z*) return 0 ;; esac
	return 1
}

# Waits up to $2 seconds (default 30) for shell condition $1 to hold.
test_wait_for() {
	local i=0 limit=$(( ${2:-30} * 10 ))
	while ! eval "$1"; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.1
	done
	return 0
}
