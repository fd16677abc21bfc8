/*
 * Copyright (c) 2026 The havip authors.
 *
 * Licensed under the Apache License, Version 2.0.
 */

/* Fuzz target for holder learning: learn_packet_in() of controller/learn.c,
 * which handles every packet-in the switch sends the controller, fed here
 * without a switch.
 *
 * The world is the unit tests' (tests/unit/world.c): HAVIP h1 10.0.1.100
 * in subnet s1, associated with ports p1 and p2 (OpenFlow ports 1 and 2),
 * held by p1; port p3 (OpenFlow port 3) in s2; plus HAVIP h2 10.0.1.101
 * with options:learn=false, associated with p1 and p2, held by p1.
 *
 * The input is up to 8 messages, each one of:
 *   0  raw: a 16-bit length and that many bytes, as the message;
 *   1  framed: the same with the OpenFlow header's length made right, so
 *      the bytes reach the packet-in decoder;
 *   2  encoded: a packet-in built by OVS's own encoder (as ovs-vswitchd
 *      sends it) from fields in the input: format (OFPT_PACKET_IN,
 *      NXT_PACKET_IN, NXT_PACKET_IN2) and OpenFlow version, in_port,
 *      table, cookie, NXT_PACKET_IN2 userdata, and either raw frame bytes
 *      or an ARP built from picked addresses, opcode and VLAN.
 * Properties: no crash or leak (the userdata of an NXT_PACKET_IN2 once was
 * freed although it points into the message); a holder only ever becomes
 * an associated port; h2 never learns; an encoded packet-in moves h1's
 * holder exactly when it is a valid claim: havip's claim table and cookie,
 * an untagged ARP request or reply for 10.0.1.100 whose sender MAC is the
 * Ethernet source, from an associated port. */

#include <config.h>
#include "fuzz.h"

#include <string.h>
#include "controller/desired.h"
#include "controller/holders.h"
#include "controller/learn.h"
#include "dp-packet.h"
#include "flow.h"
#include "havip-flow-table.h"
#include "havip-pipeline.h"
#include "havip-rules.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/match.h"
#include "ovsdb/havip-nb-idl.h"
#include "packets.h"
#include "simap.h"
#include "smap.h"
#include "tests/unit/world.h"
#include "util.h"

#define MAX_MESSAGES 8
#define MAX_MESSAGE 2048

static struct simap ofports = SIMAP_INITIALIZER(&ofports);
static struct havip_local local;
static struct nbrec_havip *h2;

/* Builds the world once: the rows never change, only the holders. */
static void
world_init(void)
{
    world_setup();
    h2 = add_havip("h2", s1, "10.0.1.101");
    havip_associate(h2, p1);
    havip_associate(h2, p2);
    h2->holder = p1;
    smap_add(&h2->options, "learn", "false");

    simap_put(&ofports, "p1", 1);
    simap_put(&ofports, "p2", 2);
    simap_put(&ofports, "p3", 3);
    local = (struct havip_local) {
        .ofports = &ofports,
        .uplink = u16_to_ofp(9),
        .chassis = "hv1",
        .active_gateway = true,
        .gateway_tunnel = OFPP_NONE,
    };
}

static const struct nbrec_port *
port_on(ofp_port_t ofport)
{
    switch (ofp_to_u16(ofport)) {
    case 1: return p1;
    case 2: return p2;
    case 3: return p3;
    default: return NULL;
    }
}

/* What an encoded packet-in says, to predict what learning must do. */
struct claim {
    bool known;                 /* Encoded (not raw) message? */
    bool valid;                 /* A claim that learning must take? */
    ofp_port_t in_port;
};

static struct ofpbuf *
read_raw(struct fuzz_input *in, bool framed)
{
    const uint8_t *bytes;
    size_t n = fuzz_bytes(in, &bytes, fuzz_u16(in) % MAX_MESSAGE);
    struct ofpbuf *msg = ofpbuf_clone_data(bytes, n);

    if (framed && n >= sizeof(struct ofp_header)) {
        struct ofp_header *oh = msg->data;

        oh->length = htons(n);
    }
    return msg;
}

/* Builds an ARP from picked fields into 'packet'; returns true if it is an
 * untagged request or reply for h1's IP whose sender MAC is its source. */
static bool
read_arp(struct fuzz_input *in, struct dp_packet *packet)
{
    static const struct eth_addr macs[] = {
        ETH_ADDR_C(0a,00,00,00,01,0b), ETH_ADDR_C(0a,00,00,00,01,0c),
        ETH_ADDR_C(0a,00,00,00,02,0b), ETH_ADDR_C(ff,ff,ff,ff,ff,ff),
    };
    static const ovs_be32 ips[] = {
        CONSTANT_HTONL(0x0a000164), CONSTANT_HTONL(0x0a000165),
        CONSTANT_HTONL(0x0a00010b), CONSTANT_HTONL(0x0a00020b),
    };
    uint8_t op = fuzz_u8(in) % 4;
    struct eth_addr src = macs[fuzz_u8(in) % ARRAY_SIZE(macs)];
    uint8_t sha_i = fuzz_u8(in) % (ARRAY_SIZE(macs) + 1);
    struct eth_addr sha = sha_i < ARRAY_SIZE(macs) ? macs[sha_i] : src;
    uint8_t spa_i = fuzz_u8(in) % (ARRAY_SIZE(ips) + 1);
    ovs_be32 spa = spa_i < ARRAY_SIZE(ips) ? ips[spa_i] : htonl(fuzz_u32(in));
    uint16_t vlan = fuzz_u8(in) & 0x7;

    compose_arp(packet, op, sha, eth_addr_zero, true, spa, spa);
    struct eth_header *eth = dp_packet_eth(packet);
    eth->eth_src = src;
    if (vlan) {
        eth_push_vlan(packet, htons(ETH_TYPE_VLAN), htons(vlan));
    }
    return ((op == ARP_OP_REQUEST || op == ARP_OP_REPLY) && !vlan
            && eth_addr_equals(src, sha) && spa == ips[0]);
}

