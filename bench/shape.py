# bench/shape.py: the benchmark topology, as operators deploy it.
#
# PAIRS pairs of local VM ports (an LVS or HAProxy pair each) spread over
# SUBNETS subnets (default 10, so 100 pairs each) of one VPC in one region;
# N HAVIPs spread evenly over the pairs (HAVIP k belongs to pair k % PAIRS),
# each associated with both ports of its pair, held by one of them and
# bound to its own EIP.  One uplink port faces the public network; the
# region has an external gateway MAC.
#
# Addresses: subnet s is 10.0.0.0 + s * 2^18 /14 (16 subnets at most),
# gateway .0.1; pair j of a subnet has the ports at offsets 16 + 2j and
# 17 + 2j; the HAVIPs from offset 1024 up; EIPs are 100.64.0.0/10 + k + 1.

import ipaddress

from ovsdb import named, oset

SUBNET_BASE = int(ipaddress.IPv4Address("10.0.0.0"))
SUBNET_SIZE = 1 << 18
SUBNET_PREFIX = 14
HAVIP_OFFSET = 1024
EIP_BASE = int(ipaddress.IPv4Address("100.64.0.0"))
EXT_GW_MAC = "0a:ff:00:00:00:01"
UPLINK = "pub"


def ip(n):
    return str(ipaddress.IPv4Address(n))


class Shape:
    def __init__(self, n, pairs=1000, subnets=10):
        self.n = n
        self.pairs = pairs
        self.subnets = min(subnets, pairs)
        self.pps = -(-pairs // self.subnets)      # Pairs per subnet.
        per_pair = -(-n // pairs)
        if self.subnets > 16 or 16 + 2 * self.pps > HAVIP_OFFSET:
            raise ValueError("too many subnets or pairs per subnet")
        if HAVIP_OFFSET + per_pair * self.pps >= SUBNET_SIZE - 1:
            raise ValueError("too many HAVIPs per subnet")
        if n >= (1 << 22) - 2:
            raise ValueError("too many EIPs: %d" % n)

    # Subnet s.
    def subnet_of(self, i):
        return i // self.pps

    def subnet_name(self, s):
        return "s%d" % s

    def subnet_base(self, s):
        return SUBNET_BASE + s * SUBNET_SIZE

    def cidr(self, s):
        return "%s/%d" % (ip(self.subnet_base(s)), SUBNET_PREFIX)

    def gateway_ip(self, s):
        return ip(self.subnet_base(s) + 1)

    def gateway_mac(self, s):
        return "0a:fe:00:00:00:%02x" % s

    # Pair i: its ports.
    def port_name(self, i, side):
        return "p%d%s" % (i, "ab"[side])

    def port_mac(self, i, side):
        return "0a:00:00:%02x:%02x:%02x" % (i >> 8, i & 255, 0x0b + side)

    def port_offset(self, i, side):
        return 16 + 2 * (i % self.pps) + side

    def port_ip(self, i, side):
        return ip(self.subnet_base(self.subnet_of(i))
                  + self.port_offset(i, side))

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
        i = k % self.pairs
        return ip(self.subnet_base(self.subnet_of(i)) + HAVIP_OFFSET
                  + (k // self.pairs) * self.pps + i % self.pps)

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
        for sn in range(self.subnets):
            ops.append({"op": "insert", "table": "Subnet",
                        "uuid-name": "s%d" % sn,
                        "row": {"name": self.subnet_name(sn),
                                "vpc": named("v"), "cidr": self.cidr(sn),
                                "gateway_ip": self.gateway_ip(sn),
                                "gateway_mac": self.gateway_mac(sn)}})
        for i in range(self.pairs):
            for side in (0, 1):
                ops.append({"op": "insert", "table": "Port",
                            "uuid-name": "p%d_%d" % (i, side),
                            "row": {"name": self.port_name(i, side),
                                    "subnet": named(
                                        "s%d" % self.subnet_of(i)),
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
                                "subnet": named(
                                    "s%d" % self.subnet_of(i)),
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

    def havip_nb_batches(self, batch):
        """Yields lists of operations that load the topology in several
        transactions: first everything but the bindings, then 'batch'
        bindings (HAVIP + EIP) at a time.  Each batch names the rows of the
        first transaction by name through a 'select' of their UUIDs, so it
        must be run after the first has committed: the caller passes the
        first transaction's result to the generator with send()."""
        ops = self.havip_nb_ops()
        n_first = 2 + self.subnets + 2 * self.pairs
        result = yield ops[:n_first]
        uuids = {}
        for op, r in zip(ops[:n_first], result):
            uuids[op["uuid-name"]] = r["uuid"]

        def fix(v):
            if isinstance(v, list) and v and v[0] == "named-uuid" \
                    and v[1] in uuids:
                return uuids[v[1]]
            if isinstance(v, list):
                return [fix(x) for x in v]
            if isinstance(v, dict):
                return {k: fix(x) for k, x in v.items()}
            return v

        rest = ops[n_first:]
        for i in range(0, len(rest), 2 * batch):
            yield [fix(op) for op in rest[i:i + 2 * batch]]

    def vsctl_ports_args(self, bridge="br-int", uplink=True):
        """ovs-vsctl arguments that add every VM port and, if 'uplink', the
        uplink to 'bridge' as dummy interfaces, in one transaction."""
        args = []
        for i in range(self.pairs):
            for side in (0, 1):
                name = self.port_name(i, side)
                args += ["--", "add-port", bridge, name,
                         "--", "set", "Interface", name, "type=dummy",
                         "ofport_request=%d" % self.port_ofport(i, side),
                         "external_ids:iface-id=%s" % name]
        if not uplink:
            return args
        args += ["--", "add-port", bridge, UPLINK,
                 "--", "set", "Interface", UPLINK, "type=dummy",
                 "ofport_request=%d" % self.uplink_ofport()]
        return args
