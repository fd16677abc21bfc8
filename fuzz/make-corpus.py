#!/usr/bin/env python3
# fuzz/make-corpus.py: writes the hand-made seeds of fuzz/corpus/<target>/
# (seed-*; files named crash-* are reproducers of bugs the fuzzer found and
# are kept as they were).  The byte layouts are those the targets'
# comments describe; run it after changing a target's input format.

import os
import struct

top = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data, prefix="seed-"):
    d = os.path.join(top, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, prefix + name), "wb") as f:
        f.write(data)


def write_crash(target, name, data):
    """A reproducer of a bug the fuzzer found, in its minimal form."""
    write(target, name, data, "crash-")


# fuzz-addr: a string, then optionally "\n" and a host address.
ADDR = {
    "cidr": "10.0.1.0/24",
    "cidr-host": "10.0.1.0/24\n10.0.1.5",
    "cidr-gateway": "10.0.1.0/24\n10.0.1.1",
    "cidr-29": "192.168.0.0/29\n192.168.0.7",
    "cidr-0": "0.0.0.0/0\n255.255.255.255",
    "cidr-host-bits": "10.0.1.5/24",
    "cidr-mask": "10.0.1.0/255.255.255.0",
    "cidr-zeros": "010.0.1.0/24",
    "cidr-30": "10.0.1.0/30",
    "ip": "10.0.1.5",
    "mac": "0a:00:00:00:01:0b",
    "mac-upper": "0A:00:00:00:01:0B",
    "mac-multicast": "01:00:5e:00:00:12",
    "mac-short": "1:2:3:4:5:6",
}
for name, text in ADDR.items():
    write("addr", name, text)
# OVS's ip_parse_cidr() read octets modulo 256 and took dotted masks: the
# canonical-form check aborted on both (fixed in flows/addr.c).
write_crash("addr", "cidr-octet-overflow", "10.0.1.256/24")
write_crash("addr", "cidr-dotted-mask", "10.0.1.0/255.255.255.0")

# fuzz-rules: the tables of fuzz-rules.c, looked up by value.
NAMES = ["r1", "r2", "vpc1", "s1", "s2", "p1", "p2", "p3", "h1", "h2",
         "e1", ""]
CIDRS = ["10.0.1.0/24", "10.0.2.0/24", "10.0.1.0/25", "10.0.1.128/25",
         "10.0.0.0/16", "192.168.0.0/29", "10.0.1.5/24", "10.0.1.0/30",
         "0.0.0.0/0", "10.0.1.256/24", "", "x"]
IPS = ["10.0.1.1", "10.0.1.11", "10.0.1.12", "10.0.1.100", "10.0.1.0",
       "10.0.1.255", "10.0.2.1", "10.0.2.11", "10.0.1.129", "192.168.0.1",
       "192.168.0.6", "203.0.113.10", "198.51.100.10", "", "10.0.1"]
MACS = ["0a:00:00:00:01:0b", "0a:00:00:00:01:0c", "0a:00:00:00:02:0b",
        "0a:ff:00:00:00:01", "0A:00:00:00:01:0B", "01:00:5e:00:00:12",
        "00:00:00:00:00:00", "", "zz"]
CHASSIS = ["hv1", "hv2", "hv3", "hv9", ""]
LEARNS = ["true", "false", "maybe"]


def region(name, mac):
    return [0, NAMES.index(name), MACS.index(mac)]


def vpc(region_i, name):
    return [1, region_i, NAMES.index(name)]


def subnet(vpc_i, name, cidr, gw, mac="0a:00:00:00:01:0b"):
    return [2, vpc_i, NAMES.index(name), CIDRS.index(cidr), IPS.index(gw),
            MACS.index(mac)]


def port(subnet_i, name, mac, ip, chassis=None, key=None):
    flags = (1 if chassis is not None else 0) | (2 if key is not None else 0)
    out = [3, subnet_i, NAMES.index(name), MACS.index(mac), IPS.index(ip),
           flags]
    if chassis is not None:
        out.append(CHASSIS.index(chassis))
    if key is not None:
        out += [0, key]
    return out


def havip(subnet_i, name, ip, learn=None):
    out = [4, subnet_i, NAMES.index(name), IPS.index(ip)]
    return out + ([1, LEARNS.index(learn)] if learn else [0])


def eip(region_i, name, ip):
    return [5, region_i, NAMES.index(name), IPS.index(ip)]


NONE = 0xff         # A missing reference.


def learned(havip_i, port_i):
    return [10, havip_i, port_i]


def world(extra=(), here=0b111, flags=0b01011):
    """Two bytes of local facts (ports p1..p3 here, an active gateway with
    an uplink), then the unit tests' world, then 'extra' operations."""
    ops = ([here, flags]
           + region("r1", "0a:ff:00:00:00:01") + vpc(0, "vpc1")
           + subnet(0, "s1", "10.0.1.0/24", "10.0.1.1")
           + subnet(0, "s2", "10.0.2.0/24", "10.0.2.1", "0a:00:00:00:02:0b")
           + port(0, "p1", "0a:00:00:00:01:0b", "10.0.1.11")
           + port(0, "p2", "0a:00:00:00:01:0c", "10.0.1.12")
           + port(1, "p3", "0a:00:00:00:02:0b", "10.0.2.11")
           + havip(0, "h1", "10.0.1.100")
           + [6, 0, 0] + [6, 0, 1] + [7, 0, 0]
           + eip(0, "e1", "203.0.113.10") + [8, 0, 0])
    for op in extra:
        ops += op
    return bytes(ops)


