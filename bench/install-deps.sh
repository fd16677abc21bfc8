#!/bin/sh
# bench/install-deps.sh: installs the Debian packages only the benchmarks
# need (OVN 23.03 for the side-by-side figures), when they are missing.
# Never part of 'make check': build-aux/install-deps.sh stays OVN-free.
#
# As build-aux/install-deps.sh does, services are held back with a
# policy-rc.d, so installing ovn-central or ovn-host never starts the host's
# own OVN daemons: bench/ovn.py starts private instances instead.

set -e

packages="ovn-central ovn-host ovn-common iperf3 ethtool"

missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "bench/install-deps: missing Debian packages:$missing" >&2
    echo "bench/install-deps: run as root, or install them by hand" >&2
    exit 1
fi

echo "bench/install-deps: installing$missing" >&2
policy=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    made_policy=yes
fi
trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT

apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends $missing
