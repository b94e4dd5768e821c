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

state() { # the status column of server $1 in haproxy's `show stat`
	python3 - "$sock" "$backend" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
d = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    d += c
for l in d.decode().splitlines():
    f = l.split(",")
    if len(f) > 17 and f[0] == sys.argv[2] and f[1] == sys.argv[3]:
        print(f[17])
        break
PY
}
is_state() { # server, wanted state: "DRAIN" is also "DRAIN (agent)"
	case "$(state "$1")" in
	"$2" | "$2 ("*) return 0 ;;
	*) return 1 ;;
	esac
}
wait_state() { # server, wanted state
	i=0
	until is_state "$1" "$2"; do
		i=$((i + 1))
		if [ $i -gt $((timeout * 10)) ]; then
			echo "rolling-deploy: $1: haproxy never reported $2 within ${timeout}s (now: $(state "$1"))" >&2
			return 1
		fi
		sleep 0.1
	done
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
