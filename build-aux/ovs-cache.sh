#!/bin/sh
# Builds Open vSwitch's static library from Debian's openvswitch-source
# tarball, once per package version, into a cache outside the checkout.
#
# Usage: ovs-cache.sh CACHE_ROOT
# Prints the path of the built OVS tree on stdout.  A second run with the
# same package version prints the cached path and builds nothing.

set -e

root=${1:?usage: ovs-cache.sh CACHE_ROOT}
tarball=/usr/src/openvswitch/openvswitch.tar.gz
version=$(dpkg-query -W -f='${Version}' openvswitch-source 2>/dev/null) || {
    echo "ovs-cache: openvswitch-source is not installed" >&2
    exit 1
}
dir=$root/ovs-$version
tree=$dir/openvswitch

if [ -f "$dir/.built" ]; then
    echo "$tree"
    exit 0
fi

echo "ovs-cache: building OVS $version into $dir (once)" >&2
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "$tarball" -C "$dir"
cd "$tree"
log=$dir/build.log
if ! { ./configure --enable-static --disable-shared --disable-ssl-check \
          CFLAGS='-O2 -g' &&
       make -j"$(nproc)"; } >"$log" 2>&1; then
    tail -30 "$log" >&2
    echo "ovs-cache: build failed, full log in $log" >&2
    exit 1
fi
touch "$dir/.built"
echo "$tree"
