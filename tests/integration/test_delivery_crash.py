"""test_delivery_crash - delivery survives crashes and a full disk.

CrashDuringDeliveryTest: 1,000 messages to two users-table users, each body
carrying a unique token "msg-N"; while qmgr and local deliver them, qmgr,
local and local's forked children are killed with SIGKILL at random moments
(seeded). Afterwards (with `mailroom queue flush` now and then so deferred
mail is retried at once) the queue must drain, no file may be in
queue/corrupt/, and every token must have been delivered, to the right
user, at least once. Duplicates are allowed (docs/qmgr.md: "a duplicate
delivery is possible, a loss is not") and printed as "N duplicates".

DiskFullTest (root only): the Maildirs live on a 2 MB tmpfs that is filled
up; five ~100 KB messages are deferred with a disk-full reason (4.3.1),
stay in deferred/, and after the filler is removed and the queue flushed
each is delivered exactly once, byte-exact.

Every wait is bounded. Set MR_CRASH_SEED to replay another kill schedule.
"""
import os
import random
import re
import signal
import smtplib
import subprocess
import threading
import time
import unittest

import mrtest
from mrtest import wait_for

HAVE_AGENTS = all(os.path.exists(os.path.join(mrtest.LIBEXEC, d))
                  for d in ("qmgr", "local"))

TOKEN_RE = re.compile(rb"\bmsg-(\d+)\b")


def list_files(d):
    try:
        return sorted(n for n in os.listdir(d) if not n.startswith("."))
    except FileNotFoundError:
        return []


def proc_children(pid):
    """Direct children of pid (all its threads), [] if it is gone."""
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


def proc_descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in proc_children(todo.pop()):
            if c not in out:
                out.append(c)
                todo.append(c)
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class MailTest(mrtest.InstanceTest):

    def add_user(self, name):
        self.mr.mailroom("user", "add", name, input="pw\n", check=True)
        for line in self.mr.mailroom("user", "list",
                                     check=True).stdout.splitlines():
            fields = line.split()
            if fields and fields[0] == name:
                return fields[-1]
        raise AssertionError("user %s not listed" % name)

    def queue_dir(self, state):
        return os.path.join(self.mr.dir, "queue", state)

    def queue_counts(self):
        return {s: len(list_files(self.queue_dir(s)))
                for s in ("incoming", "active", "deferred", "corrupt")}

    def queue_empty(self):
        c = self.queue_counts()
        return c["incoming"] == 0 and c["active"] == 0 and c["deferred"] == 0

    def maildir_messages(self, maildir):
        """[(file name, content)] of new/ and cur/."""
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(maildir, sub)
            for n in list_files(d):
                with open(os.path.join(d, n), "rb") as f:
                    out.append((n, f.read()))
        return out


