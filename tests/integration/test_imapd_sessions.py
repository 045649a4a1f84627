"""test_imapd_sessions - several sessions on one folder, IDLE, and the
rules for unsolicited responses (RFC 3501 5.2, 7.4.1; RFC 2177).

New mail arrives through smtpd and local delivery; other changes come
from a second IMAP session (which may be served by another imapd
process) or straight from the file system.
"""
import os
import socket
import time

import mrtest
from imapclient import ImapTest, Raw


class SessionsTest(ImapTest):

    def setUp(self):
        name = self.id().split(".")[-1][5:21].replace("_", "")
        self.md = self.add_user(name)
        self.user = name

    def msg(self, n):
        return b"Subject: m%d\r\n\r\nbody %d\r\n" % (n, n)

    def test_new_mail_flags_and_expunge_between_sessions(self):
        self.deliver(self.user, self.md, [self.msg(1), self.msg(2)])
        a = self.raw(self.user)
        b = self.raw(self.user)
        a.cmd(b"SELECT INBOX")
        b.cmd(b"SELECT INBOX")
        # New mail shows up at the next command.
        self.deliver(self.user, self.md, [self.msg(3)])
        self.assertEqual(a.cmd(b"NOOP"), [b"* 3 EXISTS", b"* 3 RECENT",
                                          b"t3 OK NOOP completed."])
        # The other session learns of it too, without \Recent (RFC 3501
        # 2.3.2: one session gets it).
        self.assertEqual(b.cmd(b"NOOP"), [b"* 3 EXISTS", b"* 0 RECENT",
                                          b"t3 OK NOOP completed."])
        # Flags changed by one session: FETCH FLAGS to the other.
        self.assertEqual(a.cmd(b"STORE 2 +FLAGS.SILENT (\\Answered)"),
                         [b"t4 OK Store completed."])
        self.assertEqual(b.cmd(b"NOOP"),
                         [b"* 2 FETCH (FLAGS (\\Answered))",
                          b"t4 OK NOOP completed."])
        # Expunged by one session: no EXPUNGE to the other during FETCH,
        # STORE or SEARCH; the message keeps its number meanwhile.
        a.cmd(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        self.assertEqual(a.cmd(b"EXPUNGE"), [b"* 1 EXPUNGE",
                                             b"t6 OK Expunge completed."])
        self.assertEqual(b.cmd(b"FETCH 2 UID"),
                         [b"* 2 FETCH (UID 2)", b"t5 OK Fetch completed."])
        self.assertEqual(b.cmd(b"FETCH 1 (UID BODY.PEEK[TEXT])"),
                         [b"t6 NO [EXPUNGEISSUED] Some of the requested "
                          b"messages no longer exist."])
        self.assertEqual(b.cmd(b"SEARCH ALL"),
                         [b"* SEARCH 2 3", b"t7 OK Search completed."])
        self.assertEqual(b.cmd(b"STORE 3 +FLAGS (\\Flagged)"),
                         [b"* 3 FETCH (FLAGS (\\Flagged))",
                          b"t8 OK Store completed."])
        # A UID command may expunge, and NOOP does.
        self.assertEqual(b.cmd(b"UID FETCH 3 UID"),
                         [b"* 1 EXPUNGE", b"* 2 FETCH (UID 3)",
                          b"t9 OK Fetch completed."])
        self.assertEqual(b.cmd(b"NOOP"), [b"t10 OK NOOP completed."])
        # A new keyword from the other session: FLAGS again first.
        a.cmd(b"STORE 2 +FLAGS.SILENT (NewWord)")
        self.assertEqual(b.cmd(b"NOOP"), [
            b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft "
            b"NewWord)",
            b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
            b"\\Draft NewWord \\*)] Flags permitted.",
            b"* 2 FETCH (FLAGS (\\Flagged NewWord))",
            b"t11 OK NOOP completed."])

    def test_flags_renamed_outside(self):
        self.deliver(self.user, self.md, [self.msg(1)])
        a = self.raw(self.user)
        a.cmd(b"SELECT INBOX")
        # Another program (a Maildir client) renames the file.
        path = self.files(self.md)[0]
        os.rename(path, path[:path.index(":2,")] + ":2,FS")
        self.assertEqual(a.cmd(b"NOOP"),
                         [b"* 1 FETCH (FLAGS (\\Flagged \\Seen \\Recent))",
                          b"t3 OK NOOP completed."])
        os.unlink(self.files(self.md)[0])
        self.assertEqual(a.cmd(b"CHECK"),
                         [b"* 1 EXPUNGE", b"t4 OK Check completed."])

    def test_idle_sees_new_mail_at_once(self):
        a = self.raw(self.user)
        a.cmd(b"SELECT INBOX")
        a.send(b"i1 IDLE\r\n")
        self.assertEqual(a.line(), b"+ idling")
        self.deliver(self.user, self.md, [self.msg(1)])
        # No command needed: the server says it while idling.
        self.assertEqual(a.line(), b"* 1 EXISTS")
        self.assertEqual(a.line(), b"* 1 RECENT")
        # Expunges and flag changes by another session, at once too.
        b = self.raw(self.user)
        b.cmd(b"SELECT INBOX")
        b.cmd(b"STORE 1 +FLAGS.SILENT (\\Seen)")
        self.assertEqual(a.line(), b"* 1 FETCH (FLAGS (\\Seen \\Recent))")
        b.cmd(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
        self.assertEqual(a.line(),
                         b"* 1 FETCH (FLAGS (\\Deleted \\Seen \\Recent))")
        b.cmd(b"EXPUNGE")
        self.assertEqual(a.line(), b"* 1 EXPUNGE")
        a.send(b"DONE\r\n")
        self.assertEqual(a.line(), b"i1 OK Idle completed.")
        self.assertEqual(a.cmd(b"NOOP"), [b"t3 OK NOOP completed."])
        # IDLE in the authenticated state just waits for DONE.
        a.cmd(b"UNSELECT")
        a.send(b"i2 IDLE\r\n")
        self.assertEqual(a.line(), b"+ idling")
        a.send(b"done\r\n")
        self.assertEqual(a.line(), b"i2 OK Idle completed.")
        a.send(b"i3 IDLE\r\n")
        self.assertEqual(a.line(), b"+ idling")
        a.send(b"NOOP\r\n")
        self.assertEqual(a.line(), b"i3 BAD Expected DONE.")

    def test_idle_with_imaplib_style_client(self):
        # Many idling sessions on one folder, all told.
        clients = []
        for _ in range(20):
            c = self.raw(self.user)
            c.cmd(b"SELECT INBOX")
            c.send(b"i IDLE\r\n")
            self.assertEqual(c.line(), b"+ idling")
            clients.append(c)
        self.deliver(self.user, self.md, [self.msg(1), self.msg(2)])
        for c in clients:
            got = []
            deadline = time.monotonic() + 30
            while b"* 2 EXISTS" not in got and time.monotonic() < deadline:
                got.append(c.line())
            self.assertIn(b"* 2 EXISTS", got)
            c.send(b"DONE\r\n")
            while c.line() != b"i OK Idle completed.":
                pass

    def test_store_many_in_chunks(self):
        # Renamed in chunks of 512; the answer for each chunk goes out
        # while the next is renamed: all of it, in order.
        for i in range(1300):
            self.put(self.md, "1700%06d.M1P1.t,S=12,W=14:2," % i,
                     b"Subject: x\n\nx\n")
        a = self.raw(self.user)
        a.cmd(b"SELECT INBOX")
        r = a.cmd(b"STORE 1:* +FLAGS (\\Seen)")
        want = [b"* %d FETCH (FLAGS (\\Seen))" % (i + 1)
                for i in range(1300)]
        bad = [(i, x) for i, x in enumerate(r[:-1]) if i >= len(want) or
               x != want[i]]
        self.assertEqual((len(r) - 1, bad[:3]), (1300, []))
        self.assertEqual(r[-1], b"t3 OK Store completed.")
        self.assertEqual(a.cmd(b"UID STORE 1:* -FLAGS.SILENT (\\Seen)"),
                         [b"t4 OK Store completed."])
        r = a.cmd(b"UID STORE 600:700 FLAGS (\\Answered)")
        want = [b"* %d FETCH (UID %d FLAGS (\\Answered))" % (i, i)
                for i in range(600, 701)]
        self.assertEqual(len(r), 102)
        self.assertTrue(r[:-1] == want, r[:3])
        self.assertEqual(a.cmd(b"SEARCH SEEN"),
                         [b"* SEARCH", b"t6 OK Search completed."])
        self.assertEqual(len([p for p in self.files(self.md)
                              if p.endswith(":2,R")]), 101)

    def test_folder_deleted_under_a_session(self):
        a = self.raw(self.user)
        self.assertEqual(a.cmd(b"CREATE Tmp"), [b"t2 OK Create completed."])
        b = self.raw(self.user)
        b.cmd(b"SELECT Tmp")
        self.assertEqual(a.cmd(b"DELETE Tmp"), [b"t3 OK Delete completed."])
        b.send(b"x NOOP\r\n")
        self.assertEqual(b.line(), b"* BYE Mailbox was deleted.")
        self.assertTrue(b.closed())

    def test_reload_ends_sessions(self):
        a = self.raw(self.user)
        a.cmd(b"SELECT INBOX")
        a.send(b"i IDLE\r\n")
        self.assertEqual(a.line(), b"+ idling")
        b = self.raw(self.user)
        self.mr.mailroom("reload", check=True)
        self.assertEqual(a.line(), b"* BYE Server shutting down.")
        self.assertTrue(a.closed())
        self.assertEqual(b.line(), b"* BYE Server shutting down.")
        self.assertTrue(b.closed())
        # The new processes serve.
        c = self.raw(self.user)
        self.assertEqual(c.cmd(b"NOOP"), [b"t2 OK NOOP completed."])

    def test_client_gone_mid_fetch(self):
        big = b"Subject: big\r\n\r\n" + b"x" * 200 + b"\r\n"
        self.deliver(self.user, self.md, [big] * 5)
        for _ in range(3):
            c = Raw(self.mr.port("imap"))
            c.line()
            c.login(self.user)
            c.cmd(b"SELECT INBOX")
            c.send(b"f FETCH 1:* BODY.PEEK[]\r\n" * 50)
            c.sock.shutdown(socket.SHUT_RDWR)
            c.close()
        # The server is fine.
        d = self.raw(self.user)
        self.assertEqual(d.cmd(b"NOOP"), [b"t2 OK NOOP completed."])


class TimeoutTest(ImapTest):
    EXTRA_CONFIG = {"imapd_timeout": "2s"}

    def test_timeout(self):
        self.add_user("tim")
        c = self.raw("tim")
        c.cmd(b"SELECT INBOX")
        self.assertEqual(c.line(), b"* BYE Disconnected for inactivity.")
        self.assertTrue(c.closed())
        c = self.raw("tim")
        c.cmd(b"SELECT INBOX")
        c.send(b"i IDLE\r\n")
        self.assertEqual(c.line(), b"+ idling")
        self.assertEqual(c.line(), b"* BYE Disconnected for inactivity.")
        self.assertTrue(c.closed())
        self.assertIn("imap(tim): Disconnected: Disconnected for "
                      "inactivity", self.mr.log())
