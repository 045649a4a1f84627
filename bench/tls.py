#!/usr/bin/env python3
"""tls.py [CONNECTIONS] [IDLE_SESSIONS] - what TLS costs smtpd.

Starts an instance and measures, one client at a time (so the figures are
latencies, not capacity):
  - port 25 sessions (greeting, EHLO, QUIT) in plaintext and with STARTTLS;
  - smtps sessions (greeting, QUIT) with a full TLS 1.3 handshake and with
    a resumed one (session ticket);
  - messages over submission (STARTTLS, AUTH PLAIN, 4 KB message) with one
    session per message and with one session for all;
and the RSS/PSS of the instance while IDLE_SESSIONS smtps sessions
(greeted, idle) are open, against as many plaintext ones. The client is
Python: its own CPU is part of every figure.
"""
import os
import resource
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from benchlib import MAILROOM, memory, timed

MESSAGE = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 52


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    idle = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (max(soft, min(hard, 65536)), hard))
    d = tempfile.mkdtemp(prefix="mr-bench-tls.")
    os.chmod(d, 0o755)
    base = 43000 + os.getpid() % 50 * 100
    pids = []
    try:
        subprocess.run([MAILROOM, "-c", d, "init", "--base-port", str(base)],
                       check=True, capture_output=True)
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write("myhostname = mx.bench.example\n"
                    "smtpd_client_connection_count_limit = 0\n"
                    "maillog_file =\n")
        subprocess.run([MAILROOM, "-c", d, "user", "add", "alice"],
                       input="bench pw\n", text=True, check=True,
                       capture_output=True)
        subprocess.run([MAILROOM, "-c", d, "start"], check=True,
                       capture_output=True)
        st = subprocess.run([MAILROOM, "-c", d, "status"], check=True,
                            capture_output=True, text=True).stdout
        pids = [int(line.split()[1]) for line in st.splitlines()]
        run(base, d, n, idle, pids)
    finally:
        subprocess.run([MAILROOM, "-c", d, "stop"], capture_output=True)
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(d, ignore_errors=True)


def run(base, d, n, idle, pids):
    ctx = ssl.create_default_context(
        cafile=os.path.join(d, "tls", "cert.pem"))
    ctx.check_hostname = False
    smtp, sub, smtps = base + 25, base + 587, base + 465

    def plain_session():
        s = smtplib.SMTP("127.0.0.1", smtp, timeout=30)
        s.ehlo()
        s.quit()

    def starttls_session():
        s = smtplib.SMTP("127.0.0.1", smtp, timeout=30)
        s.starttls(context=ctx)
        s.ehlo()
        s.quit()

    state = {"session": None}

    def smtps_session(resume):
        with socket.create_connection(("127.0.0.1", smtps), 30) as raw:
            with ctx.wrap_socket(raw, server_hostname="mx.bench.example",
                                 session=state["session"] if resume
                                 else None) as s:
                s.recv(100)
                if resume and state["session"] is None:
                    state["session"] = s.session
                elif resume and not s.session_reused:
                    raise RuntimeError("session not resumed")
                s.sendall(b"QUIT\r\n")
                s.recv(100)

    timed("port 25 session, plaintext", n, plain_session)
    timed("port 25 session, STARTTLS", n, starttls_session)
    timed("smtps session, full handshake", n, lambda: smtps_session(False))
    smtps_session(True)
    timed("smtps session, resumed", n, lambda: smtps_session(True))

    def submit_one():
        s = smtplib.SMTP("127.0.0.1", sub, timeout=30)
        s.starttls(context=ctx)
        s.login("alice", "bench pw")
        s.sendmail("alice@mx.bench.example", ["alice@mx.bench.example"],
                   MESSAGE)
        s.quit()

    m = max(1, n // 4)
    timed("submission: STARTTLS+AUTH+4 KB, 1 per session", m, submit_one)
    s = smtplib.SMTP("127.0.0.1", sub, timeout=30)
    s.starttls(context=ctx)
    s.login("alice", "bench pw")
    timed("submission: 4 KB, all in one session", n,
          lambda: s.sendmail("alice@mx.bench.example",
                             ["alice@mx.bench.example"], MESSAGE))
    s.quit()

    for name, port, tls in (("plaintext", smtp, False),
                            ("smtps", smtps, True)):
        before = memory(pids)
        held = []
        for _ in range(idle):
            raw = socket.create_connection(("127.0.0.1", port), 30)
            c = ctx.wrap_socket(raw, server_hostname="x") if tls else raw
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
