#!/bin/sh
# deb.sh [CACHE_ROOT]: "make deb".  Builds havip's Debian packages with
# dpkg-buildpackage from a copy of the checkout (its tracked and untracked,
# not ignored, files) in build/deb/, so the checkout's own build is left
# alone, then lints them with lintian, which must report no error and no
# warning.  The packages, .changes and .buildinfo end up in deb/.
#
# The package build links against the Open vSwitch static library cached in
# CACHE_ROOT (default /var/cache/havip, as the Makefile's HAVIP_CACHE) and
# installs nothing itself (debian/rules sets HAVIP_NO_DEPS); this script
# installs the packaging tools when they are missing.
#
# Copyright (c) 2026 The havip authors.
# Licensed under the Apache License, Version 2.0.

set -e

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-/var/cache/havip}
cd "$top"

"$top/build-aux/install-deps.sh" debhelper lintian dpkg-dev fakeroot

version=$(dpkg-parsechangelog -S Version)
program_version=$(sed -n 's/^#define HAVIP_VERSION "\(.*\)"$/\1/p' \
    include/havip-version.h)
if [ "$version" != "$program_version" ]; then
    echo "deb: debian/changelog says $version," \
         "include/havip-version.h $program_version" >&2
    exit 1
fi
build=$top/build/deb
src=$build/havip-$version
out=$top/deb

rm -rf "$build"
mkdir -p "$src"
if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard \
        | xargs -0 sh -c \
            'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh \
        | tar -cf - -T - | tar -xf - -C "$src"
else
    tar -cf - --exclude=./build --exclude=./deb --exclude='*.o' \
        --exclude='*.a' --exclude=./.ovs.mk --exclude=./.deps-stamp . \
        | tar -xf - -C "$src"
fi

echo "deb: building havip $version in $src" >&2
(cd "$src" && HAVIP_CACHE=$cache dpkg-buildpackage -us -uc -b) \
    >"$build/build.log" 2>&1 || {
    tail -40 "$build/build.log" >&2
    echo "deb: dpkg-buildpackage failed, full log in $build/build.log" >&2
    exit 1
}

rm -rf "$out"
mkdir -p "$out"
mv "$build"/*.deb "$build"/*.changes "$build"/*.buildinfo "$out"/
changes=$(ls "$out"/*.changes)

echo "deb: lintian $changes" >&2
lintian --fail-on error,warning --info "$changes" >&2 || {
    echo "deb: lintian found errors or warnings" >&2
    exit 1
}
ls -1 "$out"/*.deb
