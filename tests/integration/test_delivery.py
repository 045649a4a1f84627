"""End to end: smtplib -> smtpd -> queue -> qmgr -> local -> Maildir,
byte-exact, with Postfix-format log lines that pflogsumm (the Debian
package) summarises with the right counts."""
import os
import re
import smtplib
import subprocess
import unittest

import mrtest
from mrtest import InstanceTest, wait_for

HAVE_AGENTS = all(os.path.exists(os.path.join(mrtest.LIBEXEC, d))
                  for d in ("qmgr", "local"))


def maildir_files(maildir):
    new = os.path.join(maildir, "new")
    try:
        return sorted(os.path.join(new, n) for n in os.listdir(new))
    except FileNotFoundError:
        return []


@unittest.skipUnless(HAVE_AGENTS, "no qmgr/local in this build")
class DeliveryTest(InstanceTest):

    def add_user(self, name):
        self.mr.mailroom("user", "add", name, input="pw\n", check=True)
        for line in self.mr.mailroom("user", "list",
                                     check=True).stdout.splitlines():
            if line.split()[0] == name:
                return line.split()[-1]
        raise AssertionError("no user " + name)

    def test_byte_exact_and_pflogsumm(self):
        alice = self.add_user("alice")
        bob = self.add_user("bob")
        self.mr.start()
        body = (b"Subject: end to end\r\nX-Test: 1\r\n\r\nline one\r\n"
                b"..dot line\r\n\xc3\xa9\r\n")
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=20)
        for _ in range(3):
            s.sendmail("carol@example.org", ["alice@localhost",
                                             "bob@localhost"], body)
        refused = None
        try:
            s.sendmail("carol@example.org", ["nosuchuser@localhost"], body)
        except smtplib.SMTPRecipientsRefused as e:
            refused = e
        s.quit()
        self.assertIsNotNone(refused)
        wait_for(lambda: len(maildir_files(alice)) == 3 and
                 len(maildir_files(bob)) == 3, what="6 deliveries")
        for path in maildir_files(alice):
            with open(path, "rb") as f:
                data = f.read()
            # Return-Path and Delivered-To first, then the Received: smtpd
            # added, then the message exactly, with LF line ends.
            self.assertTrue(data.startswith(
                b"Return-Path: <carol@example.org>\nDelivered-To: "
                b"alice@localhost\nReceived: from "), data[:120])
            # (smtplib dot-stuffs "..dot line" on the wire; smtpd undoes it.)
            self.assertTrue(data.endswith(body.replace(b"\r\n", b"\n")),
                            data[-120:])
        wait_for(lambda: self.mr.log().count(": removed") == 3,
                 what="3 removed lines")
        log = self.mr.log()
        self.assertRegex(log, r"mailroom/local\[\d+\]: \w{21}: "
                         r"to=<alice@localhost>, relay=local, delay=[\d.]+, "
                         r"delays=[\d./]+, dsn=2\.0\.0, status=sent "
                         r"\(delivered to maildir\)")
        self.assertRegex(log, r"mailroom/qmgr\[\d+\]: \w{21}: "
                         r"from=<carol@example.org>, size=\d+, nrcpt=2 "
                         r"\(queue active\)")
        self.assertFalse(os.listdir(os.path.join(self.mr.dir, "queue",
                                                 "active")))
        r = subprocess.run(["pflogsumm", "--syslog-name=mailroom",
                            os.path.join(self.mr.dir, "log", "maillog")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        totals = {}
        for m in re.finditer(r"^\s+(\d+)\s+(received|delivered|deferred|"
                             r"bounced|rejected)\b", r.stdout, re.M):
            totals.setdefault(m.group(2), int(m.group(1)))
        self.assertEqual(totals, {"received": 3, "delivered": 6,
                                  "deferred": 0, "bounced": 0,
                                  "rejected": 1}, r.stdout[:1500])

    def test_virtual_user(self):
        self.mr.configure(virtual_mailbox_domains="example.com")
        maildir = self.add_user("bob@example.com")
        self.assertTrue(maildir.endswith("/example.com/bob/Maildir/"),
                        maildir)
        self.mr.start()
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=20)
        s.sendmail("carol@example.org", ["Bob@Example.COM"],
                   b"Subject: virtual\r\n\r\nhi bob\r\n")
        try:
            s.sendmail("carol@example.org", ["nobody@example.com"],
                       b"Subject: x\r\n\r\nx\r\n")
            self.fail("unknown virtual user accepted")
        except smtplib.SMTPRecipientsRefused as e:
            code, text = e.recipients["nobody@example.com"]
            self.assertEqual(code, 550)
            self.assertIn(b"User unknown in virtual mailbox table", text)
        s.quit()
        wait_for(lambda: len(maildir_files(maildir)) == 1,
                 what="virtual delivery")
        with open(maildir_files(maildir)[0], "rb") as f:
            data = f.read()
        self.assertIn(b"\ndelivered-to: bob@example.com\n", data.lower())
        self.assertTrue(data.endswith(b"Subject: virtual\n\nhi bob\n"))


if __name__ == "__main__":
    unittest.main()
