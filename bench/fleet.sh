#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fleet benchmark (not a test): three herd hosts (hello, 2 workers each)
# behind haproxy with contrib/haproxy/haproxy.cfg, in a network namespace
# of its own (tests/integration/fleet.py). Per run: p99 through haproxy in
# a steady window, then during a rolling upgrade and a rolling reload by
# contrib/rolling-deploy.sh, and how long each deploy took. Goal: p99
# during a deploy at most 2x the steady p99, and no failed request.
#
#   bench/fleet.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
scripts/install-deps.sh bench
make -s VARIANT=release build >/dev/null
exec /usr/bin/python3 bench/fleet.py "$RUNS"
