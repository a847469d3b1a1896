#!/bin/bash
# The manual pages are the specification: they must render cleanly, and
# every option a program's usage names must be documented on its page.
. "$(dirname "$0")/lib/tap.sh"

pages="etl.1 sqs-read.1 login-mask.1 pg-load.1 login-etl.7"

for page in $pages; do
	test_expect_success "$page: mandoc finds nothing to warn about" '
		mandoc -T lint -W warning "$TOP/man/$page" >lint 2>&1
		test_must_not_contain lint .
	'
	test_expect_success "$page: man -l renders it without a word on stderr" '
		MANWIDTH=80 man -l "$TOP/man/$page" >page.txt 2>err &&
		test_must_not_contain err . &&
		grep -q "^EXAMPLES" page.txt && grep -q "^SEE ALSO" page.txt
	'
done

for prog in etl sqs-read login-mask pg-load; do
	test_expect_success "$prog: usage and page name the same options" '
		"$BIN/$prog" --help >usage 2>&1
		grep -o -- "--[a-z][a-z-]*" usage | sort -u >opts &&
		test -s opts &&
		missing=$(while read -r opt; do
			grep -q -e "Fl -${opt#--}\\b" "$TOP/man/$prog.1" ||
			echo "$opt"
		done <opts) &&
		{ test -z "$missing" || { echo "$prog.1 lacks" $missing; false; }; } &&
		grep -q "^\\.Sh EXIT STATUS" "$TOP/man/$prog.1"
	'
done

test_expect_success 'make install puts programs, pages and unit in place' '
	make -s -C "$TOP" install O="${BIN%/bin}" DESTDIR="$TMP/root" \
	    PREFIX=/usr/local >install.log 2>&1 &&
	for f in bin/etl bin/sqs-read bin/login-mask bin/pg-load \
	    share/man/man1/etl.1 share/man/man7/login-etl.7 \
	    share/login-etl/schema.sql share/login-etl/etl@.service; do
		test -f "$TMP/root/usr/local/$f" || echo "no $f"
	done >missing &&
	test_must_not_contain missing . &&
	test ! -e "$TMP/root/usr/local/bin/demo"
'

test_done
