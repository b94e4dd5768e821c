#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# What every benchmark needs first: wrk and nginx (install-deps.sh's bench
# set) and a fresh release build.
#
#   bench/prepare.sh NAME      NAME: the benchmark, for messages
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh bench
if ! make -s -j2 build >/dev/null; then
	echo "bench/$1: the release build failed (make -j2 build)" >&2
	exit 1
fi
