#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# What confinement costs (not a test): herd's hello app with no filter
# against `seccomp = strict` plus `landlock`, CPU per keep-alive request in
# the same run, interleaved rounds; the ratio's goal is at most 1.03.
#
#   bench/confine.sh [ROUNDS] [DURATION]      defaults: 5 rounds, 5s per run
set -eu
cd "$(dirname "$0")/.."

bench/prepare.sh http
exec /usr/bin/python3 bench/confine.py "$@"
