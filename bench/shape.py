# bench/shape.py: the benchmark topology, as operators deploy it.
#
# PAIRS pairs of local VM ports (an LVS or HAProxy pair each), every pair in
# its own /21 subnet of one VPC in one region; N HAVIPs spread evenly over
# the pairs (HAVIP k belongs to pair k % PAIRS), each associated with both
# ports of its pair, held by one of them and bound to its own EIP.  One
# uplink port faces the public network; the region has an external gateway
# MAC.
#
# Addresses: pair i's subnet is 10.0.0.0 + i * 2048 / 21, gateway .1, the
# ports .11 and .12, the HAVIPs from .16 up (2,000 per pair at most); EIPs
# are 100.64.0.0/10 + k + 1 (4M at most).

import ipaddress

from ovsdb import named, oset

SUBNET_BASE = int(ipaddress.IPv4Address("10.0.0.0"))
SUBNET_SIZE = 2048
SUBNET_PREFIX = 21
EIP_BASE = int(ipaddress.IPv4Address("100.64.0.0"))
EXT_GW_MAC = "0a:ff:00:00:00:01"
UPLINK = "pub"


def ip(n):
    return str(ipaddress.IPv4Address(n))


class Shape:
    def __init__(self, n, pairs=1000):
        self.n = n
        self.pairs = pairs
        per_pair = -(-n // pairs)
        if per_pair > SUBNET_SIZE - 32:
            raise ValueError("too many HAVIPs per pair: %d" % per_pair)
        if n >= (1 << 22) - 2:
            raise ValueError("too many EIPs: %d" % n)

    # Pair i: its subnet and ports.
    def subnet_name(self, i):
        return "s%d" % i

    def subnet_base(self, i):
        return SUBNET_BASE + i * SUBNET_SIZE

    def cidr(self, i):
        return "%s/%d" % (ip(self.subnet_base(i)), SUBNET_PREFIX)

    def gateway_ip(self, i):
        return ip(self.subnet_base(i) + 1)

    def gateway_mac(self, i):
        return "0a:fe:00:00:%02x:%02x" % (i >> 8, i & 255)

    def port_name(self, i, side):
        return "p%d%s" % (i, "ab"[side])

    def port_mac(self, i, side):
        return "0a:00:00:%02x:%02x:%02x" % (i >> 8, i & 255, 0x0b + side)

    def port_ip(self, i, side):
        return ip(self.subnet_base(i) + 11 + side)

    def port_ofport(self, i, side):
        return 2 * i + side + 1

    def uplink_ofport(self):
        return 2 * self.pairs + 1

    # HAVIP k: its pair, address, holder side and EIP.
    def havip_pair(self, k):
        return k % self.pairs

    def havip_name(self, k):
        return "hv%d" % k

    def havip_ip(self, k):
        return ip(self.subnet_base(k % self.pairs) + 16 + k // self.pairs)

    def holder_side(self, k):
        return (k // self.pairs) & 1

    def eip_name(self, k):
        return "e%d" % k

    def eip_ip(self, k):
        return ip(EIP_BASE + k + 1)

    # The HAVIP_Northbound transaction that loads everything.
    def havip_nb_ops(self, nb_cfg=None):
        """Returns the operations that insert the whole topology and, if
        'nb_cfg' is given, set NB_Global.nb_cfg to it in the same
        transaction."""
        ops = [{"op": "insert", "table": "Region", "uuid-name": "r",
                "row": {"name": "r1", "external_gateway_mac": EXT_GW_MAC}},
               {"op": "insert", "table": "VPC", "uuid-name": "v",
                "row": {"name": "vpc1", "region": named("r")}}]
        for i in range(self.pairs):
            ops.append({"op": "insert", "table": "Subnet",
                        "uuid-name": "s%d" % i,
                        "row": {"name": self.subnet_name(i),
                                "vpc": named("v"), "cidr": self.cidr(i),
                                "gateway_ip": self.gateway_ip(i),
                                "gateway_mac": self.gateway_mac(i)}})
            for side in (0, 1):
                ops.append({"op": "insert", "table": "Port",
                            "uuid-name": "p%d_%d" % (i, side),
                            "row": {"name": self.port_name(i, side),
                                    "subnet": named("s%d" % i),
                                    "mac": self.port_mac(i, side),
                                    "ip": self.port_ip(i, side)}})
        for k in range(self.n):
            i = self.havip_pair(k)
            ops.append({"op": "insert", "table": "EIP",
                        "uuid-name": "e%d" % k,
                        "row": {"name": self.eip_name(k),
                                "ip": self.eip_ip(k), "region": named("r")}})
            ops.append({"op": "insert", "table": "HAVIP",
                        "row": {"name": self.havip_name(k),
                                "subnet": named("s%d" % i),
                                "ip": self.havip_ip(k),
                                "ports": oset([named("p%d_0" % i),
                                               named("p%d_1" % i)]),
                                "holder": named("p%d_%d"
                                                % (i, self.holder_side(k))),
                                "eip": named("e%d" % k)}})
        if nb_cfg is not None:
            ops.append({"op": "update", "table": "NB_Global", "where": [],
                        "row": {"nb_cfg": nb_cfg}})
        return ops

    def vsctl_ports_args(self, bridge="br-int"):
        """ovs-vsctl arguments that add every VM port and the uplink to
        'bridge' as dummy interfaces, in one transaction."""
        args = []
        for i in range(self.pairs):
            for side in (0, 1):
                name = self.port_name(i, side)
                args += ["--", "add-port", bridge, name,
                         "--", "set", "Interface", name, "type=dummy",
                         "ofport_request=%d" % self.port_ofport(i, side),
                         "external_ids:iface-id=%s" % name]
        args += ["--", "add-port", bridge, UPLINK,
                 "--", "set", "Interface", UPLINK, "type=dummy",
                 "ofport_request=%d" % self.uplink_ofport()]
        return args
