#!/bin/sh
# install-deps.sh [PACKAGE...]: installs the Debian packages havip needs to
# build, test and demo (or the PACKAGEs given), when they are missing.  Does
# nothing (and needs no network) when all are there.
#
# Packages are installed with services held back (policy-rc.d), so that
# installing openvswitch-switch or keepalived never starts the host's own
# daemons: havip's tools and tests start private instances instead.
#
# With HAVIP_NO_DEPS set (debian/rules sets it), does nothing: a package
# build gets its packages from Build-Depends, never from apt.

set -e

[ -n "${HAVIP_NO_DEPS:-}" ] && exit 0

default_packages="openvswitch-source openvswitch-switch openvswitch-common
python3-openvswitch libevent-dev libcunit1-dev libssl-dev keepalived
tcpdump iperf3 hyperfine iproute2 iputils-ping arping netcat-openbsd
procps python3 gcc make ethtool socat curl valgrind"
packages=${*:-$default_packages}

missing=
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing" >&2
    echo "install-deps: run 'make' as root, or install them by hand" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
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
