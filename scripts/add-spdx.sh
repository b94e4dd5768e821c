#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Adds "SPDX-License-Identifier: BSD-2-Clause" to each source file that
# lacks it (scripts/check-spdx.sh says which): as the first line of a C file
# (a comment of its own), and after the shebang (and a Python coding line)
# of a script. Files that have it are left alone, so running it twice
# changes nothing. With no arguments: every tracked *.c, *.h, *.py, *.sh.
set -eu
cd "$(dirname "$0")/.."
id="SPDX-License-Identifier: BSD-2-Clause"
if [ $# -eq 0 ]; then
	# Split on whitespace: the tree has no file name with a space.
	# shellcheck disable=SC2046
	set -- $(git ls-files '*.c' '*.h' '*.py' '*.sh')
fi
for f in "$@"; do
	head -n 5 -- "$f" | grep -qE "^(/\* |# |// )$id" && continue
	case "$f" in
	*.c | *.h) line="/* $id */" ;;
	*) line="# $id" ;;
	esac
	# Lines that must stay first: "#!" and, in Python, "# -*- coding".
	keep=0
	if head -n 1 -- "$f" | grep -q '^#!'; then
		keep=1
		if sed -n 2p -- "$f" | grep -q '^#.*coding[:=]'; then
			keep=2
		fi
	elif head -n 1 -- "$f" | grep -q '^#.*coding[:=]'; then
		keep=1
	fi
	tmp="$f.spdx.$$"
	{
		[ $keep -gt 0 ] && head -n $keep -- "$f"
		printf '%s\n' "$line"
		tail -n +$((keep + 1)) -- "$f"
	} >"$tmp"
	# Keep the file's mode (scripts stay executable).
	chmod --reference="$f" "$tmp"
	mv -- "$tmp" "$f"
	echo "add-spdx: $f"
done