@unittest.skipUnless(HAVE_AGENTS, "no qmgr/local in this build")
class CrashDuringDeliveryTest(MailTest):

    TOTAL = 1000
    CONNECTIONS = 4
    KILLS = 10
    KILL_PHASE_S = 60
    USERS = ("alice", "bob")

    def setUp(self):
        super().setUp()
        self.seen = set()   # local descendants we saw, for the cleanup
        self.addCleanup(self.kill_strays)

    def kill_strays(self):
        """Orphaned local children (their parent was killed) are not in
        `mailroom status`; stop those of this instance by PID."""
        for pid in self.seen:
            if mrtest.pid_alive(pid) and self.mr.dir in cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def body(self, n):
        user = self.USERS[n % len(self.USERS)]
        return user, ("From: <sender@example.org>\r\n"
                      "To: <%s@localhost>\r\n"
                      "Subject: crash test %d\r\n"
                      "\r\n"
                      "token msg-%d end\r\n"
                      "padding %s\r\n" % (user, n, n, "x" * (n % 200)))

    def inject(self, indexes, errors):
        try:
            s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30)
            try:
                for n in indexes:
                    user, msg = self.body(n)
                    s.sendmail("sender@example.org",
                               ["%s@localhost" % user], msg)
            finally:
                s.quit()
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    def delivered_count(self, maildirs):
        return sum(len(list_files(os.path.join(m, "new"))) +
                   len(list_files(os.path.join(m, "cur")))
                   for m in maildirs.values())

    def victims(self, rng):
        """(kind, pid) chosen at random among qmgr, local and local's
        descendants (connection and delivery children)."""
        status = self.mr.status()
        qmgr = [p for n, p in status if n == "qmgr"]
        local = [p for n, p in status if n == "local"]
        kids = [c for p in local for c in proc_descendants(p)]
        self.seen.update(kids)
        self.mr.remember_pids()
        choices = [k for k, pids in (("qmgr", qmgr), ("local", local),
                                     ("local-child", kids)) if pids]
        if not choices:
            return None
        kind = rng.choice(choices)
        pids = {"qmgr": qmgr, "local": local, "local-child": kids}[kind]
        return kind, rng.choice(pids)

    def test_kill_qmgr_and_local_during_1000_deliveries(self):
        seed = int(os.environ.get("MR_CRASH_SEED", "20240611"))
        rng = random.Random(seed)
        maildirs = {u: self.add_user(u) for u in self.USERS}
        self.mr.start()

        errors = []
        chunks = [list(range(i, self.TOTAL, self.CONNECTIONS))
                  for i in range(self.CONNECTIONS)]
        threads = [threading.Thread(target=self.inject, args=(c, errors),
                                    daemon=True) for c in chunks]
        t0 = time.monotonic()
        for t in threads:
            t.start()

        # Kill moments: when the number of delivered files passes one of
        # KILLS random thresholds, after a random extra delay.
        thresholds = sorted(rng.sample(range(10, int(self.TOTAL * 0.9)),
                                       self.KILLS))
        # The whole kill phase is bounded (master throttles restarts of a
        # daemon that keeps crashing, up to 60 s: docs/master.md).
        kills = []
        kill_deadline = t0 + self.KILL_PHASE_S
        for th in thresholds:
            left = kill_deadline - time.monotonic()
            if left <= 0:
                break
            try:
                wait_for(lambda: self.delivered_count(maildirs) >= th,
                         timeout=left, what="%d deliveries" % th)
            except AssertionError:
                pass    # a stall is caught by the final wait below
            time.sleep(rng.uniform(0, 0.3))
            v = None
            left = kill_deadline - time.monotonic()
            if left > 0:
                try:
                    v = wait_for(lambda: self.victims(rng), timeout=left,
                                 what="a qmgr or local process")
                except AssertionError:
                    pass
            if v is None:
                continue
            kind, pid = v
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            kills.append((round(time.monotonic() - t0, 2), kind, pid,
                          self.delivered_count(maildirs)))

        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads),
                         "injection did not finish in 120 s")
        self.assertEqual(errors, [], "SMTP injection failed")
        injected_s = time.monotonic() - t0

        # Drain: flush every few seconds so deferred mail is retried now.
        deadline = time.monotonic() + 120
        last_flush = 0.0
        while time.monotonic() < deadline:
            self.mr.remember_pids()
            if self.queue_empty() and \
                    self.delivered_count(maildirs) >= self.TOTAL:
                break
            if time.monotonic() - last_flush > 3:
                self.mr.mailroom("queue", "flush")
                last_flush = time.monotonic()
            time.sleep(0.2)
        drained_s = time.monotonic() - t0
        counts = self.queue_counts()

        # Count tokens.
        per_token = {}
        misrouted = []
        no_token = []
        for user, md in maildirs.items():
            for name, data in self.maildir_messages(md):
                m = TOKEN_RE.search(data)
                if not m:
                    no_token.append(name)
                    continue
                n = int(m.group(1))
                per_token[n] = per_token.get(n, 0) + 1
                if self.USERS[n % len(self.USERS)] != user:
                    misrouted.append((n, user))
        lost = sorted(set(range(self.TOTAL)) - set(per_token))
        dups = sum(c - 1 for c in per_token.values() if c > 1)
        tmp_debris = sum(len(list_files(os.path.join(m, "tmp")))
                         for m in maildirs.values())
        log = self.mr.log()
        print("\nseed %d, %d kills: %s" % (seed, len(kills), kills))
        print("injected in %.1f s, drained after %.1f s; queue %s; "
              "Maildir tmp/ debris %d; %d deferred log lines" % (
                  injected_s, drained_s, counts, tmp_debris,
                  log.count("status=deferred")))
        print("%d messages, %d delivered, %d lost, %d duplicates" % (
            self.TOTAL, sum(per_token.values()), len(lost), dups))

        self.assertGreaterEqual(len(kills), self.KILLS // 2,
                                "too few kills happened")
        self.assertEqual(counts["corrupt"], 0,
                         "files in queue/corrupt: %s"
                         % list_files(self.queue_dir("corrupt")))
        self.assertEqual(lost, [], "lost messages (first 20 shown): %s"
                         % lost[:20])
        self.assertEqual(no_token, [], "delivered files without a token")
        self.assertEqual(misrouted, [], "messages in the wrong Maildir")
        self.assertTrue(self.queue_empty(),
                        "queue not empty after 120 s: %s" % counts)


