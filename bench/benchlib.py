"""benchlib.py - what the bench/ scripts share: where the build is, the
memory of a set of processes, and a timing loop."""
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MR_BUILD_DIR", os.path.join(HERE, "..", "build"))
MAILROOM = os.path.join(BUILD, "sbin", "mailroom")


def memory(pids):
    """(RSS, PSS) in KiB summed over pids, from /proc/PID/smaps_rollup;
    processes that are gone count 0."""
    rss = pss = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def timed(what, n, fn):
    """Run fn n times; print the mean time of one call."""
    start = time.monotonic()
    for _ in range(n):
        fn()
    took = time.monotonic() - start
    print("%-44s %7.2f ms each (%d)" % (what, took / n * 1000, n))
