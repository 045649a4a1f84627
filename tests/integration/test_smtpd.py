"""smtpd conformance: RFC 5321 commands and replies, ESMTP extensions,
strict framing (SMTP smuggling), limits and relay policy, with the server
lines written out in full, and real clients (smtplib, swaks)."""
import os
import re
import smtplib
import subprocess
import time
import unittest

import mrtest
from mrtest import InstanceTest, queued, body_of, wait_for
from smtpclient import Raw

EHLO = [b"250-%s", b"250-PIPELINING", b"250-SIZE 10240000", b"250-VRFY",
        b"250-STARTTLS", b"250-ENHANCEDSTATUSCODES", b"250-8BITMIME",
        b"250-DSN", b"250-SMTPUTF8", b"250 CHUNKING"]
HOST = b"mx.test.example"


class SmtpdBase(InstanceTest):
    """A started instance and a raw client; no qmgr, so accepted mail stays
    in queue/active for the tests to read."""

    DROP_SERVICES = ("qmgr",)

    def setUp(self):
        super().setUp()
        self.mr.configure(myhostname=HOST.decode())
        self.config()
        self.mr.start()

    def config(self):
        """Extra main.cf lines of a test class."""

    def connect(self):
        c = Raw(self.mr.port("smtp"))
        self.addCleanup(c.close)
        self.assertEqual(c.reply(), [b"220 " + HOST + b" ESMTP mailroom"])
        return c

    def ehlo(self, c):
        c.send(b"EHLO client.example\r\n")
        self.assertEqual(c.reply(), [EHLO[0] % HOST] + EHLO[1:])


