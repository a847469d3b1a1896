# lib.sh: helpers for the benchmark scripts (sourced by tests/bench/run).

# bench_rss_time OUTVAR CMD...: runs CMD, stores "seconds peak_rss_kb"
# in OUTVAR; CMD's stdout and stdin are the caller's.
bench_time() {
	local __var=$1 t0 t1 st
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M' -o "$BENCH_TMP/rss" "$@"
	st=$?
	t1=$(date +%s.%N)
	printf -v "$__var" '%s %s' "$(echo "$t1 - $t0" | bc -l)" "$(tail -n 1 "$BENCH_TMP/rss")"
	return $st
}

# bench_ratio VALUE LIMIT: VALUE/LIMIT to two decimals.
bench_ratio() {
	echo "scale=2; $1 / $2" | bc -l | sed 's/^\./0./'
}

# bench_si N: 1234567 -> 1.23M
bench_si() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1e6) printf "%.2fM", n / 1e6;
		else if (n >= 1e3) printf "%.1fk", n / 1e3;
		else printf "%.0f", n }'
}

# bench_verdict RATIO TARGET: "meets" or "below" the target ratio.
bench_verdict() {
	if [ "$(echo "$1 >= $2" | bc -l)" = 1 ]; then echo "meets"; else echo "BELOW"; fi
}

# bench_kv KEY LINE: the value of KEY=value in a line of such pairs.
bench_kv() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
