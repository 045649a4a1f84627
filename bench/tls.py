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
import smtplib
import ssl
import sys

from benchlib import (idle_memory, instance, raise_nofile, time_implicit_tls,
                      timed)

MESSAGE = b"Subject: bench\r\n\r\n" + (b"x" * 76 + b"\r\n") * 52


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    idle = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    raise_nofile()
    base = 43000 + os.getpid() % 50 * 100
    with instance("tls", base,
                  main_cf="myhostname = mx.bench.example\n"
                          "smtpd_client_connection_count_limit = 0\n"
                          "maillog_file =\n",
                  users=["alice"], password="bench pw") as (d, pids):
        run(base, d, n, idle, pids)


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

    timed("port 25 session, plaintext", n, plain_session)
    timed("port 25 session, STARTTLS", n, starttls_session)
    time_implicit_tls("smtps", smtps, ctx, n, "mx.bench.example")

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

    idle_memory(pids, ctx, (("plaintext", smtp, False, idle),
                            ("smtps", smtps, True, idle)), "x")


if __name__ == "__main__":
    main()
