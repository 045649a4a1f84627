"""test_local - the local delivery agent, driven the way qmgr drives it.

Mail is injected with smtplib (it lands in queue/active); the test then
plays qmgr itself: it connects to DIR/queue/private/local, sends an
IPC_DELIVER_REQUEST (ipcclient.py) and checks the IPC_DELIVER_RESULT, the
delivered files byte for byte, and the log lines. No qmgr is involved:
the instance's master.cf is cut down to smtpd and local.

Tests that need root (system users, per-user ownership) are skipped
without it.
"""
import fcntl
import glob
import os
import pwd
import re
import smtplib
import subprocess
import time
import unittest

import ipcclient
import mrtest

IS_ROOT = os.geteuid() == 0

LOG_RE = re.compile(
    r"local\[\d+\]: (?P<id>\w+): to=<(?P<to>[^>]*)>(, orig_to=<(?P<orig>"
    r"[^>]*)>)?, relay=local, delay=(?P<delay>[0-9.]+), "
    r"delays=0/0/0/(?P<d>[0-9.]+), dsn=(?P<dsn>\d\.\d+\.\d+), "
    r"status=(?P<status>sent|deferred|bounced) \((?P<text>.*)\)$")


class LocalTest(mrtest.InstanceTest):

    def setUp(self):
        super().setUp()
        if not os.path.exists(os.path.join(mrtest.LIBEXEC, "local")):
            self.skipTest("no local binary")
        # Only smtpd and local: nothing else may touch active/.
        mcf = os.path.join(self.mr.dir, "master.cf")
        with open(mcf) as f:
            lines = [ln for ln in f if ln.startswith("#") or
                     ln.split()[-1] in ("smtpd", "local")]
        with open(mcf, "w") as f:
            f.writelines(lines)
        # Let smtpd accept unknown users so that local bounces them.
        self.mr.configure(local_recipient_maps="")
        self.sender = "sender@example.org"

    def start(self):
        self.mr.start()
        self.sock = os.path.join(self.mr.dir, "queue", "private", "local")
        mrtest.wait_for(lambda: os.path.exists(self.sock),
                        what="local socket")

    def aliases(self, text):
        path = os.path.join(self.mr.dir, "aliases")
        with open(path, "w") as f:
            f.write(text)
        self.mr.mailroom("map", "build", "-a", "hash:" + path, check=True)

    def add_user(self, name):
        self.mr.mailroom("user", "add", name, input="pw\n", check=True)
        return os.path.join(self.mr.dir, "mail", name, "Maildir")

    def inject(self, rcpts, body=b"Subject: hi\r\n\r\nhello\r\n"):
        """Send one message; return its queue ID."""
        before = set(os.listdir(os.path.join(self.mr.dir, "queue",
                                             "active")))
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=20)
        s.sendmail(self.sender, rcpts, body)
        s.quit()
        after = set(os.listdir(os.path.join(self.mr.dir, "queue",
                                            "active")))
        (qid,) = after - before
        return qid

    def deliver(self, qid, indexes, timeout=30):
        c = ipcclient.AgentClient(self.sock, timeout=timeout)
        try:
            return c.deliver(qid, indexes)
        finally:
            c.close()

    def log_lines(self, qid):
        return [m for m in (LOG_RE.search(ln)
                            for ln in self.mr.log().splitlines())
                if m and m.group("id") == qid]

    def maildir_files(self, maildir):
        return sorted(glob.glob(os.path.join(maildir, "new", "*")))

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    # ---- users table ----

    def test_users_table_maildir(self):
        md = self.add_user("alice")
        self.start()
        host = self.mr.mailroom("config", "myhostname").stdout.split(
            " = ")[1].strip()
        qid = self.inject(["alice@" + host],
                          b"Subject: hi\r\n\r\nline 1\r\nline 2\r\n")
        res = self.deliver(qid, [0])
        self.assertEqual(res, [{"index": 0, "status": "sent",
                                "dsn": "2.0.0",
                                "text": "delivered to maildir",
                                "relay": "local"}])
        (path,) = self.maildir_files(md)
        data = self.read(path)
        head = ("Return-Path: <sender@example.org>\n"
                "Delivered-To: alice@%s\n" % host).encode()
        self.assertTrue(data.startswith(head + b"Received: "), data)
        self.assertTrue(data.endswith(b"\nSubject: hi\n\nline 1\nline 2\n"),
                        data)
        self.assertNotIn(b"\r", data)
        self.assertTrue(path.endswith(",S=%d" % len(data)), path)
        (m,) = self.log_lines(qid)
        self.assertEqual(m.group("to"), "alice@" + host)
        self.assertIsNone(m.group("orig"))
        self.assertEqual((m.group("dsn"), m.group("status"),
                          m.group("text")),
                         ("2.0.0", "sent", "delivered to maildir"))
        self.assertEqual(m.group("delay"), m.group("d"))

    def test_unknown_user_bounces(self):
        self.start()
        qid = self.inject(["nosuchuser@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"]), ("bounced", "5.1.1"))
        self.assertIn('unknown user: "nosuchuser"', r["text"])
        (m,) = self.log_lines(qid)
        self.assertEqual(m.group("status"), "bounced")

    def test_not_local_domain(self):
        self.mr.configure(relay_domains="example.net")
        self.start()
        qid = self.inject(["x@example.net"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"], r["text"]),
                         ("bounced", "5.1.2", "not a local domain"))

    def test_index_out_of_range_closes(self):
        self.add_user("alice")
        self.start()
        qid = self.inject(["alice@localhost"])
        with self.assertRaises(EOFError):
            self.deliver(qid, [0, 1])
        self.mr.wait_log("recipient index 1 out of range (1 recipients)")
        # The daemon survives: the next connection works.
        (r,) = self.deliver(qid, [0])
        self.assertEqual(r["status"], "sent")

    def test_malformed_frame_closes(self):
        self.start()
        c = ipcclient.AgentClient(self.sock)
        c.sock.sendall(ipcclient.frame(ipcclient.IPC_DELIVER_REQUEST, 1,
                                       ipcclient.attr(99, b"x")))
        self.assertEqual(ipcclient.recv_frame(c.sock), b"")
        c.close()
        self.mr.wait_log("malformed delivery request from pid=")

    # ---- aliases ----

    def test_alias_to_two_users(self):
        a = self.add_user("alice")
        b = self.add_user("bob")
        self.aliases("team: alice, bob\n")
        self.start()
        qid = self.inject(["team@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"]), ("sent", "2.0.0"))
        for md, name in ((a, "alice"), (b, "bob")):
            (path,) = self.maildir_files(md)
            self.assertTrue(self.read(path).startswith(
                b"Return-Path: <sender@example.org>\n"
                b"Delivered-To: " + name.encode() + b"@localhost\n"))
        lines = self.log_lines(qid)
        self.assertEqual(sorted((m.group("to"), m.group("orig"))
                                for m in lines),
                         [("alice@localhost", "team@localhost"),
                          ("bob@localhost", "team@localhost")])

    def test_alias_loop(self):
        # docs/aliases.md: a name already being expanded is final, so
        # a: b, b: a delivers to a's mailbox.
        a = self.add_user("a")
        self.add_user("b")
        self.aliases("a: b\nb: a\n")
        self.start()
        qid = self.inject(["a@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual(r["status"], "sent")
        self.assertEqual(len(self.maildir_files(a)), 1)

    def test_delivered_to_loop(self):
        md = self.add_user("alice")
        self.start()
        qid = self.inject(["alice@localhost"],
                          b"Delivered-To: Alice@localhost\r\n"
                          b"Subject: loop\r\n\r\nbody\r\n")
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"], r["text"]),
                         ("bounced", "5.4.6",
                          "mail forwarding loop for alice@localhost"))
        self.assertEqual(self.maildir_files(md), [])
        # Only the header block counts.
        qid = self.inject(["alice@localhost"],
                          b"Subject: x\r\n\r\nDelivered-To: "
                          b"alice@localhost\r\n")
        (r,) = self.deliver(qid, [0])
        self.assertEqual(r["status"], "sent")

    def test_alias_to_remote_requeues(self):
        self.aliases("fwd: someone@example.net\n")
        self.start()
        qid = self.inject(["fwd@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"]), ("sent", "2.0.0"))
        m = re.match(r"forwarded as (\w+)$", r["text"])
        self.assertTrue(m, r["text"])
        q = mrtest.queued(self.mr)[m.group(1)]
        self.assertEqual(q["sender"], "sender@example.org")
        self.assertEqual(q["rcpts"], ["someone@example.net"])
        self.assertTrue(q["content"].startswith(
            b"Delivered-To: fwd@localhost\r\nReceived: "), q["content"])

    def test_alias_command(self):
        out = os.path.join(self.mr.dir, "cmd-out")
        if IS_ROOT:
            # Alias commands of a root-owned table run as nobody.
            os.chmod(self.mr.dir, 0o777)
        self.aliases('pipe: "|cat > %s; echo $SENDER $RECIPIENT >> %s"\n'
                     'fail: "|echo no such thing; exit 67"\n'
                     'later: "|exit 75"\n' % (out, out))
        self.start()
        qid = self.inject(["pipe@localhost", "fail@localhost",
                           "later@localhost"])
        r = self.deliver(qid, [0, 1, 2])
        self.assertEqual((r[0]["status"], r[0]["dsn"]), ("sent", "2.0.0"))
        self.assertTrue(r[0]["text"].startswith("delivered to command: "))
        data = self.read(out)
        self.assertTrue(data.startswith(
            b"Return-Path: <sender@example.org>\n"
            b"Delivered-To: pipe@localhost\n"), data)
        self.assertTrue(data.endswith(
            b"hello\nsender@example.org pipe@localhost\n"), data)
        self.assertEqual((r[1]["status"], r[1]["dsn"]), ("bounced", "5.3.0"))
        self.assertIn("status 67", r[1]["text"])
        self.assertIn("no such thing", r[1]["text"])
        self.assertEqual((r[2]["status"], r[2]["dsn"]),
                         ("deferred", "4.3.0"))

    def test_command_restricted(self):
        self.mr.configure(allow_mail_to_commands="forward")
        self.aliases('pipe: "|cat > /dev/null"\n')
        self.start()
        qid = self.inject(["pipe@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"], r["text"]),
                         ("bounced", "5.7.1",
                          "mail to command is restricted"))

    # ---- system users (root) ----

    def make_system_user(self):
        name = "mrtl%d" % (os.getpid() % 100000)
        home = os.path.join(self.mr.dir, "home", name)
        os.makedirs(os.path.dirname(home), exist_ok=True)
        try:
            pwd.getpwnam(name)
            self.skipTest("user %s exists" % name)
        except KeyError:
            pass
        subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/sh",
                        "-U", name], check=True, capture_output=True)
        self.addCleanup(subprocess.run, ["userdel", name],
                        capture_output=True)
        pw = pwd.getpwnam(name)
        os.mkdir(home, 0o755)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        return name, home, pw

    @unittest.skipUnless(IS_ROOT, "needs root")
    def test_system_user_maildir(self):
        name, home, pw = self.make_system_user()
        self.start()
        qid = self.inject([name + "@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual(r["status"], "sent", r)
        self.assertEqual(r["text"], "delivered to maildir")
        (path,) = self.maildir_files(os.path.join(home, "Maildir"))
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid), (pw.pw_uid, pw.pw_gid))

    @unittest.skipUnless(IS_ROOT, "needs root")
    def test_system_user_forward(self):
        name, home, pw = self.make_system_user()
        md = self.add_user("alice")
        fwd = os.path.join(home, ".forward")
        with open(fwd, "w") as f:
            f.write("alice\n\\%s\n" % name)
        os.chown(fwd, pw.pw_uid, pw.pw_gid)
        self.start()
        qid = self.inject([name + "@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual(r["status"], "sent", r)
        self.assertEqual(len(self.maildir_files(md)), 1)
        self.assertEqual(len(self.maildir_files(
            os.path.join(home, "Maildir"))), 1)

    @unittest.skipUnless(IS_ROOT, "needs root")
    def test_mbox_locked_then_ok(self):
        name, home, pw = self.make_system_user()
        self.mr.configure(home_mailbox="Mailbox")
        mbox = os.path.join(home, "Mailbox")
        with open(mbox, "w"):
            pass
        os.chown(mbox, pw.pw_uid, pw.pw_gid)
        os.chmod(mbox, 0o600)
        self.start()
        qid = self.inject([name + "@localhost"])
        with open(mbox, "r+") as held:
            fcntl.lockf(held, fcntl.LOCK_EX)
            (r,) = self.deliver(qid, [0], timeout=60)
        self.assertEqual((r["status"], r["dsn"]), ("deferred", "4.2.0"), r)
        self.assertEqual(os.path.getsize(mbox), 0)
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["text"]),
                         ("sent", "delivered to mailbox"))
        data = self.read(mbox)
        self.assertTrue(data.startswith(b"From sender@example.org "), data)
        self.assertIn(b"\nReturn-Path: <sender@example.org>\n"
                      b"Delivered-To: %s@localhost\n" % name.encode(), data)
        self.assertTrue(data.endswith(b"\nhello\n\n"), data)
        st = os.stat(mbox)
        self.assertEqual(st.st_uid, pw.pw_uid)

    @unittest.skipIf(IS_ROOT, "non-root instance only")
    def test_nonroot_other_system_user(self):
        self.start()
        qid = self.inject(["root@localhost"])
        (r,) = self.deliver(qid, [0])
        self.assertEqual((r["status"], r["dsn"]), ("bounced", "5.1.1"))
        self.assertIn("non-root instance", r["text"])


if __name__ == "__main__":
    unittest.main()
