#!/bin/sh
# Includes point down only (STYLE.md): a module may include its own header
# and the headers of modules on a lower layer, never one above or beside it.
# Layers, bottom up; modules on one line are peers and may not include
# each other.
set -eu
cd "$(dirname "$0")/.."
layer() {
	case "$1" in
	fd | log | isolate) echo 0 ;;
	listen | proc | notify | scoreboard | http) echo 1 ;;
	cli | apps) echo 2 ;;
	worker) echo 3 ;;
	master) echo 4 ;;
	*) echo "unknown module $1" >&2; exit 2 ;;
	esac
}
bad=0
for f in src/*/*.c src/*/*.h; do
	[ -e "$f" ] || continue
	mod=$(basename "$(dirname "$f")")
	me=$(layer "$mod")
	for inc in $(sed -n 's/^#include "\([a-z]*\)\/[a-z_]*\.h".*/\1/p' "$f"); do
		[ "$inc" = "$mod" ] && continue
		them=$(layer "$inc")
		if [ "$them" -ge "$me" ]; then
			echo "$f: includes $inc/ (layer $them) from $mod/ (layer $me)" >&2
			bad=1
		fi
	done
done
[ "$bad" = 0 ] && echo "layering: ok"
exit "$bad"
