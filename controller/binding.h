/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef BINDING_H
#define BINDING_H 1

/* Port.chassis and Port.up for the VM ports on this chassis.
 *
 * A port whose interface is on the bridge gets Port.chassis = this
 * chassis and Port.up = true once the switch has its flows.  A port this
 * chassis had that is no longer here (VM deleted, interface removed) gets
 * both cleared, and any HAVIP it held loses its holder: traffic to the
 * HAVIP is then dropped and counted instead of sent to a dead port, until
 * another associated port claims it. */

#include <stdbool.h>

struct havip_local;
struct havip_nb_rows;
struct ovsdb_idl_txn;

bool binding_run(struct ovsdb_idl_txn *, const struct havip_nb_rows *,
                 const struct havip_local *, const char *chassis,
                 bool flows_installed);

#endif /* binding.h */
