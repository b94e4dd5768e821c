#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# What isolation costs at a spawn (not a test): TTIN to the new worker's
# main, without isolation and with user,pid,mount,net,uts,ipc + a rootfs;
# both medians and the difference (goal: at most 5 ms more).
#
#   bench/isolate.sh [SPAWNS]      default: 200 spawns of each
set -eu
cd "$(dirname "$0")/.."

bench/prepare.sh isolate
exec /usr/bin/python3 bench/isolate.py "$@"
