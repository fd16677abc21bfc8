/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef HAVIP_VERSION_H
#define HAVIP_VERSION_H 1

/* The version of havip, printed by every program's --version.  The Debian
 * packages carry the same version (debian/changelog; tests/deb.sh checks
 * that the two agree). */
#define HAVIP_VERSION "1.1.0"

#endif /* havip-version.h */
