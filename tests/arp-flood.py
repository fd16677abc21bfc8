#!/usr/bin/env python3
# tests/arp-flood.py: sends ARP frames on an interface as fast as it can,
# for the hostile-packet tests (tests/hostile.sh).  Run it inside the
# sender's network namespace.
#
#   arp-flood.py IFACE MAC SPA TPA COUNT [OP]
#
# Sends COUNT broadcast ARP frames (opcode OP, default 1: request) from
# Ethernet source MAC, with sender hardware address MAC, sender IP SPA and
# target IP TPA (SPA = TPA: a gratuitous ARP), and prints
# "SENT SECONDS": how many were sent and how long it took.

import errno
import socket
import struct
import sys
import time


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


def main():
    iface, mac, spa, tpa, count = sys.argv[1:6]
    op = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    count = int(count)
    src = mac_bytes(mac)
    frame = (b'\xff' * 6 + src + struct.pack('!H', 0x0806)
             + struct.pack('!HHBBH', 1, 0x0800, 6, 4, op)
             + src + socket.inet_aton(spa)
             + b'\x00' * 6 + socket.inet_aton(tpa))
    frame += b'\x00' * (60 - len(frame))

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent = 0
    start = time.monotonic()
    while sent < count:
        try:
            s.send(frame)
            sent += 1
        except OSError as e:
            # A full queue: wait a little and send the same frame again.
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            time.sleep(0.0001)
    print(sent, '%.3f' % (time.monotonic() - start))


if __name__ == '__main__':
    main()
