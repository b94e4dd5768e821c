#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# HTTP benchmark (not a test): herd's in-process hello app against nginx
# answering the same 13-byte body, both with 2 workers, under wrk keep-alive
# and Connection: close load. Runs are interleaved (herd, nginx, herd, …) so
# that drift on this shared 2-core machine hits both alike; the table shows
# medians of req/s, p99 and server CPU per request, and the herd/nginx
# ratios against the goals.
#
#   bench/http.sh [ROUNDS] [DURATION] [NAME=BUILD_DIR...]
#                                  defaults: 3 rounds, 5s per run; each
#                                  NAME=BUILD_DIR adds another herd build
#                                  (an older commit's, say) to the rounds
set -eu
cd "$(dirname "$0")/.."

bench/prepare.sh http
# The servers, their cleanup and the table live in bench/http.py.
exec /usr/bin/python3 bench/http.py "$@"