class SmtpdTest(SmtpdBase):

    def test_greeting_ehlo_helo(self):
        c = self.connect()
        self.ehlo(c)
        self.assertEqual(c.cmd(b"HELO client.example"), b"250 " + HOST)
        self.assertEqual(c.cmd(b"EHLO"),
                         b"501 5.5.4 Syntax: EHLO hostname")
        self.assertEqual(c.cmd(b"QUIT"), b"221 2.0.0 Bye")
        self.assertTrue(c.closed())

    def test_simple_commands(self):
        c = self.connect()
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(c.cmd(b"VRFY postmaster"),
                         b"252 2.0.0 Cannot VRFY user, but will accept "
                         b"message and attempt delivery")
        c.send(b"HELP\r\n")
        self.assertEqual(c.reply(), [
            b"214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET "
            b"NOOP QUIT VRFY HELP", b"214 2.0.0 See RFC 5321"])
        self.assertEqual(c.cmd(b"EXPN staff"),
                         b"502 5.5.1 Error: command not implemented")
        self.assertEqual(c.cmd(b"FOO bar"),
                         b"500 5.5.2 Error: command not recognized")
        self.assertEqual(c.cmd(b"RSET"), b"250 2.0.0 Ok")

    def test_transaction_and_queue_file(self):
        c = self.connect()
        self.ehlo(c)
        self.assertEqual(c.cmd(b"MAIL FROM:<alice@client.example>"),
                         b"250 2.1.0 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<bob@relay.example>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<carol@relay.example>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"DATA"),
                         b"354 End data with <CR><LF>.<CR><LF>")
        body = (b"Subject: test\r\n\r\nline one\r\n..leading dot\r\n"
                b"\xc3\xa9t\xc3\xa9\r\n")
        reply = c.cmd(body + b".")
        m = re.fullmatch(rb"250 2\.0\.0 Ok: queued as ([0-9A-Za-z]{21})",
                         reply)
        self.assertTrue(m, reply)
        qid = m.group(1).decode()
        q = queued(self.mr)
        self.assertEqual(list(q), [qid])
        self.assertTrue(q[qid]["complete"])
        self.assertEqual(q[qid]["sender"], "alice@client.example")
        self.assertEqual(q[qid]["rcpts"], ["bob@relay.example",
                                           "carol@relay.example"])
        self.assertEqual(body_of(q[qid]["content"]),
                         body.replace(b"\r\n..", b"\r\n."))
        self.assertRegex(q[qid]["content"].decode("utf-8", "replace"),
                         r"^Received: from client\.example \(unknown "
                         r"\[127\.0\.0\.1\]\)\r\n\tby mx\.test\.example "
                         r"\(mailroom\) with ESMTP id %s;\r\n\t" % qid)
        log = self.mr.wait_log(qid + ": from=<alice@client.example>")
        self.assertIn("%s: client=unknown[127.0.0.1]" % qid, self.mr.log())
        self.assertRegex(self.mr.log(), qid + r": from=<alice@client\."
                         r"example>, size=\d+, nrcpt=2 \(queue active\)")

    def test_null_sender_and_rset(self):
        c = self.connect()
        self.assertEqual(c.cmd(b"MAIL FROM:<>"), b"250 2.1.0 Ok")
        self.assertEqual(c.cmd(b"MAIL FROM:<>"),
                         b"503 5.5.1 Error: nested MAIL command")
        self.assertEqual(c.cmd(b"RSET"), b"250 2.0.0 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<x@relay.example>"),
                         b"503 5.5.1 Error: need MAIL command")
        self.assertEqual(c.cmd(b"DATA"),
                         b"503 5.5.1 Error: need MAIL command")
        self.assertEqual(c.cmd(b"MAIL FROM:<>"), b"250 2.1.0 Ok")
        self.assertEqual(c.cmd(b"DATA"),
                         b"554 5.5.1 Error: no valid recipients")
        self.assertEqual(c.cmd(b"RCPT TO:<x@relay.example>"),
                         b"250 2.1.5 Ok")
        c.cmd(b"DATA")
        self.assertTrue(c.cmd(b"x\r\n.").startswith(b"250 2.0.0 Ok"))
        self.assertEqual([q["sender"] for q in queued(self.mr).values()],
                         [""])

    def test_pipelining_answers_in_order(self):
        c = self.connect()
        c.send(b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\n"
               b"RCPT TO:<b@relay.example>\r\nRCPT TO:<nosuchuser@localhost>\r\n"
               b"RCPT TO:<c@relay.example>\r\nDATA\r\n")
        replies = c.replies(6)
        self.assertEqual(replies[1:], [
            [b"250 2.1.0 Ok"], [b"250 2.1.5 Ok"],
            [b"550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: "
             b"User unknown in local recipient table"],
            [b"250 2.1.5 Ok"], [b"354 End data with <CR><LF>.<CR><LF>"]])
        c.send(b"Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        r = c.replies(3)
        self.assertTrue(r[0][0].startswith(b"250 2.0.0 Ok: queued as "))
        self.assertEqual(r[1:], [[b"250 2.0.0 Ok"], [b"221 2.0.0 Bye"]])
        self.assertEqual([q["rcpts"] for q in queued(self.mr).values()],
                         [["b@relay.example", "c@relay.example"]])

    def test_bdat(self):
        c = self.connect()
        self.ehlo(c)
        c.cmd(b"MAIL FROM:<a@client.example> BODY=BINARYMIME")
        c.cmd(b"RCPT TO:<b@relay.example>")
        part1 = b"Subject: b\r\n\r\nbinary\x00\nbare\rLF\r\n.\r\n"
        part2 = b"second chunk\r\n"
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        r = c.reply()
        self.assertRegex(r[0], rb"^250 2\.0\.0 Ok: \d+ octets$")
        self.assertEqual(c.cmd(b"DATA"),
                         b"503 5.5.1 Error: BDAT required for this message")
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        self.assertRegex(c.reply()[0], rb"^250 2\.0\.0 Ok: queued as ")
        (q,) = queued(self.mr).values()
        self.assertEqual(body_of(q["content"]), part1 + part2)
        # BDAT 0 LAST ends a message; a chunk without MAIL is read and
        # refused, and the session stays in step.
        c.send(b"BDAT 4\r\nabcdNOOP\r\n")
        self.assertEqual(c.replies(2), [
            [b"503 5.5.1 Error: need MAIL command"], [b"250 2.0.0 Ok"]])
        c.cmd(b"MAIL FROM:<a@client.example>")
        c.cmd(b"RCPT TO:<b@relay.example>")
        c.send(b"BDAT 3\r\nab\n")
        self.assertRegex(c.reply()[0], rb"^250 ")
        c.send(b"BDAT 0 LAST\r\n")
        self.assertRegex(c.reply()[0], rb"^250 2\.0\.0 Ok: queued as ")
        self.assertEqual(len(queued(self.mr)), 2)
        self.assertEqual(c.cmd(b"BDAT x"),
                         b"501 5.5.4 Syntax: BDAT count [LAST]")
        self.assertEqual(c.reply(), [
            b"421 4.5.0 mx.test.example Error: bad BDAT command, closing"])
        self.assertTrue(c.closed())

    def test_size(self):
        c = self.connect()
        self.ehlo(c)
        self.assertEqual(c.cmd(b"MAIL FROM:<a@client.example> SIZE=10240001"),
                         b"552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(c.cmd(b"MAIL FROM:<a@client.example> SIZE=1000"),
                         b"250 2.1.0 Ok")
        c.cmd(b"RCPT TO:<b@relay.example>")
        c.cmd(b"DATA")
        line = b"x" * 998 + b"\r\n"
        c.send(line * (10240000 // 1000 + 10))
        self.assertEqual(c.cmd(b"."),
                         b"552 5.3.4 Message size exceeds fixed limit")
        self.assertEqual(queued(self.mr), {})
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")

    def test_hopcount_limit(self):
        """More Received: fields than hopcount_limit (50): a mail loop,
        refused after the data; 50 are fine; the body's do not count."""
        c = self.connect()
        self.ehlo(c)

        def send(fields, body=b""):
            c.cmd(b"MAIL FROM:<a@client.example>")
            c.cmd(b"RCPT TO:<b@relay.example>")
            self.assertTrue(c.cmd(b"DATA").startswith(b"354 "))
            hops = b"".join(b"Received: from hop%d\r\n\tby x; "
                            b"Mon, 23 Nov 2026 10:00:00 +0000\r\n" % i
                            for i in range(fields))
            c.send(hops + b"Subject: loop\r\n\r\n" + body)
            return c.cmd(b".")

        self.assertEqual(send(51), b"554 5.4.0 Error: too many hops")
        self.assertEqual(queued(self.mr), {})
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertTrue(send(50).startswith(b"250 2.0.0 Ok: queued as "))
        self.assertTrue(send(1, b"Received: x\r\n" * 60).startswith(
            b"250 2.0.0 Ok: queued as "))
        self.assertEqual(len(queued(self.mr)), 2)
        self.assertIn("reject: DATA from unknown[127.0.0.1]: 554 5.4.0 "
                      "Error: too many hops;", self.mr.log())

    def smuggle(self, vector):
        """Send DATA text with vector inside; return the replies seen."""
        c = self.connect()
        c.cmd(b"EHLO client.example")
        c.cmd(b"MAIL FROM:<a@client.example>")
        c.cmd(b"RCPT TO:<b@relay.example>")
        c.cmd(b"DATA")
        c.send(b"Subject: s\r\n\r\nfirst" + vector +
               b"MAIL FROM:<evil@client.example>\r\n"
               b"RCPT TO:<victim@relay.example>\r\nDATA\r\n"
               b"smuggled\r\n.\r\n")
        return c, c.reply()

    def test_smuggling_vectors(self):
        vectors = [b"\n.\n", b"\r\n.\r", b"\n.\r\n", b"\r.\r",
                   b"\r\n.\n", b"\n.\r", b"\r.\r\n", b"\r\n.\r\r\n"]
        for v in vectors:
            with self.subTest(vector=v):
                c, reply = self.smuggle(v)
                # The data ends only at the real CRLF.CRLF; the bare LF or
                # CR makes the whole message refused; nothing inside it
                # was executed as a command.
                self.assertIn(reply[0], [
                    b"550 5.5.2 Error: bare <LF> received",
                    b"550 5.5.2 Error: bare <CR> received"])
                self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(queued(self.mr), {})
        self.assertNotIn("evil@client.example", self.mr.log())

    def test_bare_lf_in_command_is_not_a_line_end(self):
        c = self.connect()
        c.send(b"NOOP\nNOOP\r\n")
        self.assertEqual(c.reply(),
                         [b"500 5.5.2 Error: bare <LF> received"])
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")

    def test_long_lines_and_nul(self):
        c = self.connect()
        self.assertEqual(c.cmd(b"NOOP " + b"x" * 600),
                         b"500 5.5.2 Error: line too long")
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(c.cmd(b"MAIL FROM:<a\x00b@client.example>")[:4],
                         b"501 ")
        c.cmd(b"MAIL FROM:<a@client.example>")
        c.cmd(b"RCPT TO:<b@relay.example>")
        c.cmd(b"DATA")
        self.assertEqual(c.cmd(b"y" * 1001 + b"\r\n."),
                         b"550 5.5.2 Error: message line longer than 1000 "
                         b"octets")
        c.cmd(b"MAIL FROM:<a@client.example>")
        c.cmd(b"RCPT TO:<b@relay.example>")
        c.cmd(b"DATA")
        self.assertRegex(c.cmd(b"y" * 998 + b"\r\n."),
                         rb"^250 2\.0\.0 Ok: queued as ")

    def test_local_recipients(self):
        c = self.connect()
        c.cmd(b"MAIL FROM:<a@client.example>")
        self.assertEqual(c.cmd(b"RCPT TO:<postmaster@localhost>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<Postmaster>"), b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<nosuchuser@mx.test.example>"),
                         b"550 5.1.1 <nosuchuser@mx.test.example>: Recipient "
                         b"address rejected: User unknown in local "
                         b"recipient table")
        # A root instance knows the system users (unix:passwd.byname).
        if os.geteuid() == 0:
            self.assertEqual(c.cmd(b"RCPT TO:<nobody@localhost>"),
                             b"250 2.1.5 Ok")
        # Users of the users table are known.
        self.mr.mailroom("user", "add", "alice", input="secret\n",
                         check=True)
        self.assertEqual(c.cmd(b"RCPT TO:<Alice@localhost>"),
                         b"250 2.1.5 Ok")

    def test_rebuilt_alias_table_is_seen(self):
        # smtpd keeps its tables open; a rebuilt table must still count.
        c = self.connect()
        c.cmd(b"MAIL FROM:<a@client.example>")
        self.assertEqual(c.cmd(b"RCPT TO:<sales@localhost>")[:4], b"550 ")
        with open(os.path.join(self.mr.dir, "aliases"), "a") as f:
            f.write("sales: postmaster\n")
        self.mr.mailroom("map", "build", "-a",
                         "hash:" + os.path.join(self.mr.dir, "aliases"),
                         check=True)
        self.assertEqual(c.cmd(b"RCPT TO:<sales@localhost>"),
                         b"250 2.1.5 Ok")

    def test_unknown_command_error_limit(self):
        c = self.connect()
        for _ in range(19):
            self.assertEqual(c.cmd(b"BOGUS"),
                             b"500 5.5.2 Error: command not recognized")
        c.send(b"BOGUS\r\n")
        self.assertEqual(c.replies(2), [
            [b"500 5.5.2 Error: command not recognized"],
            [b"421 4.7.0 mx.test.example Error: too many errors"]])
        self.assertTrue(c.closed())

    def test_qmgr_is_told_about_new_mail(self):
        # Stand in for qmgr's socket: a real listener at private/qmgr.
        import socket as sk
        import struct
        import pwd
        private = os.path.join(self.mr.dir, "queue", "private")
        os.makedirs(private, mode=0o700, exist_ok=True)
        owner = self.mr.mailroom("config", "mail_owner",
                                 check=True).stdout.split()[-1]
        pw = pwd.getpwnam(owner)
        os.chown(private, pw.pw_uid, pw.pw_gid)
        path = os.path.join(private, "qmgr")
        listener = sk.socket(sk.AF_UNIX, sk.SOCK_STREAM)
        self.addCleanup(listener.close)
        listener.bind(path)
        os.chmod(path, 0o666)
        listener.listen(8)
        listener.settimeout(10)
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=10)
        s.sendmail("a@client.example", ["b@relay.example"], b"x\r\n")
        s.quit()
        conn, _ = listener.accept()
        conn.settimeout(10)
        frame = conn.recv(64)
        conn.close()
        # docs/ipc.md: length u32, type u16 (3 = IPC_QMGR_WAKEUP),
        # version u8 (1), flags u8, request id u32.
        length, mtype, version, flags, _ = struct.unpack(">IHBBI",
                                                         frame[:12])
        self.assertEqual((length, mtype, version, flags),
                         (12, 3, 1, 0))

    def test_smtplib_and_swaks(self):
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=10)
        s.sendmail("a@client.example", ["b@relay.example"],
                   b"Subject: smtplib\r\n\r\nhello\r\n")
        s.quit()
        r = subprocess.run(["swaks", "--server", "127.0.0.1",
                            "--port", str(self.mr.port("smtp")),
                            "--from", "c@client.example",
                            "--to", "d@relay.example",
                            "--header", "Subject: swaks",
                            "--body", "from swaks"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("<-  250 2.0.0 Ok: queued as ", r.stdout)
        subjects = sorted(re.search(rb"Subject: (\w+)", q["content"])
                          .group(1) for q in queued(self.mr).values())
        self.assertEqual(subjects, [b"smtplib", b"swaks"])


class SmtpdLimitsTest(SmtpdBase):
    """A client outside mynetworks, with small limits."""

    def config(self):
        self.mr.configure(mynetworks="10.0.0.0/8", relay_domains="relay.example",
                          smtpd_recipient_limit="3", smtpd_timeout="2s",
                          smtpd_client_connection_count_limit="2",
                          recipient_delimiter="+")

    def test_relay_control(self):
        c = self.connect()
        c.cmd(b"MAIL FROM:<a@client.example>")
        self.assertEqual(c.cmd(b"RCPT TO:<x@elsewhere.example>"),
                         b"554 5.7.1 <x@elsewhere.example>: Relay access "
                         b"denied")
        self.assertEqual(c.cmd(b"RCPT TO:<x@relay.example>"), b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<x@sub.relay.example>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<postmaster+tag@localhost>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<y@relay.example>"),
                         b"452 4.5.3 Error: too many recipients")
        self.assertIn("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 "
                      "5.7.1 <x@elsewhere.example>: Relay access denied; "
                      "from=<a@client.example> to=<x@elsewhere.example> "
                      "proto=SMTP helo=<>", self.mr.log())

    def test_timeout(self):
        c = self.connect()
        start = time.monotonic()
        self.assertEqual(c.reply(), [
            b"421 4.4.2 mx.test.example Error: timeout exceeded"])
        self.assertTrue(c.closed())
        self.assertLess(time.monotonic() - start, 15)

    def test_connection_count_limit(self):
        # The service runs its default number of smtpd processes (one per
        # CPU): the count is shared, so whichever process accepts a
        # connection beyond the limit refuses it.
        keep = [self.connect(), self.connect()]
        for attempt in range(6):
            third = Raw(self.mr.port("smtp"))
            self.addCleanup(third.close)
            self.assertEqual(third.reply(), [
                b"421 4.7.0 mx.test.example Error: too many connections "
                b"from 127.0.0.1"], "attempt %d" % attempt)
            self.assertTrue(third.closed())
        self.assertEqual(keep[0].cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(keep[1].cmd(b"NOOP"), b"250 2.0.0 Ok")
        # A closed session frees its count in whichever process held it
        # (smtpd releases it before it closes the socket).
        self.assertEqual(keep[0].cmd(b"QUIT"), b"221 2.0.0 Bye")
        self.assertTrue(keep[0].closed())
        self.connect()


if __name__ == "__main__":
    unittest.main()
