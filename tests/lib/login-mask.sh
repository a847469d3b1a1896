# login-mask.sh: helpers for login-mask's tests (sourced after tap.sh).

SAMPLE=$TOP/tests/data/fetch-login-queue.ndjson

# lm_key FILE: a new private key, made as the manual says.
lm_key() {
	openssl rand -hex 32 >"$1" && chmod 600 "$1"
}

# lm_field KEY [FILE...]: the value of KEY in each JSON line, one per
# line, looking into a message record's body; "null" for null or absent.
lm_field() {
	perl -CO -MJSON::PP -e '
		my $k = shift;
		while (<>) {
			my $r = JSON::PP->new->utf8->decode($_);
			$r = JSON::PP->new->decode($r->{body})
			    if !exists $r->{$k} && exists $r->{body};
			my $v = $r->{$k};
			print defined $v ? "$v\n" : "null\n";
		}' "$@"
}

# lm_body [KEY=JSON | KEY]...: a login body with the sample's first values,
# a field set to raw JSON text (KEY=JSON, a new key added) or left out (KEY).
lm_body() {
	perl -e '
		my @k = qw(user_id app_version device_type ip locale device_id);
		my %v = (user_id => q("u-1"), app_version => q("2.3.0"),
		    device_type => q("android"), ip => q("199.172.111.135"),
		    locale => q("RU"), device_id => q("593-47-5928"));
		for (@ARGV) {
			if (/^([^=]+)=(.*)$/s) {
				push @k, $1 unless exists $v{$1};
				$v{$1} = $2;
			} else {
				delete $v{$_};
			}
		}
		print "{", join(", ", map { qq("$_": $v{$_}) }
		    grep { exists $v{$_} } @k), "}\n";
	' "$@"
}

# lm_message PREFIX: each body on stdin as a message record, with message
# id PREFIX-N and receipt handle rh-PREFIX-N.  Bytes pass as they are.
lm_message() {
	perl -MJSON::PP -e '
		my ($p, $n) = (shift, 0);
		my $j = JSON::PP->new->canonical;
		while (my $b = <STDIN>) {
			chomp $b;
			$n++;
			print $j->encode({ message_id => "$p-$n",
			    receipt_handle => "rh-$p-$n",
			    sent_timestamp => 1696287680114 + $n,
			    receive_count => 1, body => $b }), "\n";
		}' "$1"
}
