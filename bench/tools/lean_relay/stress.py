"""Correctness check for lean_relay (bench/tools/lean_relay): python3 stress.py RELAY_PORT BACKEND_PORT.
Starts an echo/close backend on BACKEND_PORT (start lean_relay 127.0.0.1:RELAY_PORT -> it first).
Large bidirectional transfers, a slow reader, close propagation, 20 parallel connections."""
# Relay correctness: echo through the relay with large bidirectional transfers, a slow reader,
# and close propagation from either side.
import socket, threading, sys, os, time, hashlib
RELAY = ("127.0.0.1", int(sys.argv[1]))
BACK = ("127.0.0.1", int(sys.argv[2]))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); srv.bind(BACK); srv.listen(64)
def handle(c):
    first = c.recv(1)
    if first == b"E":  # echo until EOF
        while True:
            d = c.recv(65536)
            if not d: break
            c.sendall(d)
        c.close()
    elif first == b"C":  # send 5 MB then close
        c.sendall(b"x" * 5_000_000); c.close()
def server():
    while True:
        c, _ = srv.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()
threading.Thread(target=server, daemon=True).start()

def echo_test(n, slow):
    s = socket.create_connection(RELAY); s.sendall(b"E")
    data = os.urandom(n); got = bytearray()
    def rd():
        if slow: time.sleep(1.0)
        while len(got) < n:
            d = s.recv(1 << 20)
            if not d: break
            got.extend(d)
    t = threading.Thread(target=rd); t.start()
    s.sendall(data); t.join(); 
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5); rest = s.recv(10)
    s.close()
    return bytes(got) == data and rest == b""
def close_test():
    s = socket.create_connection(RELAY); s.sendall(b"C"); got = 0
    s.settimeout(10)
    while True:
        d = s.recv(1 << 20)
        if not d: break
        got += len(d)
    return got == 5_000_000
ok = True
for name, f in [("echo 30MB", lambda: echo_test(30_000_000, False)), ("echo 30MB slow reader", lambda: echo_test(30_000_000, True)),
                ("backend close after 5MB", close_test)]:
    r = f(); ok &= r; print(name, "OK" if r else "FAIL")
res = []
ths = [threading.Thread(target=lambda: res.append(echo_test(3_000_000, False))) for _ in range(20)]
[t.start() for t in ths]; [t.join() for t in ths]
print("20 parallel echo 3MB", "OK" if all(res) and len(res) == 20 else "FAIL"); ok &= all(res)
sys.exit(0 if ok else 1)
