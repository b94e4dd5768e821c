#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Checks that every source file carries the project's license identifier,
# "SPDX-License-Identifier: BSD-2-Clause", within its first 5 lines (after a
# shebang or a coding line, which must stay first). With no arguments it
# checks every tracked *.c, *.h, *.py and *.sh; otherwise the files named.
# Prints each file that lacks it and exits 1 if any does.
# scripts/add-spdx.sh adds the line where it is missing.
set -eu
cd "$(dirname "$0")/.."
id="SPDX-License-Identifier: BSD-2-Clause"
if [ $# -eq 0 ]; then
	# Split on whitespace: the tree has no file name with a space.
	# shellcheck disable=SC2046
	set -- $(git ls-files '*.c' '*.h' '*.py' '*.sh')
fi
bad=0
for f in "$@"; do
	if ! head -n 5 -- "$f" | grep -qE "^(/\* |# |// )$id"; then
		echo "check-spdx: $f: no \"$id\" in its first 5 lines"
		bad=1
	fi
done
exit $bad
