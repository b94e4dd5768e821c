#!/bin/sh
# HTTP benchmark (not a test): herd's in-process hello app against nginx
# answering the same 13-byte body, both with 2 workers, under wrk keep-alive
# and Connection: close load. Runs are interleaved (herd, nginx, herd, …) so
# that drift on this shared 2-core machine hits both alike; the table shows
# medians of req/s, p99 and server CPU per request, and the herd/nginx
# ratios against the goals.
#
#   bench/http.sh [ROUNDS] [DURATION]      defaults: 3 rounds, 5s per run
set -eu
cd "$(dirname "$0")/.."

# wrk and nginx are benchmark-only, so they are not in scripts/install-deps.sh.
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	missing="$missing nginx-light"
if [ -n "$missing" ]; then
	echo "bench/http: installing$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! make -s -j2 build >/dev/null; then
	echo "bench/http: the release build failed (make -j2 build)" >&2
	exit 1
fi
# The servers, their cleanup and the table live in bench/http.py.
exec /usr/bin/python3 bench/http.py "$@"
