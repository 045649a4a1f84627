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
import ssl
import sys
import time

from benchlib import (idle_memory, instance, mailroom, raise_nofile,
                      time_implicit_tls, timed)

PASSWORD = "bench pw"
# One message: headers and 1 MB of 78-octet lines.
MESSAGE = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 13443


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
    raise_nofile()
    base = 44000 + os.getpid() % 50 * 100
    with instance("pop3tls", base, main_cf="maillog_file =\n",
                  users=["alice"], password=PASSWORD,
                  prepare=lambda d: fill(d, messages)) as (d, pids):
        run(base, d, n, messages, idle, pids)


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

    timed("session (CAPA, QUIT), plaintext", n, plain_session)
    timed("session (CAPA, QUIT), STLS", n, stls_session)
    time_implicit_tls("pop3s", pop3s, ctx, n)

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

    idle_memory(pids, ctx, (("plaintext", pop3, False, idle),
                            ("pop3s", pop3s, True, idle)))


if __name__ == "__main__":
    main()
