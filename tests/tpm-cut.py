#!/usr/bin/env python3
"""A TPM that goes away in the middle of a command sequence, for fault tests.

    tpm-cut.py LISTEN_PORT SWTPM_PORT CUT COUNT_FILE

Listens on 127.0.0.1:LISTEN_PORT (commands) and LISTEN_PORT+1 (control) and
forwards to swtpm on SWTPM_PORT and SWTPM_PORT+1. Commands are counted over
all connections (a TPM command is a 10-byte header whose bytes 2..5 are its
size); when command number CUT+1 arrives, it is not forwarded: every
connection is closed and no new one accepted, as when the TPM is pulled out.
CUT 0 never cuts. The number of commands forwarded is written to COUNT_FILE
whenever it changes. Prints "ready" when listening.
"""
import os
import socket
import struct
import sys
import threading

listen_port, swtpm_port, cut = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
count_file = sys.argv[4]
lock = threading.Lock()
state = {"count": 0, "dead": False}
conns = []


def kill_all():
    state["dead"] = True
    for c in list(conns):
        try:
            c.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        c.close()


def write_count():
    tmp = count_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % state["count"])
    os.replace(tmp, count_file)


def pump(src, dst, commands):
    buf = b""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if not commands:
                dst.sendall(data)
                continue
            buf += data
            while len(buf) >= 10:
                size = struct.unpack(">I", buf[2:6])[0]
                if size < 10 or len(buf) < size:
                    break
                with lock:
                    if state["dead"] or (cut and state["count"] >= cut):
                        kill_all()
                        return
                    state["count"] += 1
                    write_count()
                dst.sendall(buf[:size])
                buf = buf[size:]
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def listener(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    return ls


def serve(ls, upstream, commands):
    while True:
        c, _ = ls.accept()
        if state["dead"]:
            c.close()
            continue
        u = socket.create_connection(("127.0.0.1", upstream))
        conns.extend([c, u])
        threading.Thread(target=pump, args=(c, u, commands), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, False), daemon=True).start()


write_count()
ctrl, cmd = listener(listen_port + 1), listener(listen_port)
threading.Thread(target=serve, args=(ctrl, swtpm_port + 1, False), daemon=True).start()
threading.Thread(target=serve, args=(cmd, swtpm_port, True), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
