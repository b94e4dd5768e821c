# SPDX-License-Identifier: BSD-2-Clause
"""Slowloris-style clients, for the slow-client test and bench/supervise.py
alike: a third trickle a request head a byte at a time, a third promise a
body and trickle it, a third pipeline requests whose answers they never
read."""
import socket


class SlowClients:
    HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 500

    def __init__(self, port, n=500, timeout=5.0):
        self.socks = []
        self.step = 0
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port),
                                         timeout=timeout)
            s.setblocking(False)
            if i % 3 == 1:
                s.send(b"POST / HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 100000\r\n\r\n")
            elif i % 3 == 2:
                try:
                    s.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 2000)
                except BlockingIOError:
                    pass
            self.socks.append((i % 3, s))

    def trickle(self):
        """One more byte from each client that trickles."""
        for kind, s in self.socks:
            try:
                if kind == 0:
                    s.send(self.HEAD[self.step % len(self.HEAD):][:1])
                elif kind == 1:
                    s.send(b"z")
            except (BlockingIOError, ConnectionError):
                pass
        self.step += 1

    def close(self):
        for _, s in self.socks:
            s.close()
