/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef LEARN_H
#define LEARN_H 1

/* Holder learning from the packet-ins of table 13: an untagged ARP request
 * or reply whose sender IP is a HAVIP's, from an associated port that is
 * not the holder.  Anything else in a packet-in (not from havip's claim
 * flow, a malformed packet, an unknown port, a HAVIP with learning off) is
 * counted and dropped. */

struct desired;
struct holders;
struct ofctrl;
struct ofpbuf;

void learn_run(struct ofctrl *, struct desired *, struct holders *);
void learn_packet_in(struct desired *, struct holders *,
                     const struct ofpbuf *msg);

#endif /* learn.h */
