#!/usr/bin/env python3
"""A system log for a test: binds a datagram socket at PATH (the syslog
socket /dev/log, or journald's /run/systemd/journal/socket), says 'ready'
on stdout, collects every datagram until its stdin closes, then prints
each as one JSON object: {"priority": N, "ident": ..., "fields": {KEY:
[values]}}, from the syslog line's KEY="value" pairs (values as sent, the
\\" of the pair undone) or from the journal's native protocol."""
import json, os, re, select, socket, struct, sys

path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(path)
os.chmod(path, 0o666)
print("ready", flush=True)

msgs = []
while True:
    r, _, _ = select.select([s, sys.stdin], [], [])
    if s in r:
        msgs.append(s.recv(1 << 20))
    if sys.stdin in r and not sys.stdin.readline():
        break
s.setblocking(False)
while True:     # what was sent before stdin closed is queued here
    try:
        msgs.append(s.recv(1 << 20))
    except BlockingIOError:
        break


def syslog(m):
    t = m.decode("utf-8", "surrogateescape")
    h = re.match(r"^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d ([^\[:]+)\[\d+\]: (.*)$", t, re.S)
    if not h:
        return {"unparsed": t}
    fields = {}
    for k, q, plain in re.findall(r'(?:^| )([A-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))', h.group(3)):
        v = re.sub(r'\\"', '"', q) if q or not plain else plain
        fields.setdefault(k, []).append(v)
    return {"priority": int(h.group(1)) & 7, "facility": int(h.group(1)) >> 3, "ident": h.group(2),
            "lines": t.count("\n"), "fields": fields}


def journal(m):
    fields, i = {}, 0
    while i < len(m):
        nl = m.index(b"\n", i)
        line = m[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:           # KEY\n<le64 size><data>\n
            k = line
            size = struct.unpack("<Q", m[nl + 1:nl + 9])[0]
            v = m[nl + 9:nl + 9 + size]
            i = nl + 9 + size + 1
        fields.setdefault(k.decode(), []).append(v.decode("utf-8", "surrogateescape"))
    return {"priority": int(fields.get("PRIORITY", ["-1"])[0]),
            "ident": fields.get("SYSLOG_IDENTIFIER", [""])[0], "fields": fields}


for m in msgs:
    print(json.dumps(syslog(m) if mode == "syslog" else journal(m)))
