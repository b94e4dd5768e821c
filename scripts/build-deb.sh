#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds herd's Debian package (debian/) and puts the .deb in OUTDIR
# (default build/deb): `make deb`. The build runs in a temporary copy of
# the tracked files (as they are in the work tree, changes included), so it
# neither uses nor touches this tree's build/ and leaves nothing here but
# the .deb. Needs dpkg-dev and debhelper (scripts/install-deps.sh).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n 's/^#define HERD_VERSION "\(.*\)"/\1/p' "$root/include/herd.h")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/herd-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
src="$tmp/herd-$version"
mkdir "$src"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	# Tracked files and new ones git would not ignore: no build/.
	git -C "$root" ls-files -z --cached --others --exclude-standard |
		(cd "$root" && xargs -0 tar -cf - --) | tar -xf - -C "$src"
else
	(cd "$root" && tar -cf - --exclude=./build .) | tar -xf - -C "$src"
fi
(cd "$src" && dpkg-buildpackage -b -us -uc -j2 >"$tmp/build.log" 2>&1) || {
	cat "$tmp/build.log"
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
}
for f in "$tmp"/*.deb; do
	cp "$f" "$out/"
	echo "build-deb: $out/$(basename "$f")"
done
