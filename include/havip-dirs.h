/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_DIRS_H
#define HAVIP_DIRS_H 1

/* The Open vSwitch directories of havip's programs.
 *
 * Open vSwitch's library finds the switch's database socket, its control
 * sockets, the default log and pidfile directories and the PKI files through
 * ovs_rundir() and its siblings, which read OVS_RUNDIR and the like from the
 * environment and otherwise fall back on the directories the library was
 * configured with.  The library havip links is built from openvswitch-source
 * with OVS's own defaults (/usr/local/var/run/openvswitch, ...), while the
 * switch it drives is Debian's openvswitch-switch.  havip_dirs_init() sets
 * every such variable that is not set yet to Debian's directory, so that a
 * packaged havip-controller or havip-trace run by hand finds the switch; the
 * sandbox and the tests set them all to their run directory first. */

#include <stdlib.h>

/* Sets OVS_RUNDIR, OVS_LOGDIR, OVS_DBDIR, OVS_SYSCONFDIR, OVS_PKGDATADIR
 * and OVS_BINDIR, each unless already set, to the directories of Debian's
 * Open vSwitch.  Call it first in main(), before anything asks the library
 * for a directory (it remembers the first answer). */
static inline void
havip_dirs_init(void)
{
    setenv("OVS_RUNDIR", "/var/run/openvswitch", 0);
    setenv("OVS_LOGDIR", "/var/log/openvswitch", 0);
    setenv("OVS_DBDIR", "/etc/openvswitch", 0);
    setenv("OVS_SYSCONFDIR", "/etc", 0);
    setenv("OVS_PKGDATADIR", "/usr/share/openvswitch", 0);
    setenv("OVS_BINDIR", "/usr/bin", 0);
}

#endif /* havip-dirs.h */