static struct ofpbuf *
read_encoded(struct fuzz_input *in, struct claim *claim)
{
    static const enum ofputil_protocol protocols[] = {
        OFPUTIL_P_OF15_OXM, OFPUTIL_P_OF13_OXM, OFPUTIL_P_OF10_NXM,
        OFPUTIL_P_OF15_OXM,
    };
    static const enum ofputil_packet_in_format formats[] = {
        OFPUTIL_PACKET_IN_STD, OFPUTIL_PACKET_IN_NXT,
        OFPUTIL_PACKET_IN_NXT2, OFPUTIL_PACKET_IN_NXT2,
    };
    uint8_t flags = fuzz_u8(in);
    enum ofputil_packet_in_format format = formats[flags & 3];
    enum ofputil_protocol protocol = protocols[(flags >> 2) & 3];
    struct ofputil_packet_in_private pin;

    memset(&pin, 0, sizeof pin);
    claim->in_port = u16_to_ofp(fuzz_u8(in) % 5);
    match_init_catchall(&pin.base.flow_metadata);
    match_set_in_port(&pin.base.flow_metadata, claim->in_port);
    pin.base.reason = OFPR_ACTION;
    pin.base.table_id = flags & 0x10 ? fuzz_u8(in) : HT_CLAIM;
    pin.base.cookie = htonll(flags & 0x20 ? fuzz_u32(in) : HFLOW_COOKIE);

    const uint8_t *userdata = NULL;
    size_t userdata_len = 0;
    if (flags & 0x40) {
        userdata_len = fuzz_bytes(in, &userdata, 1 + fuzz_u8(in) % 64);
    }
    pin.base.userdata = CONST_CAST(uint8_t *, userdata);
    pin.base.userdata_len = userdata_len;

    struct dp_packet packet;
    bool arp_claim = false;
    dp_packet_init(&packet, 128);
    if (flags & 0x80) {
        const uint8_t *frame;
        size_t n = fuzz_bytes(in, &frame, fuzz_u16(in) % 1600);
        dp_packet_put(&packet, frame, n);
    } else {
        arp_claim = read_arp(in, &packet);
    }
    pin.base.packet = dp_packet_data(&packet);
    pin.base.packet_len = dp_packet_size(&packet);

    struct ofpbuf *msg = ofputil_encode_packet_in_private(&pin, protocol,
                                                          format);
    dp_packet_uninit(&packet);

    /* OpenFlow 1.0's own packet-in has no table or cookie. */
    bool has_table = !(format == OFPUTIL_PACKET_IN_STD
                       && protocol == OFPUTIL_P_OF10_NXM);
    claim->known = !(flags & 0x80);
    claim->valid = (claim->known && arp_claim && has_table
                    && pin.base.table_id == HT_CLAIM
                    && ntohll(pin.base.cookie) == HFLOW_COOKIE
                    && (ofp_to_u16(claim->in_port) == 1
                        || ofp_to_u16(claim->in_port) == 2));
    return msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialized;
    struct fuzz_input in = { data, size };

    fuzz_init();
    if (!initialized) {
        initialized = true;
        world_init();
    }

    /* No learned holder yet, so holders_reindex() reads no IDL. */
    struct holders *h = holders_create();
    holders_reindex(h, NULL, &world, &local);
    struct desired *d = desired_create(h);

    for (int i = 0; i < MAX_MESSAGES && in.size; i++) {
        struct claim claim = { .known = false };
        struct ofpbuf *msg;

        switch (fuzz_u8(&in) % 3) {
        case 0: msg = read_raw(&in, false); break;
        case 1: msg = read_raw(&in, true); break;
        default: msg = read_encoded(&in, &claim); break;
        }

        const struct nbrec_port *before = holders_current(h, h1);
        learn_packet_in(d, h, msg);
        ofpbuf_delete(msg);
        const struct nbrec_port *after = holders_current(h, h1);

        fuzz_check(after == h1->holder || havip_is_associated(h1, after),
                   "learned a holder that is not associated");
        fuzz_check(holders_current(h, h2) == h2->holder,
                   "learned although options:learn=false");
        if (claim.known) {
            const struct nbrec_port *want = (claim.valid
                                             ? port_on(claim.in_port)
                                             : before);
            fuzz_check(after == want, claim.valid
                       ? "valid claim not learned"
                       : "invalid claim learned");
        }
    }

    desired_destroy(d);
    holders_destroy(h);
    return 0;
}
