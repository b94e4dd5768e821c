#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Scale benchmark (not a test): memory per idle connection, connection
# bursts, CPU per request with many idle connections, and balance between
# workers, herd against nginx; see bench/scale.py.
#
#   bench/scale.sh [ROUNDS] [SECTION...]   sections: memory burst idle balance
set -eu
cd "$(dirname "$0")/.."

bench/prepare.sh scale
exec /usr/bin/python3 bench/scale.py "$@"
