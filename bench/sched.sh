#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# What `cpu-scheduling-policy = batch` costs in latency (not a test): one
# client's sequential keep-alive requests to herd's hello, while as many
# busy loops as CPUs keep every CPU taken, with the workers' policy
# `other` and `batch` in interleaved rounds; p50, p99 and max of each.
# Its gain in CPU per request under load is in bench/http.sh (herd-batch).
#
#   bench/sched.sh [ROUNDS] [REQUESTS]     defaults: 4 rounds, 2000 requests
set -eu
cd "$(dirname "$0")/.."

bench/prepare.sh sched
exec /usr/bin/python3 bench/sched.py "$@"
