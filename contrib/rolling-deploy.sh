#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Rolling deploy across herd hosts behind haproxy, one host at a time:
# drain, wait until haproxy reports DRAIN, upgrade (or reload with
# --reload), undrain, wait until UP. Stops the rollout at the first host
# that fails, and says why; that host stays on its old version, undrained.
# usage: rolling-deploy.sh [--reload] HAPROXY_SOCK BACKEND HOST=HERD_CONF...
set -eu
mode=upgrade
[ "${1:-}" = --reload ] && { mode=reload; shift; }
sock=$1 backend=$2; shift 2
herd=${HERD:-herd}
timeout=${DEPLOY_TIMEOUT:-30}

state() { # admin/operational state of server $1 from the stats socket
	python3 - "$sock" "$backend" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"show stat\n"); d = b""
while True:
    c = s.recv(65536)
    if not c: break
    d += c
for l in d.decode().splitlines():
    f = l.split(",")
    if len(f) > 17 and f[0] == sys.argv[2] and f[1] == sys.argv[3]:
        print(f[17]); break
PY
}
wait_state() { # server, wanted state
	i=0
	while [ "$(state "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -le $((timeout * 10)) ] || { echo "rolling-deploy: $1 never became $2" >&2; return 1; }
		sleep 0.1
	done
}
for pair in "$@"; do
	srv=${pair%%=*} conf=${pair#*=}
	echo "rolling-deploy: $srv: drain"
	"$herd" ctl -c "$conf" drain >/dev/null
	wait_state "$srv" DRAIN
	if ! out=$("$herd" ctl -c "$conf" "$mode" 2>&1); then
		"$herd" ctl -c "$conf" undrain >/dev/null || true
		echo "rolling-deploy: $srv: $mode failed, stopping the rollout: $out" >&2
		exit 1
	fi
	"$herd" ctl -c "$conf" undrain >/dev/null
	wait_state "$srv" UP
	echo "rolling-deploy: $srv: done"
done
echo "rolling-deploy: all hosts done"
