"""test_pop3d - pop3d with real clients: poplib, fetchmail and a raw
socket client, against an instance whose mail comes in through smtpd
(smtplib) and local delivery, for users made with `mailroom user add`.

One instance serves the whole class; every test uses its own user, so the
tests do not see each other's mail. The expected server lines are written
out in full.
"""
import base64
import os
import poplib
import re
import smtplib
import socket
import unittest

import mrtest
from pop3client import FETCHMAIL, Raw, fetchmail

READ_TIMEOUT_S = 30

AUTH_FAILED = b"-ERR [AUTH] Authentication failed."
CAPA = [b"+OK Capability list follows", b"CAPA", b"TOP", b"UIDL",
        b"RESP-CODES", b"AUTH-RESP-CODE", b"PIPELINING", b"STLS", b"USER",
        b"SASL PLAIN", b"IMPLEMENTATION mailroom", b"."]


def network_form(data):
    """A stored message as RETR sends it: bare LF to CR LF, dot-stuffed,
    a last line closed, then the terminator."""
    data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
    lines = data.split(b"\r\n")
    if lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + ln if ln.startswith(b".") else ln) + b"\r\n"
                    for ln in lines) + b".\r\n"


def vsize(data):
    """Octets with CR LF line ends (what LIST reports)."""
    return len(re.sub(rb"(?<!\r)\n", b"\r\n", data))


