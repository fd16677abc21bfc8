#!/usr/bin/env python3
# tests/udp-frag.py: large UDP datagrams (fragmented on a 1500-byte MTU)
# for the NAT tests of tests/hostile.sh.  Run it inside a namespace.
#
#   udp-frag.py recv PORT SECONDS
#       prints "LEN SOURCE intact|CORRUPT" for each datagram received on
#       PORT, until SECONDS pass without one
#   udp-frag.py send DST PORT SIZE COUNT [nocsum|-] [BIND|-] [TTL]
#       sends COUNT datagrams of SIZE bytes to DST:PORT (from address
#       BIND, if given, with IP TTL TTL), without a UDP checksum with
#       "nocsum" (SO_NO_CHECK: the receiver cannot detect a corrupted
#       datagram)
#
# The payload is a fixed pattern with no zero byte, so the receiver tells
# an intact datagram from a corrupted one.

import errno
import socket
import sys

SO_NO_CHECK = 11


def pattern(size):
    return bytes((i * 7) % 251 + 1 for i in range(size))


def recv(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('0.0.0.0', int(port)))
    s.settimeout(float(seconds))
    try:
        while True:
            data, addr = s.recvfrom(65535)
            state = 'intact' if data == pattern(len(data)) else 'CORRUPT'
            print(len(data), addr[0], state, flush=True)
    except socket.timeout:
        pass


def send(dst, port, size, count, csum='-', bind='-', ttl=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if csum == 'nocsum':
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
    if bind != '-':
        s.bind((bind, 0))
    if ttl:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
    data = pattern(int(size))
    for _ in range(int(count)):
        try:
            s.sendto(data, (dst, int(port)))
        except OSError as e:
            # A full queue: this one is lost, as on a wire.
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise


if __name__ == '__main__':
    {'recv': recv, 'send': send}[sys.argv[1]](*sys.argv[2:])
