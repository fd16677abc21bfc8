# bench/ovsdb.py: a minimal OVSDB JSON-RPC client (RFC 7047) over a unix
# socket, python3 stdlib only.
#
# The benchmarks need to send transactions far larger than a command line
# (ovsdb-client transact takes its JSON as an argument) and to time one
# database round trip without the start-up cost of a process, so they speak
# the protocol themselves.  The client answers the server's "echo" probes.

import json
import socket
import time


class OvsdbError(Exception):
    pass


class Client:
    """One connection to an ovsdb-server."""

    def __init__(self, remote, timeout=None):
        if not remote.startswith("unix:"):
            raise ValueError("only unix: remotes are supported: %s" % remote)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(remote[len("unix:"):])
        self.buf = ""
        self.decoder = json.JSONDecoder()
        self.next_id = 1

    def close(self):
        self.sock.close()

    def _send(self, msg):
        self.sock.sendall(json.dumps(msg, separators=(",", ":")).encode())

    def _recv_msg(self):
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    msg, end = self.decoder.raw_decode(s)
                    self.buf = s[end:]
                    return msg
                except ValueError:
                    pass
            data = self.sock.recv(1 << 20)
            if not data:
                raise OvsdbError("connection closed by the server")
            self.buf = s + data.decode()

    def call(self, method, params):
        """Sends request 'method' with 'params' and returns its result."""
        rid = self.next_id
        self.next_id += 1
        self._send({"method": method, "params": params, "id": rid})
        while True:
            msg = self._recv_msg()
            if msg.get("method") == "echo":
                self._send({"result": msg["params"], "error": None,
                            "id": msg["id"]})
                continue
            if msg.get("id") != rid:
                continue        # A notification: the client monitors nothing.
            if msg.get("error"):
                raise OvsdbError("%s: %s" % (method, msg["error"]))
            return msg["result"]

    def transact(self, db, ops):
        """Runs 'ops' in one transaction of 'db'; raises on any error."""
        result = self.call("transact", [db] + list(ops))
        for i, r in enumerate(result):
            if r is not None and "error" in r:
                op = ops[i]["op"] if i < len(ops) else "commit"
                raise OvsdbError("transaction failed at %s: %s: %s"
                                 % (op, r["error"], r.get("details", "")))
        return result

    def select(self, db, table, where=(), columns=None):
        op = {"op": "select", "table": table, "where": list(where)}
        if columns:
            op["columns"] = list(columns)
        return self.transact(db, [op])[0]["rows"]

    def wait_until(self, db, table, where, row, timeout_ms):
        """Blocks until the rows of 'table' matching 'where' equal 'row' in
        the columns 'row' names, at most 'timeout_ms'.  Returns the elapsed
        seconds."""
        start = time.perf_counter()
        self.transact(db, [{"op": "wait", "table": table, "where": where,
                            "columns": list(row), "until": "==",
                            "rows": [row], "timeout": timeout_ms}])
        return time.perf_counter() - start


def uuid(u):
    return ["uuid", u]


def named(name):
    return ["named-uuid", name]


def oset(items):
    return ["set", list(items)]
