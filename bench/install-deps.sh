#!/bin/sh
# bench/install-deps.sh: installs the Debian packages only the benchmarks
# need (OVN 23.03 for the side-by-side figures), when they are missing,
# with build-aux/install-deps.sh (services held back by a policy-rc.d, so
# the host's own OVN daemons never start).  Never part of 'make check':
# make check's package list stays OVN-free.

exec "$(dirname "$0")/../build-aux/install-deps.sh" \
    ovn-central ovn-host ovn-common iperf3 ethtool
