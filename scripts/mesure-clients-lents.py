"""Slow clients against a running `maillage serve`: /sante latency while N connections
never finish their headers, how many the server closes after MAILLAGE_DELAI_ENTETES, and a
SIGTERM with a request in flight."""
import os, select, signal, socket, statistics, subprocess, sys, time

BIN, PORT, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
env = dict(os.environ, MAILLAGE_DELAI_ENTETES="5", MAILLAGE_DATA_DIR=os.environ.get("MESURE_DOSSIER", "/tmp/maillage-clients-lents"))
os.makedirs(os.environ.get("MESURE_DOSSIER", "/tmp/maillage-clients-lents"), exist_ok=True)
srv = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{PORT}", "--demo"], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def sante():
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.sendall(b"GET /sante HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    r = b""
    while True:
        d = s.recv(4096)
        if not d: break
        r += d
    s.close()
    return (time.perf_counter() - t) * 1000, r.startswith(b"HTTP/1.1 200")

for _ in range(600):
    try:
        sante(); break
    except OSError:
        time.sleep(0.5)
print("server up")
base = [sante()[0] for _ in range(20)]
print(f"/sante alone: median {statistics.median(base):.2f} ms, max {max(base):.2f} ms")

lents = []
t0 = time.time()
for i in range(N):
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(b"GET /sante HTTP/1.1\r\nHost: lent\r\nX-Lent: ")
    s.setblocking(False)
    lents.append(s)
t_fin = time.time()
print(f"{N} slow clients opened in {t_fin-t0:.2f} s")
mes = [sante() for _ in range(20)]
print(f"/sante with {N} slow clients: median {statistics.median(m for m,_ in mes):.2f} ms, max {max(m for m,_ in mes):.2f} ms, all 200: {all(ok for _,ok in mes)}")
time.sleep(max(0, 5 + 2 - (time.time() - t_fin)))
fermees = 0
for s in lents:
    try:
        d = s.recv(4096)
        if d == b"" or d: fermees += 1 if d == b"" else 0
        if d:  # an answer before closing: read to the end
            s.setblocking(True); s.settimeout(1)
            while s.recv(4096): pass
            fermees += 1
    except BlockingIOError:
        pass
    except (ConnectionResetError, OSError):
        fermees += 1
print(f"7 s after the last one opened: {fermees} of {N} slow connections closed by the server")
for s in lents: s.close()

# SIGTERM with a request in flight (body arriving slowly).
c = socket.create_connection(("127.0.0.1", PORT), timeout=20)
c.sendall(b"POST /lieux/x/signalement HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\ncategorie=")
time.sleep(0.3)
t = time.time()
srv.send_signal(signal.SIGTERM)
time.sleep(0.5)
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
    print("after SIGTERM: new connection still accepted")
except OSError as e:
    print(f"after SIGTERM: new connections refused ({e.__class__.__name__})")
c.sendall(b"xx")
r = b""
while True:
    d = c.recv(4096)
    if not d: break
    r += d
print("in-flight request answered:", r.split(b"\r\n")[0].decode())
code = srv.wait(timeout=40)
print(f"server exited with {code} {time.time()-t:.2f} s after SIGTERM")
print("server output (tail):", *srv.stdout.read().splitlines()[-4:], sep="\n  ")
