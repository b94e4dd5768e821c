#!/bin/sh
# What every benchmark needs first: wrk and nginx (benchmark-only, so not
# in scripts/install-deps.sh) and a fresh release build.
#
#   bench/prepare.sh NAME      NAME: the benchmark, for messages
set -eu
cd "$(dirname "$0")/.."
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	missing="$missing nginx-light"
if [ -n "$missing" ]; then
	echo "bench/$1: installing$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if ! make -s -j2 build >/dev/null; then
	echo "bench/$1: the release build failed (make -j2 build)" >&2
	exit 1
fi