class Pop3Test(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(mrtest.LIBEXEC, "pop3d")):
            raise unittest.SkipTest("no pop3d binary")
        cls.mr = mrtest.Instance()
        try:
            cls.mr.start()
        except BaseException:
            cls.mr.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.mr.cleanup()

    # ---- helpers ----

    def add_user(self, name, password="secret"):
        self.mr.mailroom("user", "add", name, input=password + "\n",
                         check=True)
        return os.path.join(self.mr.dir, "mail", name, "Maildir")

    def files(self, maildir):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(maildir, sub)
            out += sorted((os.path.join(d, n) for n in os.listdir(d)),
                          key=mrtest.maildir_arrival)
        return out

    def deliver(self, user, maildir, bodies):
        """Send each body to user through smtpd; wait for local delivery."""
        old = self.files(maildir)
        before = len(old)
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30)
        for body in bodies:
            s.sendmail("sender@example.org", [user + "@localhost"], body)
        s.quit()
        mrtest.wait_for(lambda: len(self.files(maildir)) ==
                        before + len(bodies), 60, "delivery")
        # Arrival order: the name's seconds, then its microseconds.
        return sorted(set(self.files(maildir)) - set(old),
                      key=mrtest.maildir_arrival)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def raw(self, login=None, password="secret"):
        c = Raw(self.mr.port("pop3"))
        self.addCleanup(c.close)
        self.assertEqual(c.line(), b"+OK mailroom ready.")
        if login is not None:
            self.assertEqual(c.cmd(b"USER " + login.encode()), b"+OK")
            self.assertEqual(c.cmd(b"PASS " + password.encode()),
                             b"+OK Logged in.")
        return c

    def poplib(self, user, password="secret"):
        p = poplib.POP3("127.0.0.1", self.mr.port("pop3"),
                        timeout=READ_TIMEOUT_S)
        self.addCleanup(p.close)
        p.user(user)
        p.pass_(password)
        return p

    # ---- tests ----

    def test_greeting_capa_and_states(self):
        c = self.raw()
        c.send(b"CAPA\r\n")
        self.assertEqual([c.line() for _ in CAPA], CAPA)
        # TRANSACTION commands before login.
        for verb in (b"STAT", b"LIST", b"RETR 1", b"DELE 1", b"NOOP",
                     b"RSET", b"TOP 1 1", b"UIDL"):
            name = verb.split()[0]
            self.assertEqual(c.cmd(verb),
                             b"-ERR " + name + b" not allowed in this "
                             b"state.")
        self.assertEqual(c.cmd(b"PASS x"), b"-ERR No username given.")
        self.assertEqual(c.cmd(b"FROB"), b"-ERR Unknown command.")
        # Arguments are checked before the state.
        self.assertEqual(c.cmd(b"RETR"), b"-ERR Invalid arguments.")
        self.assertEqual(c.cmd(b"APOP a b"), b"-ERR APOP is not supported.")
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        self.assertTrue(c.closed())

        self.add_user("stan")
        c = self.raw("stan")
        # AUTHORIZATION commands after login; bad arguments.
        self.assertEqual(c.cmd(b"USER stan"),
                         b"-ERR USER not allowed in this state.")
        self.assertEqual(c.cmd(b"PASS secret"),
                         b"-ERR PASS not allowed in this state.")
        self.assertEqual(c.cmd(b"AUTH PLAIN"),
                         b"-ERR AUTH not allowed in this state.")
        self.assertEqual(c.cmd(b"RETR x"), b"-ERR Invalid message number.")
        self.assertEqual(c.cmd(b"RETR 0"), b"-ERR Invalid message number.")
        self.assertEqual(c.cmd(b"RETR 1 2"), b"-ERR Invalid arguments.")
        self.assertEqual(c.cmd(b"RETR 1"), b"-ERR There's no message 1.")
        self.assertEqual(c.cmd(b"STAT"), b"+OK 0 0")
        self.assertEqual(c.cmd(b"noop"), b"+OK")
        self.assertEqual(c.cmd(b"STLS"),
                         b"-ERR STLS not allowed in this state.")
        c.send(b"CAPA\r\n")
        self.assertEqual([c.line() for _ in range(len(CAPA) - 3)],
                         [x for x in CAPA if not x.startswith((b"USER",
                                                               b"SASL",
                                                               b"STLS"))])
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        self.assertTrue(c.closed())

    def test_retr_top_list_exact(self):
        md = self.add_user("rita")
        big = b"".join(b"line %d of a long message\r\n" % i
                       for i in range(150000))
        bodies = [
            b"Subject: one\r\n\r\nhello\r\n.starts with a dot\r\n..two\r\n"
            b".\r\nend\r\n",
            b"Subject: big\r\n\r\n" + big + b".\r\n..\r\n",
        ]
        paths = self.deliver("rita", md, bodies)
        # A file written by another program: CR LF, bare CR, no final LF.
        odd = b"Subject: odd\r\nX: y\n\r\nbody\rcr\n.dot\nlast"
        odd_path = os.path.join(md, "cur", "1999999999.M1P1.other:2,S")
        with open(odd_path, "wb") as f:
            f.write(odd)
        st = os.stat(md)
        os.chown(odd_path, st.st_uid, st.st_gid)
        paths.append(odd_path)
        datas = [self.read(p) for p in paths]
        self.assertTrue(len(datas[1]) > 4000000)

        c = self.raw("rita")
        total = sum(vsize(d) for d in datas)
        self.assertEqual(c.cmd(b"STAT"), b"+OK 3 %d" % total)
        self.assertEqual(c.cmd(b"LIST"),
                         b"+OK 3 messages (%d octets)" % total)
        self.assertEqual(c.block(), b"".join(
            b"%d %d\r\n" % (i + 1, vsize(d)) for i, d in enumerate(datas))
            + b".\r\n")
        self.assertEqual(c.cmd(b"LIST 2"), b"+OK 2 %d" % vsize(datas[1]))
        for i, d in enumerate(datas):
            self.assertEqual(c.cmd(b"RETR %d" % (i + 1)),
                             b"+OK %d octets" % vsize(d))
            self.assertEqual(c.block(), network_form(d), "message %d" % i)
        # TOP: the headers, the empty line, n body lines.
        head, body = datas[0].split(b"\n\n", 1)
        self.assertEqual(c.cmd(b"TOP 1 2"), b"+OK")
        self.assertEqual(c.block(), network_form(
            head + b"\n\n" + b"".join(body.split(b"\n")[i] + b"\n"
                                      for i in range(2))))
        self.assertEqual(c.cmd(b"TOP 1 0"), b"+OK")
        self.assertEqual(c.block(), network_form(head + b"\n\n"))
        self.assertEqual(c.cmd(b"TOP 3 1"), b"+OK")
        self.assertEqual(c.block(), network_form(
            b"Subject: odd\r\nX: y\n\r\nbody\rcr\n"))
        self.assertEqual(c.cmd(b"TOP 3 99"), b"+OK")
        self.assertEqual(c.block(), network_form(odd))
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")

        # poplib agrees (it undoes the stuffing itself).
        p = self.poplib("rita")
        resp, lines, octets = p.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n",
                         re.sub(rb"(?<!\r)\n", b"\r\n", datas[0]))
        p.quit()
        log = self.mr.log()
        self.assertIn("pop3d[", log)
        self.assertRegex(log, r"Login: user=<rita>, method=USER, "
                         r"rip=127\.0\.0\.1, lip=127\.0\.0\.1")
        self.assertRegex(log, r"pop3\(rita\): Disconnected: Logged out "
                         r"top=4/\d+, retr=3/\d+, del=0/3, size=%d" % total)

    def test_uidl_stable(self):
        md = self.add_user("uma")
        self.deliver("uma", md, [b"Subject: a\r\n\r\na\r\n",
                                 b"Subject: b\r\n\r\nb\r\n"])
        p = self.poplib("uma")
        first = p.uidl()[1]
        self.assertEqual(len(first), 2)
        for i, line in enumerate(first):
            n, uid = line.split()
            self.assertEqual(n, b"%d" % (i + 1))
            self.assertRegex(uid.decode(), r"^[0-9A-F]{16}$")
        self.assertEqual(p.uidl(2), b"+OK " + first[1])
        p.quit()
        self.deliver("uma", md, [b"Subject: c\r\n\r\nc\r\n"])
        p = self.poplib("uma")
        second = p.uidl()[1]
        self.assertEqual(second[:2], first)
        self.assertEqual(len(second), 3)
        self.assertNotIn(second[2].split()[1],
                         [x.split()[1] for x in first])
        # Deleting the first keeps the others' ids and numbers.
        p.dele(1)
        p.quit()
        p = self.poplib("uma")
        third = p.uidl()[1]
        self.assertEqual([x.split()[1] for x in third],
                         [x.split()[1] for x in second[1:]])
        p.quit()

    def test_snapshot_and_damaged_list(self):
        md = self.add_user("sam")
        self.deliver("sam", md, [b"Subject: 1\r\n\r\none\r\n"])
        c = self.raw("sam")
        stat = c.cmd(b"STAT")
        self.assertTrue(stat.startswith(b"+OK 1 "))
        c.send(b"UIDL\r\n")
        self.assertEqual(c.line(), b"+OK")
        uidl = c.block()
        # Mail arriving during the session changes nothing in it.
        self.deliver("sam", md, [b"Subject: 2\r\n\r\ntwo\r\n"])
        self.assertEqual(c.cmd(b"STAT"), stat)
        self.assertEqual(c.cmd(b"RETR 2"), b"-ERR There's no message 2.")
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        c = self.raw("sam")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 2 "))
        c.send(b"UIDL\r\n")
        self.assertEqual(c.line(), b"+OK")
        self.assertTrue(c.block().startswith(uidl[:-3]))
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        # A damaged UID list: rebuilt with a new UIDVALIDITY and logged;
        # every message is still there, under new unique-ids.
        with open(os.path.join(md, "mailroom-uidlist"), "r+b") as f:
            f.seek(20)
            f.write(b"garbage")
        c = self.raw("sam")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 2 "))
        c.send(b"UIDL\r\n")
        self.assertEqual(c.line(), b"+OK")
        after = c.block()
        self.assertNotEqual(after.split(b"\r\n")[0], uidl.split(b"\r\n")[0])
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        self.assertRegex(self.mr.log(), r"warning: .*/sam/Maildir: folder "
                         r"INBOX: damaged UID list \(line 2: bad "
                         r"UIDVALIDITY record\); rebuilt with UIDVALIDITY "
                         r"\d+")

    def test_dele_rset_quit_and_drop(self):
        md = self.add_user("dora")
        self.deliver("dora", md, [b"Subject: %d\r\n\r\nx\r\n" % i
                                  for i in range(3)])
        c = self.raw("dora")
        self.assertEqual(c.cmd(b"DELE 2"), b"+OK Marked to be deleted.")
        self.assertEqual(c.cmd(b"DELE 2"), b"-ERR Message is deleted.")
        self.assertEqual(c.cmd(b"RETR 2"), b"-ERR Message is deleted.")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 2 "))
        c.send(b"LIST\r\n")
        self.assertTrue(c.line().startswith(b"+OK 2 messages"))
        self.assertEqual([ln.split()[0] for ln in
                          c.block().split(b"\r\n")[:-2]], [b"1", b"3"])
        self.assertEqual(c.cmd(b"RSET"), b"+OK")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 3 "))
        self.assertEqual(c.cmd(b"DELE 1"), b"+OK Marked to be deleted.")
        # The connection drops: nothing is deleted, the lock is freed.
        c.sock.shutdown(socket.SHUT_RDWR)
        c.close()
        mrtest.wait_for(lambda: "pop3(dora): Disconnected: Connection "
                        "closed" in self.mr.log(), what="disconnect")
        self.assertEqual(len(self.files(md)), 3)
        names = self.files(md)
        c = self.raw("dora")
        self.assertEqual(c.cmd(b"DELE 1"), b"+OK Marked to be deleted.")
        self.assertEqual(c.cmd(b"DELE 3"), b"+OK Marked to be deleted.")
        self.assertEqual(c.cmd(b"QUIT"),
                         b"+OK Logging out, messages deleted.")
        self.assertTrue(c.closed())
        self.assertEqual(self.files(md), [names[1]])
        self.assertIn("pop3(dora): Disconnected: Logged out top=0/0, "
                      "retr=0/0, del=2/3,", self.mr.log())

    def test_in_use(self):
        md = self.add_user("ivan")
        self.deliver("ivan", md, [b"Subject: x\r\n\r\nx\r\n"])
        first = self.raw("ivan")
        # However many processes serve pop3, the second login is refused.
        for _ in range(4):
            c = self.raw()
            self.assertEqual(c.cmd(b"USER ivan"), b"+OK")
            self.assertEqual(c.cmd(b"PASS secret"),
                             b"-ERR [IN-USE] Mailbox is locked by another "
                             b"POP3 session.")
            # Still in AUTHORIZATION.
            self.assertEqual(c.cmd(b"STAT"),
                             b"-ERR STAT not allowed in this state.")
            c.close()
        self.assertEqual(first.cmd(b"QUIT"), b"+OK Logging out.")
        self.assertTrue(first.closed())
        c = self.raw("ivan")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 1 "))

    def test_failed_logins_look_alike(self):
        self.add_user("wanda")
        c = self.raw()
        self.assertEqual(c.cmd(b"USER wanda"), b"+OK")
        wrong = c.cmd(b"PASS Wr0ngPassw0rd")
        self.assertEqual(c.cmd(b"USER nosuchuser"), b"+OK")
        unknown = c.cmd(b"PASS Wr0ngPassw0rd")
        self.assertEqual(wrong, AUTH_FAILED)
        self.assertEqual(unknown, AUTH_FAILED)
        # The third failure closes the session.
        plain = base64.b64encode(b"\0wanda\0Wr0ngPassw0rd")
        self.assertEqual(c.cmd(b"AUTH PLAIN " + plain), AUTH_FAILED)
        self.assertTrue(c.closed())
        log = self.mr.log()
        self.assertIn("authentication failed: user=<wanda>, method=USER, "
                      "rip=127.0.0.1, delay=", log)
        self.assertIn("authentication failed: user=<nosuchuser>, "
                      "method=USER, rip=127.0.0.1, delay=", log)
        self.assertNotIn("Wr0ngPassw0rd", log)
        # After all that the right password still works.
        c = self.raw("wanda")
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")

    def test_login_cache_and_new_password(self):
        self.add_user("polly", "first")
        for _ in range(3):
            # Logged in again: served from the login cache.
            c = self.raw("polly", "first")
            self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        self.mr.mailroom("user", "passwd", "polly", input="second\n",
                         check=True)
        c = self.raw()
        self.assertEqual(c.cmd(b"USER polly"), b"+OK")
        self.assertEqual(c.cmd(b"PASS first"), AUTH_FAILED)
        self.assertEqual(c.cmd(b"USER polly"), b"+OK")
        self.assertEqual(c.cmd(b"PASS second"), b"+OK Logged in.")

    def test_auth_plain(self):
        md = self.add_user("paul", "p w")
        self.deliver("paul", md, [b"Subject: x\r\n\r\nx\r\n"])
        # With an initial response.
        c = self.raw()
        self.assertEqual(c.cmd(b"AUTH PLAIN " +
                               base64.b64encode(b"\0paul\0p w")),
                         b"+OK Logged in.")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 1 "))
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        # Without: "+ " then the response; an authzid of the same user.
        c = self.raw()
        self.assertEqual(c.cmd(b"AUTH PLAIN"), b"+ ")
        self.assertEqual(c.cmd(base64.b64encode(b"PAUL\0Paul\0p w")),
                         b"+OK Logged in.")
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        # Cancelled, malformed, other mechanisms, the mechanism list.
        c = self.raw()
        self.assertEqual(c.cmd(b"AUTH PLAIN"), b"+ ")
        self.assertEqual(c.cmd(b"*"), b"-ERR [AUTH] Authentication "
                         b"aborted.")
        self.assertEqual(c.cmd(b"AUTH PLAIN !!!!"),
                         b"-ERR [AUTH] Invalid AUTH PLAIN response "
                         b"(invalid base64).")
        self.assertEqual(c.cmd(b"AUTH PLAIN " + base64.b64encode(b"x")),
                         b"-ERR [AUTH] Invalid AUTH PLAIN response "
                         b"(not authzid NUL authcid NUL passwd).")
        self.assertEqual(c.cmd(b"AUTH CRAM-MD5"),
                         b"-ERR [AUTH] Unsupported authentication "
                         b"mechanism.")
        c.send(b"AUTH\r\n")
        self.assertEqual([c.line(), c.line(), c.line()],
                         [b"+OK", b"PLAIN", b"."])
        # A password up to 511 octets fits an AUTH line (not PASS).
        long_pw = "x" * 500
        self.add_user("lena", long_pw)
        self.assertEqual(c.cmd(b"AUTH PLAIN " + base64.b64encode(
            b"\0lena\0" + long_pw.encode())), b"+OK Logged in.")
        self.assertIn("Login: user=<lena>, method=PLAIN", self.mr.log())

    def test_pipelining_and_long_lines(self):
        md = self.add_user("pia")
        paths = self.deliver("pia", md, [b"Subject: a\r\n\r\n.a\r\n",
                                         b"Subject: b\r\n\r\nb\r\n"])
        datas = [self.read(p) for p in paths]
        c = self.raw()
        c.send(b"USER pia\r\nPASS secret\r\nSTAT\r\nLIST\r\nRETR 1\r\n"
               b"TOP 2 0\r\nNOOP\r\nDELE 2\r\nUIDL 1\r\nRSET\r\nQUIT\r\n")
        total = sum(vsize(d) for d in datas)
        self.assertEqual(c.line(), b"+OK")
        self.assertEqual(c.line(), b"+OK Logged in.")
        self.assertEqual(c.line(), b"+OK 2 %d" % total)
        self.assertEqual(c.line(), b"+OK 2 messages (%d octets)" % total)
        self.assertEqual(c.block(), b"1 %d\r\n2 %d\r\n.\r\n" % (
            vsize(datas[0]), vsize(datas[1])))
        self.assertEqual(c.line(), b"+OK %d octets" % vsize(datas[0]))
        self.assertEqual(c.block(), network_form(datas[0]))
        self.assertEqual(c.line(), b"+OK")
        self.assertEqual(c.block(), network_form(
            datas[1].split(b"\n\n")[0] + b"\n\n"))
        self.assertEqual(c.line(), b"+OK")
        self.assertEqual(c.line(), b"+OK Marked to be deleted.")
        self.assertRegex(c.line().decode(), r"^\+OK 1 [0-9A-F]{16}$")
        self.assertEqual(c.line(), b"+OK")
        self.assertEqual(c.line(), b"+OK Logging out.")
        self.assertTrue(c.closed())

        # A client that half-closes after its commands gets every answer;
        # without QUIT nothing is deleted.
        c = self.raw()
        c.send(b"USER pia\r\nPASS secret\r\nDELE 1\r\nSTAT\r\n")
        c.sock.shutdown(socket.SHUT_WR)
        self.assertEqual([c.line() for _ in range(4)],
                         [b"+OK", b"+OK Logged in.",
                          b"+OK Marked to be deleted.",
                          b"+OK 1 %d" % vsize(datas[1])])
        self.assertTrue(c.closed())
        mrtest.wait_for(lambda: "pop3(pia): Disconnected: Connection closed "
                        "top=0/0, retr=0/0, del=0/2" in self.mr.log(),
                        what="disconnect line")
        self.assertEqual(len(self.files(md)), 2)

        # RFC 2449: 255 octets per command; longer gets -ERR, the
        # session goes on; a huge line is answered once.
        c = self.raw("pia")
        self.assertEqual(c.cmd(b"NOOP" + b" " * 249), b"+OK")
        self.assertEqual(c.cmd(b"NOOP" + b" " * 250),
                         b"-ERR Line too long.")
        self.assertEqual(c.cmd(b"X" * 100000), b"-ERR Line too long.")
        self.assertEqual(c.cmd(b"NOOP"), b"+OK")
        # Too many bad commands (20; two so far) close the session.
        c.send(b"FROB\r\n" * 25)
        lines = []
        while True:
            try:
                lines.append(c.line())
            except EOFError:
                break
        self.assertEqual(lines, [b"-ERR Unknown command."] * 18 +
                         [b"-ERR Too many bad commands."])

    @unittest.skipIf(FETCHMAIL is None, "no fetchmail")
    def test_fetchmail(self):
        md = self.add_user("fred")
        bodies = [b"Subject: fetch %d\r\n\r\nbody %d\r\n.dot\r\n" % (i, i)
                  for i in range(5)]
        self.deliver("fred", md, bodies)
        # --sslproto '' keeps fetchmail to plain POP3 (loopback may log
        # in without TLS); test_pop3d_tls fetches over STLS.
        said, got = fetchmail(self, self.mr.port("pop3"), "fred", "secret",
                              args=["--sslproto", ""])
        for i in range(5):
            self.assertIn(b"Subject: fetch %d\n" % i, got)
            self.assertIn(b"body %d\n.dot\n" % i, got)
        # fetchmail deletes what it fetched (no "keep").
        self.assertEqual(self.files(md), [])
        self.assertIn("5 messages for fred", said)


class Pop3TimeoutTest(mrtest.InstanceTest):
    """pop3d_timeout: an idle session is told and closed."""

    def test_idle_timeout(self):
        if not os.path.exists(os.path.join(mrtest.LIBEXEC, "pop3d")):
            self.skipTest("no pop3d binary")
        self.mr.configure(pop3d_timeout="1s")
        self.mr.mailroom("user", "add", "tim", input="secret\n",
                         check=True)
        self.mr.start()
        c = Raw(self.mr.port("pop3"))
        self.addCleanup(c.close)
        self.assertEqual(c.line(), b"+OK mailroom ready.")
        self.assertEqual(c.cmd(b"USER tim"), b"+OK")
        self.assertEqual(c.cmd(b"PASS secret"), b"+OK Logged in.")
        self.assertEqual(c.line(), b"-ERR Disconnected for inactivity.")
        self.assertTrue(c.closed())
        self.mr.wait_log("pop3(tim): Disconnected: Disconnected for "
                         "inactivity top=0/0, retr=0/0, del=0/0, size=0")


if __name__ == "__main__":
    unittest.main()
