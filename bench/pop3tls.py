#!/usr/bin/env python3
"""pop3tls.py [SESSIONS] [MESSAGES] [IDLE_SESSIONS] - what TLS costs pop3d.

Starts an instance and measures, one client at a time (so the figures are
latencies, not capacity):
  - sessions (greeting, CAPA, QUIT) in plaintext, with STLS, and on pop3s
    with a full TLS 1.3 handshake and with a resumed one (session ticket);
  - RETR of MESSAGES messages of 1 MB each after one login, in plaintext
    and after STLS (MB/s);
and the RSS/PSS of the instance while IDLE_SESSIONS pop3s sessions
(greeted, idle) are open, against as many plaintext ones. The client is
Python: its own CPU is part of every figure (poplib's RETR, line by line,
is the bottleneck of the plaintext figure).
"""
import os
import poplib
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from benchlib import MAILROOM, memory, timed

PASSWORD = "bench pw"
# One message: headers and 1 MB of 78-octet lines.
MESSAGE = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 13443


def mailroom(d, *args, **kw):
    return subprocess.run([MAILROOM, "-c", d] + list(args), check=True,
                          capture_output=True, text=True, **kw)


def fill(d, count):
    """count messages straight into alice's Maildir, owned as it is."""
    maildir = mailroom(d, "user", "list").stdout.split()[-1]
    st = os.stat(maildir)
    for i in range(count):
        path = os.path.join(maildir, "new", "%d.M%dP1.bench" % (
            1700000000 + i, i))
        with open(path, "wb") as f:
            f.write(MESSAGE)
        os.chown(path, st.st_uid, st.st_gid)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    idle = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (max(soft, min(hard, 65536)), hard))
    d = tempfile.mkdtemp(prefix="mr-bench-pop3tls.")
    os.chmod(d, 0o755)
    base = 44000 + os.getpid() % 50 * 100
    pids = []
    try:
        mailroom(d, "init", "--base-port", str(base))
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("maillog_file =\n")
        mailroom(d, "user", "add", "alice", input=PASSWORD + "\n")
        fill(d, messages)
        mailroom(d, "start")
        st = mailroom(d, "status").stdout
        pids = [int(line.split()[1]) for line in st.splitlines()]
        run(base, d, n, messages, idle, pids)
    finally:
        subprocess.run([MAILROOM, "-c", d, "stop"], capture_output=True)
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(d, ignore_errors=True)


def run(base, d, n, messages, idle, pids):
    ctx = ssl.create_default_context(
        cafile=os.path.join(d, "tls", "cert.pem"))
    ctx.check_hostname = False
    pop3, pop3s = base + 110, base + 995

    def plain_session():
        p = poplib.POP3("127.0.0.1", pop3, timeout=30)
        p.capa()
        p.quit()

    def stls_session():
        p = poplib.POP3("127.0.0.1", pop3, timeout=30)
        p.stls(ctx)
        p.capa()
        p.quit()

    state = {"session": None}

    def pop3s_session(resume):
        with socket.create_connection(("127.0.0.1", pop3s), 30) as raw:
            with ctx.wrap_socket(raw, session=state["session"] if resume
                                 else None) as s:
                s.recv(100)
                if resume and state["session"] is None:
                    state["session"] = s.session
                elif resume and not s.session_reused:
                    raise RuntimeError("session not resumed")
                s.sendall(b"QUIT\r\n")
                s.recv(100)

    timed("session (CAPA, QUIT), plaintext", n, plain_session)
    timed("session (CAPA, QUIT), STLS", n, stls_session)
    timed("pop3s session, full handshake", n, lambda: pop3s_session(False))
    pop3s_session(True)
    timed("pop3s session, resumed", n, lambda: pop3s_session(True))

    for name, tls in (("plaintext", False), ("STLS", True)):
        p = poplib.POP3("127.0.0.1", pop3, timeout=60)
        if tls:
            p.stls(ctx)
        p.user("alice")
        p.pass_(PASSWORD)
        start = time.monotonic()
        octets = 0
        for i in range(1, messages + 1):
            octets += p.retr(i)[2]
        took = time.monotonic() - start
        p.quit()
        print("%-44s %7.1f MB/s (%d MB)" % (
            "RETR 1 MB messages, %s" % name, octets / took / 1e6,
            octets // 1000000))

    for name, port, tls in (("plaintext", pop3, False),
                            ("pop3s", pop3s, True)):
        before = memory(pids)
        held = []
        for _ in range(idle):
            raw = socket.create_connection(("127.0.0.1", port), 30)
            c = ctx.wrap_socket(raw) if tls else raw
            c.recv(100)
            held.append(c)
        rss, pss = memory(pids)
        print("%-44s %7.1f KiB PSS each (RSS +%d KiB)"
              % ("%d idle %s sessions" % (idle, name),
                 (pss - before[1]) / idle, rss - before[0]))
        for c in held:
            c.close()
        time.sleep(1)


if __name__ == "__main__":
    main()