write("rules", "world", world())
write("rules", "world-remote", world(
    [port(0, "p3", "0a:00:00:00:02:0b", "10.0.1.129", "hv2", 7)],
    here=0b001, flags=0b00111))
write("rules", "world-override", world(
    [learned(0, 1)]))
write("rules", "world-no-learn", world(
    [havip(0, "h2", "10.0.1.129", "false"), [6, 1, 0], [6, 1, 1]]))
write("rules", "world-bad-cidr", world(
    [subnet(0, "s2", "10.0.1.5/24", "10.0.1.1")]))
write("rules", "world-overflow-cidr", world(
    [subnet(0, "s2", "10.0.1.256/24", "10.0.1.1")]))
write("rules", "world-ip-collision", world(
    [port(0, "p2", "0a:00:00:00:01:0c", "10.0.1.11")]))
write("rules", "world-eip-twice", world(
    [havip(0, "h2", "10.0.1.129"), [8, 1, 0], [9, 2, 0]]))
write("rules", "world-other-region", world(
    [region("r2", ""), eip(1, "e1", "198.51.100.10"), [8, 0, 1]]))
write("rules", "world-holder-elsewhere", world(
    [[7, 0, 2]]))
write("rules", "world-gateway-tunnel", world(
    [], flags=0b10110))

# fuzz-packet-in: messages; mode 2 is an encoded packet-in.
STD, NXT, NXT2 = 0, 1, 2
OF15, OF13, OF10 = 0, 1, 2


def encoded(fmt=NXT2, proto=OF15, in_port=2, table=None, cookie=None,
            userdata=None, op=1, src=1, sha=4, spa=0, vlan=0):
    flags = fmt | proto << 2
    out = [2, 0, in_port]
    if table is not None:
        flags |= 0x10
        out.append(table)
    if cookie is not None:
        flags |= 0x20
        out += list(struct.pack("!I", cookie))
    if userdata is not None:
        flags |= 0x40
        out += [len(userdata) - 1] + list(userdata)
    out[1] = flags
    return bytes(out + [op, src, sha, spa, vlan])


def of15_packet_in(in_port, table, cookie, frame):
    oxm = struct.pack("!HBBI", 0x8000, 0 << 1, 4, in_port)
    match = struct.pack("!HH", 1, 4 + len(oxm)) + oxm
    match += b"\0" * (-len(match) % 8)
    body = (struct.pack("!IHBBQ", 0xffffffff, len(frame), 1, table, cookie)
            + match + b"\0\0" + frame)
    return struct.pack("!BBHI", 6, 10, 8 + len(body), 0) + body


def garp_frame(src, spa):
    return (b"\xff" * 6 + src + b"\x08\x06"
            + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
            + src + spa + b"\0" * 6 + spa)


P2 = bytes.fromhex("0a000000010c")
H1 = bytes([10, 0, 1, 100])
raw = of15_packet_in(2, 13, 0x4856000000000000, garp_frame(P2, H1))
write("packet-in", "garp-nxt2", encoded())
write("packet-in", "garp-std-of15", encoded(STD))
write("packet-in", "garp-nxt-of10", encoded(NXT, OF10))
write("packet-in", "garp-std-of13-reply", encoded(STD, OF13, op=2))
write("packet-in", "garp-other-table", encoded(table=12))
write("packet-in", "garp-other-cookie", encoded(cookie=0x1234))
write("packet-in", "garp-vlan", encoded(vlan=5))
write("packet-in", "garp-bad-sha", encoded(sha=0))
write("packet-in", "garp-no-learn", encoded(spa=1))
write("packet-in", "garp-not-associated", encoded(in_port=3, src=2))
write("packet-in", "garp-twice", encoded() + encoded() + encoded(in_port=1,
                                                                  src=0))
write("packet-in", "raw-packet-in",
      bytes([0]) + struct.pack("!H", len(raw)) + raw)
write("packet-in", "framed-packet-in",
      bytes([1]) + struct.pack("!H", len(raw)) + raw[:4] + b"\xff\xff"
      + raw[6:])
write("packet-in", "raw-echo",
      bytes([0, 0, 8]) + struct.pack("!BBHI", 6, 2, 8, 0))
write("packet-in", "raw-truncated",
      bytes([0, 0, 4]) + raw[:4])
# learn.c freed the userdata of an NXT_PACKET_IN2, which points into the
# message (fixed in 1bfc59d): any packet-in with userdata crashed.
write_crash("packet-in", "userdata-free",
            encoded(userdata=bytes(range(1, 9))))
