#!/usr/bin/env python3
"""imap_idle.py [SESSIONS] [USERS] - memory of many idling IMAP sessions.

Starts an instance, makes USERS users (default 1: every session on the
same INBOX), opens SESSIONS connections (asyncio, 64 logins at a time)
that each LOGIN, SELECT INBOX and IDLE; then prints the RSS and PSS of
the imapd processes (from /proc/PID/smaps_rollup) before and while they
idle, the PSS per session, and how many sessions got the EXISTS of one
message delivered to each user through smtpd while idling.
"""
import asyncio
import os
import smtplib
import sys
import time

from benchlib import instance, mailroom, memory, raise_nofile

LOGINS_AT_ONCE = 64
STEP_TIMEOUT_S = 120


async def expect(r, prefix, timeout=STEP_TIMEOUT_S):
    while True:
        line = await asyncio.wait_for(r.readline(), timeout)
        if not line:
            raise EOFError
        if line.startswith(prefix):
            return line


async def session(port, user, gate, idling, told, failed, stop):
    try:
        async with gate:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            await expect(r, b"* OK")
            w.write(b"a LOGIN %s secret\r\n" % user.encode())
            await expect(r, b"a OK")
            w.write(b"b SELECT INBOX\r\nc IDLE\r\n")
            await expect(r, b"+ idling")
        idling.append(1)
        # Sessions idle while the others log in: wait as long as that.
        await expect(r, b"* 1 EXISTS", 1800)
        told.append(1)
        await stop.wait()
        w.write(b"DONE\r\nd LOGOUT\r\n")
        await expect(r, b"d OK")
        w.close()
    except (OSError, EOFError, asyncio.TimeoutError):
        failed.append(1)


async def load(port, n, users, pids, smtp_port, report):
    gate = asyncio.Semaphore(LOGINS_AT_ONCE)
    stop = asyncio.Event()
    idling, told, failed = [], [], []
    tasks = [asyncio.create_task(session(port, users[i % len(users)], gate,
                                         idling, told, failed, stop))
             for i in range(n)]
    deadline = time.monotonic() + 1800
    while (len(idling) + len(failed) < n and
           time.monotonic() < deadline):
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)
    report["idling"] = len(idling)
    # Processes may have been started meanwhile (one per CPU).
    pids[:] = imapd_pids(report["dir"])
    report["during"] = memory(pids)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, deliver, smtp_port, users)
    deadline = time.monotonic() + 60
    while (len(told) < len(idling) - len(failed) and
           time.monotonic() < deadline):
        await asyncio.sleep(0.2)
    report["told"] = len(told)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 300)


def imapd_pids(d):
    return [int(line.split()[1])
            for line in mailroom(d, "status").stdout.splitlines()
            if line.split()[0] == "imapd"]


def deliver(port, users):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    for u in users:
        s.sendmail("bench@example.org", [u + "@localhost"],
                   b"Subject: wake up\r\n\r\nx\r\n")
    s.quit()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    nusers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    raise_nofile()
    base = 43000 + os.getpid() % 50 * 100
    users = ["idle%d" % i for i in range(nusers)]
    with instance("imapidle", base, users=users) as (d, _):
        time.sleep(2)
        imapd = imapd_pids(d)
        report = {"before": memory(imapd), "dir": d}
        before_count = len(imapd)
        t0 = time.monotonic()
        asyncio.run(load(base + 143, n, users, imapd, base + 25, report))
        (rss0, pss0), (rss, pss) = report["before"], report["during"]
        # The baseline of processes started meanwhile: like the others.
        rss0 = rss0 * len(imapd) // max(before_count, 1)
        pss0 = pss0 * len(imapd) // max(before_count, 1)
        print("imap idle: %d of %d sessions idling (%d users, %d imapd "
              "processes, set up in %.0f s); imapd RSS %d KiB, PSS %d KiB "
              "(before: RSS %d KiB, PSS %d KiB); %.1f KiB PSS per session; "
              "%d sessions told of new mail" % (
                  report["idling"], n, nusers, len(imapd),
                  time.monotonic() - t0, rss, pss, rss0, pss0,
                  (pss - pss0) / max(report["idling"], 1), report["told"]))


if __name__ == "__main__":
    main()
