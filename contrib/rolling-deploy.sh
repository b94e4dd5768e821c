#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Rolling deploy across herd hosts behind haproxy, one host at a time:
# drain, wait until haproxy reports DRAIN, upgrade (or reload with
# --reload), undrain, wait until UP. Stops the rollout at the first host
# that fails and says why; that host stays on its old version, undrained,
# and the hosts after it are not touched.
#
# usage: rolling-deploy.sh [--reload] HAPROXY_SOCK BACKEND SERVER=HERD_CONF...
#   HAPROXY_SOCK  haproxy's stats socket (level admin not needed: read only)
#   BACKEND       the backend's name in haproxy.cfg
#   SERVER        a server's name in that backend; HERD_CONF the config file
#                 `herd ctl -c` finds that host's master by
# environment:
#   HERD            the herd binary [herd]; for hosts elsewhere, a wrapper
#                   that runs `herd "$@"` on $DEPLOY_SERVER (ssh, ...)
#   DEPLOY_TIMEOUT  seconds to wait for each DRAIN and UP [30]
# exit status: 0 every host done, 1 a host failed (the rollout stopped),
# 64 usage.
set -eu
mode=upgrade
[ "${1:-}" = --reload ] && { mode=reload; shift; }
[ $# -ge 3 ] || {
	echo "usage: rolling-deploy.sh [--reload] HAPROXY_SOCK BACKEND SERVER=HERD_CONF..." >&2
	exit 64
}
sock=$1 backend=$2
shift 2
herd=${HERD:-herd}
timeout=${DEPLOY_TIMEOUT:-30}

# Waits until haproxy's `show stat` gives server $1 the status $2 ("DRAIN"
# also matches "DRAIN (agent)"), polling ten times a second from one perl
# process (perl-base: on every Debian system). One process a wait, not one
# a poll: on the serving hosts a program started ten times a second raised
# the p99 through haproxy more than the deploy itself did (bench/fleet.sh).
wait_state() {
	perl -MIO::Socket::UNIX -e '
		my ($sock, $backend, $server, $want, $timeout) = @ARGV;
		sub state {
			my $s = IO::Socket::UNIX->new(Peer => $sock) or return "(no stats socket: $!)";
			print $s "show stat\n";
			while (my $line = <$s>) {
				my @f = split /,/, $line;
				return $f[17] if @f > 17 && $f[0] eq $backend && $f[1] eq $server;
			}
			return "(not in backend $backend)";
		}
		my $deadline = time + $timeout;
		while (1) {
			my $now = state();
			exit 0 if $now eq $want || index($now, "$want (") == 0;
			if (time > $deadline) {
				print STDERR "rolling-deploy: $server: haproxy never reported $want within ${timeout}s (now: $now)\n";
				exit 1;
			}
			select(undef, undef, undef, 0.1);
		}' "$sock" "$backend" "$1" "$2" "$timeout"
}
stop() { # server, why, the servers after it (words)
	echo "rolling-deploy: $1: $2; stopping the rollout${3:+, not touched:$3}" >&2
	exit 1
}

n=$#
for pair in "$@"; do
	srv=${pair%%=*} conf=${pair#*=}
	shift
	rest=""
	for p in "$@"; do rest="$rest ${p%%=*}"; done
	echo "rolling-deploy: $srv: drain"
	out=$(DEPLOY_SERVER=$srv "$herd" ctl -c "$conf" drain 2>&1) ||
		stop "$srv" "drain failed: $out" "$rest"
	wait_state "$srv" DRAIN || {
		DEPLOY_SERVER=$srv "$herd" ctl -c "$conf" undrain >/dev/null 2>&1 || true
		stop "$srv" "not drained by haproxy" "$rest"
	}
	echo "rolling-deploy: $srv: $mode"
	# herd ctl says why on stderr (the outcome, on stdout, is dropped).
	if ! out=$(DEPLOY_SERVER=$srv "$herd" ctl -c "$conf" "$mode" 2>&1 >/dev/null); then
		# The old version goes on serving: give it its traffic back.
		DEPLOY_SERVER=$srv "$herd" ctl -c "$conf" undrain >/dev/null 2>&1 || true
		wait_state "$srv" UP || true
		stop "$srv" "$mode failed (it stays on its old version, undrained): $out" "$rest"
	fi
	out=$(DEPLOY_SERVER=$srv "$herd" ctl -c "$conf" undrain 2>&1) ||
		stop "$srv" "undrain failed: $out" "$rest"
	wait_state "$srv" UP || stop "$srv" "not back UP after the $mode" "$rest"
	echo "rolling-deploy: $srv: done"
done
echo "rolling-deploy: all $n hosts done"
