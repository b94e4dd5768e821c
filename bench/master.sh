#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Master benchmarks (not a test): idle wakeups over 10 s, TTIN to a new
# worker running its program, kill -9 of a worker to its replacement
# running. Usage: bench/master.sh [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
make -s VARIANT=release build >/dev/null
exec /usr/bin/python3 bench/master.py "$@"
