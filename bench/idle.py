#!/usr/bin/env python3
"""idle.py [SESSIONS] [HOLD_S] - memory of many idle SMTP sessions.

Starts an instance, opens SESSIONS connections (asyncio), reads each
greeting, sends EHLO, reads the reply, holds them HOLD_S seconds, and
prints how many were greeted and the RSS and PSS of the instance's
processes (from /proc/PID/smaps_rollup) while they are held.
"""
import asyncio
import os
import sys
import time

from benchlib import instance, memory, raise_nofile


async def session(port, greeted, hold):
    try:
        r, w = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), 20)
        await asyncio.wait_for(r.readline(), 20)
        w.write(b"EHLO idle.example\r\n")
        while True:
            line = await asyncio.wait_for(r.readline(), 20)
            if line[3:4] != b"-":
                break
        greeted.append(1)
        await asyncio.sleep(hold)
        w.close()
    except (OSError, asyncio.TimeoutError):
        pass


async def load(port, n, hold, pids):
    greeted = []
    tasks = [asyncio.create_task(session(port, greeted, hold))
             for _ in range(n)]
    await asyncio.sleep(min(hold / 2, 5))
    deadline = time.monotonic() + 20
    while len(greeted) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    mem = memory(pids)
    await asyncio.gather(*tasks)
    return len(greeted), mem


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    hold = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    raise_nofile()
    base = 42000 + os.getpid() % 50 * 100
    with instance("idle", base) as (d, pids):
        idle_rss, idle_pss = memory(pids)
        greeted, (rss, pss) = asyncio.run(load(base + 25, n, hold, pids))
        print("idle: %d of %d sessions greeted; instance RSS %d KiB, "
              "PSS %d KiB (%d processes; before: RSS %d KiB, PSS %d KiB); "
              "%.1f KiB PSS per session" % (
                  greeted, n, rss, pss, len(pids), idle_rss, idle_pss,
                  (pss - idle_pss) / max(greeted, 1)))


if __name__ == "__main__":
    main()
