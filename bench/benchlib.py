"""benchlib.py - what the bench/ scripts share: where the build is, an
instance from start to removal, the memory of a set of processes, a
timing loop, and the two TLS measurements of smtpd and pop3d (sessions on
an implicit-TLS port, the memory of idle sessions)."""
import contextlib
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("MR_BUILD_DIR", os.path.join(HERE, "..", "build"))
MAILROOM = os.path.join(BUILD, "sbin", "mailroom")


def mailroom(d, *args, **kw):
    """Run `mailroom -c d ARGS`; its output as text (an error raises)."""
    return subprocess.run([MAILROOM, "-c", d] + list(args), check=True,
                          capture_output=True, text=True, **kw)


def raise_nofile():
    """Let this process hold up to 65536 descriptors (the hard limit
    permitting): the idle benchmarks open thousands of sessions."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (max(soft, min(hard, 65536)), hard))


@contextlib.contextmanager
def instance(name, base, main_cf="", users=(), password="secret",
             prepare=None):
    """A started instance in a new temporary directory, its ports from
    base (`mailroom init --base-port`): main_cf appended to main.cf, the
    users added with password, then prepare(directory) if given. Yields
    (directory, PIDs of its processes); afterwards stops it, kills each of
    those PIDs still there and removes the directory (unless KEEP_TMP is
    set)."""
    d = tempfile.mkdtemp(prefix="mr-bench-%s." % name)
    os.chmod(d, 0o755)
    pids = []
    try:
        mailroom(d, "init", "--base-port", str(base))
        with open(os.path.join(d, "main.cf"), "a") as f:
            f.write(main_cf)
        for user in users:
            mailroom(d, "user", "add", user, input=password + "\n")
        if prepare is not None:
            prepare(d)
        mailroom(d, "start")
        pids = [int(line.split()[1])
                for line in mailroom(d, "status").stdout.splitlines()]
        yield d, pids
    finally:
        subprocess.run([MAILROOM, "-c", d, "stop"], capture_output=True,
                       timeout=120)
        for pid in pids:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        if os.environ.get("KEEP_TMP") is None:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("kept", d)


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


def time_implicit_tls(label, port, ctx, n, server_hostname=None):
    """Time n sessions (greeting, QUIT) on an implicit-TLS port with a
    full handshake, then n resumed with the ticket of one more session
    (each must be resumed)."""
    ticket = []

    def session(resume):
        with socket.create_connection(("127.0.0.1", port), 30) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_hostname,
                                 session=ticket[0] if resume and ticket
                                 else None) as s:
                s.recv(100)
                if resume and not ticket:
                    ticket.append(s.session)
                elif resume and not s.session_reused:
                    raise RuntimeError("session not resumed")
                s.sendall(b"QUIT\r\n")
                s.recv(100)

    timed("%s session, full handshake" % label, n, lambda: session(False))
    session(True)
    timed("%s session, resumed" % label, n, lambda: session(True))


def idle_memory(pids, ctx, sessions, server_hostname=None):
    """For each (name, port, tls, count) in sessions: open count idle
    connections and read their greetings (over TLS with ctx where tls is
    true), print the PSS each adds to pids, close them."""
    for name, port, tls, count in sessions:
        before = memory(pids)
        held = []
        for _ in range(count):
            raw = socket.create_connection(("127.0.0.1", port), 30)
            c = (ctx.wrap_socket(raw, server_hostname=server_hostname)
                 if tls else raw)
            c.recv(100)
            held.append(c)
        rss, pss = memory(pids)
        print("%-44s %7.1f KiB PSS each (RSS +%d KiB)"
              % ("%d idle %s sessions" % (count, name),
                 (pss - before[1]) / count, rss - before[0]))
        for c in held:
            c.close()
        time.sleep(1)
