#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Zero-downtime benchmark (not a test): wrk keeps keep-alive load on herd
# supervising the keepalive test worker while herd reloads and upgrades.
# Prints errors and p99 for a steady window, a reload window and an upgrade
# window, the time from HUP to every worker replaced, and from USR2 to the
# old master gone.
#
#   bench/reload.sh [RELOADS] [UPGRADES]
set -eu
cd "$(dirname "$0")/.."
RELOADS=${1:-10}
UPGRADES=${2:-3}
make -s VARIANT=release build >/dev/null
B=build/release
tmp=$(mktemp -d)
trap 'kill -QUIT $(cat $tmp/herd.pid 2>/dev/null) 2>/dev/null; sleep 1; rm -rf "$tmp"' EXIT
cp $B/herd "$tmp/herd"
# Port 0, and the port herd chose from its log: a port picked here could
# be someone else's by the time herd binds it.
"$tmp/herd" --listen 127.0.0.1:0 --workers 2 --readiness notify \
	--pid-file "$tmp/herd.pid" --log "$tmp/herd.log" \
	-- "$PWD/$B/helpers/keepalive" &
for _ in $(seq 50); do
	grep -q "master: ready" "$tmp/herd.log" 2>/dev/null && break
	sleep 0.1
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
	"$tmp/herd.log" | head -n 1)
if [ -z "$port" ]; then
	echo "bench/reload: herd did not start:" >&2
	cat "$tmp/herd.log" >&2
	exit 1
fi

window() { # name seconds action...
	name=$1 secs=$2
	shift 2
	wrk -t2 -c16 -d"${secs}s" --latency "http://127.0.0.1:$port/" \
		>"$tmp/wrk.$name" 2>&1 &
	wrk_pid=$!
	sleep 0.5
	"$@"
	wait $wrk_pid
	errors=$(grep -E "Socket errors|Non-2xx" "$tmp/wrk.$name" |
		tr '\n' ' ' || true)
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.$name")
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.$name")
	printf '%-8s req/s %-10s p99 %-8s errors: %s\n' "$name" "$rps" \
		"$p99" "${errors:-none}"
}

steady() { sleep 1; }
reloads() {
	i=0
	while [ $i -lt "$RELOADS" ]; do
		t0=$(date +%s%N)
		"$tmp/herd" ctl --pid-file "$tmp/herd.pid" reload >/dev/null
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000000))" >>"$tmp/reload.ms"
		i=$((i + 1))
	done
}
upgrades() {
	i=0
	while [ $i -lt "$UPGRADES" ]; do
		old=$(cat "$tmp/herd.pid")
		t0=$(date +%s%N)
		"$tmp/herd" ctl --pid-file "$tmp/herd.pid" upgrade >/dev/null
		# Gone: exited (a zombie until its parent reaps it counts as gone).
		while [ -e "/proc/$old" ] &&
			[ "$(awk '{print $3}' "/proc/$old/stat" 2>/dev/null)" != Z ]; do
			sleep 0.01
		done
		t1=$(date +%s%N)
		echo "$(((t1 - t0) / 1000000))" >>"$tmp/upgrade.ms"
		i=$((i + 1))
	done
}

window steady 3 steady
window reload 3 reloads
window upgrade 3 upgrades
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "HUP to all workers replaced: median $(median "$tmp/reload.ms") ms over $RELOADS reloads"
echo "USR2 to old master gone:     median $(median "$tmp/upgrade.ms") ms over $UPGRADES upgrades"
