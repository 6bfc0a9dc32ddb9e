#!/usr/bin/env bash
# Sets the version everywhere it is stated: AgentRuntime.version (what
# `zerobus-edge --version` and the health document report) and a new top
# entry in packaging/debian/changelog. debian/rules refuses to build when the
# two disagree.  Usage: packaging/set-version.sh 0.2.0 ["changelog line"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
new=${1:?usage: $0 VERSION [\"changelog line\"]}
note=${2:-Release $new.}
[[ "$new" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "not a version: $new" >&2; exit 2; }
swift_file=Sources/AgentServices/Agent/AgentRuntime.swift
sed -i "s/^\( *public static let version = \)\"[^\"]*\"/\1\"$new\"/" "$swift_file"
grep -q "public static let version = \"$new\"" "$swift_file"
maintainer=$(sed -n 's/^Maintainer: //p' packaging/debian/control)
{
    printf 'zerobus-edge (%s) unstable; urgency=medium\n\n  * %s\n\n -- %s  %s\n\n' \
        "$new" "$note" "$maintainer" "$(date -R)"
    cat packaging/debian/changelog
} >packaging/debian/changelog.new
mv packaging/debian/changelog.new packaging/debian/changelog
echo "version $new: $swift_file, packaging/debian/changelog"