@unittest.skipUnless(HAVE_AGENTS, "no qmgr/local in this build")
@unittest.skipUnless(os.geteuid() == 0, "needs root to mount a tmpfs")
class DiskFullTest(MailTest):

    SIZE = 100 * 1024
    COUNT = 5

    def setUp(self):
        super().setUp()
        self.mail = os.path.join(self.mr.dir, "mail")
        os.makedirs(self.mail, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m",
                            "tmpfs", self.mail], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs: " + r.stderr.strip())
        # Runs before mr.cleanup (LIFO): stop the instance, then unmount,
        # so nothing holds the file system and rmtree finds a plain dir.
        self.addCleanup(self.unmount)

    def unmount(self):
        try:
            self.mr.stop()
            self.mr.remember_pids()
            for pid in self.mr.pids:
                if mrtest.pid_alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        finally:
            r = subprocess.run(["umount", self.mail], capture_output=True,
                               timeout=30)
            if r.returncode != 0:
                subprocess.run(["umount", "-l", self.mail],
                               capture_output=True, timeout=30)

    def fill(self, path, leave):
        """Fill the file system of path up, then give back `leave` bytes."""
        with open(path, "wb") as f:
            chunk = b"\0" * 65536
            try:
                while True:
                    f.write(chunk)
                    f.flush()
            except OSError:
                pass
            f.seek(0, os.SEEK_END)
            size = f.tell()
        try:
            os.truncate(path, max(0, size - leave))
        except OSError:
            pass
        st = os.statvfs(path)
        return st.f_bavail * st.f_frsize

    def message(self, n):
        headers = ("From: <sender@example.org>\n"
                   "To: <alice@localhost>\n"
                   "Subject: disk full %d\n"
                   "Message-ID: <diskfull-%d@example.org>\n" % (n, n))
        rng = random.Random(n)
        lines = ["token msg-%d" % n, ".a line starting with a dot"]
        size = len(headers) + 1
        while size < self.SIZE:
            line = "%d-%d " % (n, len(lines)) + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ")
                for _ in range(rng.randint(0, 900)))
            lines.append(line.rstrip())
            size += len(lines[-1]) + 1
        body = "\n".join(lines) + "\n"
        return headers.encode(), body.encode()

    def test_disk_full_defers_then_delivers_exactly_once(self):
        maildir = self.add_user("alice")
        self.assertTrue(maildir.startswith(self.mail + "/"), maildir)
        self.mr.start()
        filler = os.path.join(self.mail, "filler")
        free = self.fill(filler, leave=16 * 1024)
        self.assertLess(free, self.SIZE // 2, "tmpfs not full enough")

        msgs = [self.message(n) for n in range(self.COUNT)]
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30)
        try:
            for h, b in msgs:
                wire = (h + b"\n" + b).replace(b"\n", b"\r\n")
                s.sendmail("sender@example.org", ["alice@localhost"], wire)
        finally:
            s.quit()

        deferred = self.queue_dir("deferred")
        wait_for(lambda: len(list_files(deferred)) == self.COUNT,
                 timeout=60, what="%d deferred files" % self.COUNT)
        ids = list_files(deferred)
        log = self.mr.log()
        for qid in ids:
            lines = [l for l in log.splitlines()
                     if "%s: to=<alice@localhost>" % qid in l]
            self.assertTrue(lines, "no delivery log line for " + qid)
            self.assertIn("dsn=4.3.1, status=deferred (", lines[-1])
            self.assertIn("No space left on device", lines[-1])
        print("\n" + lines[-1].split(": ", 1)[-1])
        self.assertEqual(self.maildir_messages(maildir), [])
        self.assertEqual(list_files(os.path.join(maildir, "tmp")), [],
                         "partial files left in Maildir/tmp")
        self.assertEqual(self.queue_counts()["active"], 0)

        os.unlink(filler)
        self.mr.mailroom("queue", "flush", check=True)
        wait_for(lambda: self.queue_empty() and
                 len(self.maildir_messages(maildir)) >= self.COUNT,
                 timeout=60, what="delivery after the flush")
        for qid in ids:
            self.mr.wait_log("%s: removed" % qid)
        time.sleep(1)   # room for a (wrong) second delivery to show up
        got = self.maildir_messages(maildir)
        self.assertEqual(len(got), self.COUNT,
                         "expected each message exactly once")
        bodies = {}
        for name, data in got:
            head, sep, body = data.partition(b"\n\n")
            self.assertTrue(sep, "no header/body separator in " + name)
            m = TOKEN_RE.search(body)
            self.assertIsNotNone(m, "no token in " + name)
            n = int(m.group(1))
            self.assertNotIn(n, bodies, "message %d delivered twice" % n)
            bodies[n] = (head, body)
        for n, (h, b) in enumerate(msgs):
            head, body = bodies[n]
            self.assertTrue(head.endswith(h.rstrip(b"\n")),
                            "headers of message %d changed" % n)
            self.assertTrue(head.startswith(
                b"Return-Path: <sender@example.org>\n"
                b"Delivered-To: alice@localhost\n"), head[:200])
            self.assertEqual(body, b, "body of message %d differs" % n)
        self.assertEqual(self.queue_counts()["corrupt"], 0)


if __name__ == "__main__":
    unittest.main()
