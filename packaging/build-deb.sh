#!/usr/bin/env bash
# Builds the zerobus-edge Debian package (what `make deb` runs).
#
# The sources are staged in .build-deb/src with packaging/debian as debian/ and
# built there with `dpkg-buildpackage -b` (debian/rules runs the SwiftPM release
# build with the static Swift standard library; SwiftPM's .build-release folder
# inside the stage is kept between runs, so rebuilds are incremental).
#
# Output in dist/ (or $DIST): zerobus-edge_<version>_<arch>.deb, its -dbgsym
# package, .buildinfo, .changes, and lintian.txt. Lintian runs when installed
# and fails the build on any error or warning (LINTIAN=0 skips it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# STAGE: one per target when packaging/build-packages.sh builds several releases from one checkout.
STAGE=${STAGE:-$ROOT/.build-deb/src}
OUT=$(dirname "$STAGE")   # dpkg-buildpackage writes next to the source folder
DIST=${DIST:-$ROOT/dist}
cd "$ROOT"

version=$(dpkg-parsechangelog -l packaging/debian/changelog -SVersion)
arch=$(dpkg --print-architecture)
echo "build-deb: zerobus-edge $version for $arch"

# Mirror the sources into the stage. Unchanged files are left alone (SwiftPM
# decides what to rebuild by mtime and inode), changed ones are copied, and
# files gone from the sources are removed from the stage.
paths=(Package.swift Sources Protos Tests config)
[ -f Package.resolved ] && paths+=(Package.resolved)
mkdir -p "$STAGE"
list() { (cd "$1" && find "${paths[@]}" \( -name __pycache__ -o -name '*.pyc' \) -prune -o -print 2>/dev/null | LC_ALL=C sort); }
LC_ALL=C comm -13 <(list "$ROOT") <(list "$STAGE") | (cd "$STAGE" && xargs -r -d '\n' rm -rf --)
find "$STAGE" -mindepth 1 -maxdepth 1 ! -name .build-release ! -name debian \
    $(printf '! -name %s ' "${paths[@]}") -exec rm -rf {} +
list "$ROOT" | while IFS= read -r path; do
    if [ -d "$path" ] && [ ! -L "$path" ]; then
        mkdir -p "$STAGE/$path"
    elif ! cmp -s "$path" "$STAGE/$path" 2>/dev/null; then
        rm -f "$STAGE/$path" && cp -a "$path" "$STAGE/$path"
    fi
done
rm -rf "$STAGE/debian" && cp -a packaging/debian "$STAGE/debian"
rm -f "$OUT"/zerobus-edge*_"$version"_"$arch".*   # only this architecture: dist/<release>/ holds several

(cd "$STAGE" && dpkg-buildpackage -b -us -uc --no-sign)

mkdir -p "$DIST"
rm -f "$DIST"/zerobus-edge*_"$version"_"$arch".*
changes="$OUT/zerobus-edge_${version}_${arch}.changes"
changes_files() { sed -n '/^Files:/,/^[A-Z]/{s/^ [0-9a-f]\{32\} [0-9]* [^ ]* [^ ]* //p}' "$1"; echo "$(basename "$1")"; }
for file in $(changes_files "$changes"); do
    cp "$OUT/$file" "$DIST/"
done
deb="$DIST/zerobus-edge_${version}_${arch}.deb"

if [ "${LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
    echo "build-deb: lintian"
    status=0
    as_user=()   # lintian advises against running as root
    # As `nobody` it must be able to read what it checks, and a checkout may sit in a 0700
    # directory (lintian: ".changes is not a readable file"), so it checks a world-readable copy.
    lint=$(mktemp -d); chmod 755 "$lint"
    for file in $(changes_files "$changes"); do install -m 644 "$DIST/$file" "$lint/"; done
    if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then as_user=(runuser -u nobody -- env HOME=/tmp); fi
    (cd /tmp && "${as_user[@]}" lintian --info --display-info --fail-on error,warning \
        "$lint/$(basename "$changes")") >"$DIST/lintian.txt" 2>&1 || status=$?
    rm -rf "$lint"
    if [ -s "$DIST/lintian.txt" ]; then cat "$DIST/lintian.txt"; else echo "(lintian: no tags)"; fi
    if [ "$status" != 0 ]; then echo "build-deb: lintian failed (status $status)" >&2; exit 1; fi
fi

binary_size=$(dpkg-deb --fsys-tarfile "$deb" | tar -tvf - ./usr/bin/zerobus-edge | awk '{print $3}')
echo "build-deb: $deb ($(stat -c %s "$deb") bytes; /usr/bin/zerobus-edge $binary_size bytes)"
