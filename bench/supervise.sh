#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Supervision benchmark (not a test): timeout precision, errors across
# reloads and upgrades under load (herd and nginx), worker memory with and
# without preload, a normal client's p99 among 500 slow clients, and how
# requests spread over the workers. See bench/supervise.py.
#
#   bench/supervise.sh [TRIALS]      default: 10 timeout trials per value
set -eu
cd "$(dirname "$0")/.."
bench/prepare.sh supervise
exec /usr/bin/python3 bench/supervise.py "$@"
