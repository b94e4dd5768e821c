#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Dependencies point down only (STYLE.md). Layers, bottom up; modules on one
# layer are peers and may not use each other:
#
#   6  main
#   5  master
#   4  apps        the built-in apps and the .so loader; they use the public
#                  API (herd_*, in worker/) as any app does
#   3  worker      runs an app through struct herd_app's function pointers,
#                  never by name: a call up through a pointer is a plugin
#      status      the status process (metrics, page, health, agent)
#   2  cli
#   1  listen proc notify scoreboard http
#   0  fd log confine isolate
#
# The graph is read from what the compiler produced, not from what the
# source seems to say: per module, the global symbols its objects leave
# undefined, matched to the module whose objects define them (nm). A call
# through a public header (herd.h) is a dependency like any other. The
# #include lines are checked too, as a cheaper second opinion.
#
#   check-layering.sh [OBJDIR]         OBJDIR: build/release/src by default
#   check-layering.sh --self-test OBJDIR
#                                      plants a call from fd/ up to master/
#                                      in a copy of OBJDIR and requires the
#                                      check to refuse it (a check that
#                                      cannot fail checks nothing)
set -eu
cd "$(dirname "$0")/.."

layers="fd=0 log=0 confine=0 isolate=0 listen=1 proc=1 notify=1 scoreboard=1 http=1 cli=2
worker=3 status=3 apps=4 master=5 main=6"

layer() {
	for l in $layers; do
		[ "${l%=*}" = "$1" ] && { echo "${l#*=}"; return; }
	done
	echo "check-layering: unknown module $1: give it a layer in $0" >&2
	exit 2
}

# One "module symbol" line per defined (D) and undefined (U) global symbol.
symbols() {
	objdir=$1
	for o in "$objdir"/*/*.o "$objdir"/main.o; do
		[ -e "$o" ] || continue
		case "$o" in
		"$objdir"/main.o) mod=main ;;
		*) mod=$(basename "$(dirname "$o")") ;;
		esac
		layer "$mod" >/dev/null
		nm -g "$o" | awk -v m="$mod" '
			$1 == "U" || $1 == "w" { print "U", m, $2; next }
			NF == 3 && $2 ~ /^[TDBRCVWGSi]$/ { print "D", m, $3 }'
	done
}

check_objects() {
	objdir=$1
	if ! ls "$objdir"/*/*.o >/dev/null 2>&1; then
		echo "check-layering: no objects under $objdir (build first)" >&2
		return 2
	fi
	edges=$(symbols "$objdir" | awk '
		$1 == "D" { def[$3] = $2; next }
		{ use[++n] = $2 " " $3 }
		END {
			for (i = 1; i <= n; i++) {
				split(use[i], u, " ")
				d = def[u[2]]
				if (d != "" && d != u[1])
					print u[1], d, u[2]
			}
		}' | sort -u)
	bad=0
	# Every edge, with one symbol that makes it, against the layers.
	for pair in $(echo "$edges" | awk 'NF { print $1 ">" $2 }' | sort -u); do
		from=${pair%>*}
		to=${pair#*>}
		if [ "$(layer "$to")" -ge "$(layer "$from")" ]; then
			why=$(echo "$edges" | awk -v f="$from" -v t="$to" \
				'$1 == f && $2 == t { printf " %s", $3 }')
			echo "layering: $from/ (layer $(layer "$from")) uses" \
				"$to/ (layer $(layer "$to")):$why" >&2
			bad=1
		fi
	done
	# The layers forbid cycles already; tsort says so independently.
	if ! echo "$edges" | awk 'NF { print $1, $2 }' | sort -u |
		tsort >/dev/null 2>"$tmp/tsort"; then
		echo "layering: the modules form a cycle:" \
			"$(grep -v 'input contains a loop' "$tmp/tsort" |
				sed 's/^tsort: //' | tr '\n' ' ')" >&2
		bad=1
	fi
	return "$bad"
}

check_includes() {
	bad=0
	for f in src/*/*.c src/*/*.h; do
		[ -e "$f" ] || continue
		mod=$(basename "$(dirname "$f")")
		me=$(layer "$mod")
		for inc in $(sed -n 's/^#include "\([a-z]*\)\/[a-z_]*\.h".*/\1/p' "$f"); do
			[ "$inc" = "$mod" ] && continue
			them=$(layer "$inc")
			if [ "$them" -ge "$me" ]; then
				echo "$f: includes $inc/ (layer $them) from" \
					"$mod/ (layer $me)" >&2
				bad=1
			fi
		done
	done
	return "$bad"
}

self_test() {
	objdir=$1
	cp -R "$objdir" "$tmp/src"
	# master_run is defined in master/; fd/ may not call it.
	printf 'int master_run(void);\nint fd_planted(void);\n%s\n' \
		'int fd_planted(void) { return master_run(); }' >"$tmp/planted.c"
	${CC:-cc} -c -o "$tmp/src/fd/planted.o" "$tmp/planted.c"
	if check_objects "$tmp/src" 2>"$tmp/out"; then
		echo "check-layering self-test: a call from fd/ to master/" \
			"went unnoticed" >&2
		return 1
	fi
	for want in "layering: fd/ (layer 0) uses master/ (layer 5): master_run" \
		"layering: the modules form a cycle"; do
		if ! grep -qF "$want" "$tmp/out"; then
			echo "check-layering self-test: expected \"$want\" in:" >&2
			cat "$tmp/out" >&2
			return 1
		fi
	done
	echo "layering self-test: ok (a planted upward call is refused)"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "${1:-}" = "--self-test" ]; then
	self_test "${2:?usage: $0 --self-test OBJDIR}"
	exit
fi
rc=0
check_objects "${1:-build/release/src}" || rc=$?
check_includes || rc=1
[ "$rc" = 0 ] && echo "layering: ok"
exit "$rc"
