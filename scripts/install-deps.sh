#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages the build and the tests need, when missing.
# Run by `make test` (everything, with mandoc for `make man-lint` and
# debhelper and dpkg-dev for `make deb`), `make run` (`build`: the compiler
# only) and the benchmarks (`bench`: wrk, the nginx they compare with, haproxy
# and iproute2 for bench/fleet.sh); needs
# root (or sudo) only when something is missing.
set -eu
if [ "${1:-}" = build ]; then
	pkgs="make gcc libc6-dev"
elif [ "${1:-}" = bench ]; then
	pkgs="make gcc libc6-dev wrk nginx-light haproxy iproute2 util-linux"
else
	pkgs="make gcc libc6-dev clang libclang-rt-14-dev clang-format
	python3-pytest python3-yaml haproxy curl procps systemd util-linux wrk iproute2
	pkg-config nodejs binutils
	mandoc man-db debhelper dpkg-dev adduser
	gunicorn uvicorn unicorn puma lighttpd nginx-light uwsgi-core uwsgi-plugin-python3
	python3-prometheus-client chromium haproxy"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
