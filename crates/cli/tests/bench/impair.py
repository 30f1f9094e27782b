"""Loss and jitter on the lab VPN's tunnel where the kernel has no netem.

Runs in tvpn-lab-vpn: a UDP relay takes the WireGuard port (51820) on the
server's internet address and moves wireguard-go to 51822 behind it. As
netem on the server's eth0 would (it shapes what leaves that interface),
each datagram from the server to the client is dropped with probability
LOSS % or sent after a delay drawn uniformly from DELAY +- JITTER ms
(netem's `delay D J`), so datagrams may arrive out of order as they do
under netem; datagrams to the server pass at once. After SECONDS, or
on SIGTERM, the relay closes and wireguard-go gets 51820 back; the client's
next datagram moves the server's endpoint back to it.

    python3 impair.py LOSS DELAY_MS JITTER_MS SECONDS ADDRESS PIDFILE
"""

import heapq
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

PORT = 51820
INNER = 51822


def main():
    loss = float(sys.argv[1]) / 100
    delay = float(sys.argv[2]) / 1000
    jitter = float(sys.argv[3]) / 1000
    seconds = float(sys.argv[4])
    address = sys.argv[5]
    pidfile = sys.argv[6]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(pidfile, "w", encoding="ascii") as handle:
        handle.write(f"{os.getpid()}\n")
    queue = []
    ready = threading.Condition()
    counter = [0]

    def send_later(sock, data, dest):
        if random.random() < loss:
            return
        due = time.monotonic() + max(0.0, random.uniform(delay - jitter, delay + jitter))
        with ready:
            counter[0] += 1
            heapq.heappush(queue, (due, counter[0], sock, data, dest))
            ready.notify()

    def sender():
        while True:
            with ready:
                while not queue or queue[0][0] > time.monotonic():
                    ready.wait(None if not queue else queue[0][0] - time.monotonic())
                _, _, sock, data, dest = heapq.heappop(queue)
            try:
                sock.sendto(data, dest)
            except OSError:
                pass

    stop = threading.Event()
    readers = []
    upstreams = {}

    def receive(sock, forward):
        # A timeout, so that the reader notices `stop` and the socket is
        # closed (its port free) before wireguard-go takes 51820 back.
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                data, source = sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            forward(data, source)

    def reader(sock, forward):
        thread = threading.Thread(target=receive, args=(sock, forward), daemon=True)
        readers.append(thread)
        thread.start()

    subprocess.run(["wg", "set", "wg0", "listen-port", str(INNER)], check=True)
    outer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        outer.bind((address, PORT))

        def from_client(data, client):
            up = upstreams.get(client)
            if up is None:
                up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                up.bind(("127.0.0.1", 0))
                upstreams[client] = up
                reader(up, lambda reply, _source: send_later(outer, reply, client))
            try:
                up.sendto(data, ("127.0.0.1", INNER))
            except OSError:
                pass

        threading.Thread(target=sender, daemon=True).start()
        reader(outer, from_client)
        print("impairment on", flush=True)
        time.sleep(seconds)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
        for sock in [outer, *upstreams.values()]:
            sock.close()
        subprocess.run(["wg", "set", "wg0", "listen-port", str(PORT)], check=False)
        try:
            os.unlink(pidfile)
        except OSError:
            pass


if __name__ == "__main__":
    main()
