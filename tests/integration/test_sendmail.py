"""test_sendmail - the sendmail command against a real instance.

sendmail submits over the local submission socket queue/public/pickup
(smtpd); with no qmgr yet, accepted mail stays in queue/active/, and the
tests read the queue files there (format: docs/queue-format.md).
"""
import os
import pwd
import shutil
import socket
import struct
import subprocess
import unittest

import mrtest

SENDMAIL = os.path.join(mrtest.BUILD, "sbin", "sendmail")
MAILQ = os.path.join(mrtest.BUILD, "sbin", "mailq")

# sysexits.h
EX_USAGE, EX_DATAERR, EX_NOUSER, EX_UNAVAILABLE = 64, 65, 67, 69

TEST_USER = "mrtestuser"


def read_queue_file(path):
    """Envelope and content of a queue file (docs/queue-format.md, v1)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:5] == b"MRQF\x01", data[:8]
    pos, out = 8, {"rcpts": [], "content": b"", "body": None, "envid": None,
                   "ret": None, "notify": []}
    while pos < len(data):
        rtype, length = data[pos], struct.unpack(">I", data[pos + 1:pos + 5])[0]
        value = data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if rtype == ord("S"):
            out["sender"] = value.decode()
        elif rtype == ord("t"):
            alen = struct.unpack(">H", value[2:4])[0]
            out["rcpts"].append(value[7:7 + alen].decode())
            out["notify"].append(value[1])
        elif rtype == ord("M"):
            out["content"] += value
        elif rtype == ord("B"):
            out["body"] = value[0]
        elif rtype == ord("e"):
            out["envid"] = value.decode()
        elif rtype == ord("r"):
            out["ret"] = value[0]
        elif rtype == ord("Z"):
            break
    return out


def headers_of(content):
    """The header section as a list of unfolded (name, value) pairs."""
    head = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t") and fields:
            fields[-1] = (fields[-1][0], fields[-1][1] + line)
        else:
            name, _, value = line.partition(":")
            fields.append((name.lower(), value.strip()))
    return fields


def body_of(content):
    return content.split(b"\r\n\r\n", 1)[1]


class SendmailTest(unittest.TestCase):
    """One started instance for the whole class; each test adds mail."""

    @classmethod
    def setUpClass(cls):
        cls.mr = mrtest.Instance(drop_services=("qmgr",))
        # Unqualified addresses become @example.org: relayed (the local
        # submission client may relay), so they stay queued.
        cls.mr.configure(myorigin="example.org")
        cls.mr.start()
        cls.active = os.path.join(cls.mr.dir, "queue", "active")

    @classmethod
    def tearDownClass(cls):
        cls.mr.cleanup()

    def sendmail(self, *args, input=b"", prefix=()):
        return subprocess.run(
            list(prefix) + [SENDMAIL, "-C", self.mr.dir] + list(args),
            input=input, capture_output=True, timeout=60, env=self.mr.env)

    def submit(self, *args, input=b"Subject: test\n\nhello\n", prefix=()):
        """Run sendmail, expect success, return the new queue file."""
        before = set(os.listdir(self.active))
        r = self.sendmail(*args, input=input, prefix=prefix)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"")
        new = set(os.listdir(self.active)) - before
        self.assertEqual(len(new), 1, new)
        qid = new.pop()
        q = read_queue_file(os.path.join(self.active, qid))
        q["id"] = qid
        return q

    def assertNothingQueued(self, before):
        self.assertEqual(set(os.listdir(self.active)), before)

    def test_argument_recipients(self):
        q = self.submit("a@example.com", "Bob <b@example.net>, c@example.com")
        self.assertEqual(sorted(q["rcpts"]),
                         ["a@example.com", "b@example.net", "c@example.com"])
        self.assertEqual(q["sender"], "%s@example.org" % mrtest.current_user())
        self.assertTrue(q["content"].startswith(b"Received: by "))
        self.assertIn(b"(mailroom, from userid %d)" % os.getuid(),
                      q["content"])
        self.assertEqual(body_of(q["content"]), b"hello\r\n")

    def test_bare_user_gets_myorigin(self):
        q = self.submit("joe", "--", "ann")
        self.assertEqual(sorted(q["rcpts"]),
                         ["ann@example.org", "joe@example.org"])

    def test_extract_recipients(self):
        msg = (b"From: me@example.org\n"
               b"To: Joe <to@example.com>, undisclosed-recipients:;\n"
               b"Cc: \"Smith, Ann\" <cc@example.com> (comment),\n"
               b"\tfold@example.com\n"
               b"Bcc: hidden@example.com\n"
               b"Subject: extract\n"
               b"\n"
               b"body\n")
        q = self.submit("-t", "extra@example.com", input=msg)
        self.assertEqual(sorted(q["rcpts"]),
                         ["cc@example.com", "extra@example.com",
                          "fold@example.com", "hidden@example.com",
                          "to@example.com"])
        names = [n for n, _ in headers_of(q["content"])]
        self.assertNotIn("bcc", names)
        self.assertNotIn(b"hidden@example.com", q["content"])
        self.assertIn(b"Cc: \"Smith, Ann\" <cc@example.com> (comment),\r\n"
                      b"\tfold@example.com\r\n", q["content"])

    def test_extract_without_recipients(self):
        before = set(os.listdir(self.active))
        r = self.sendmail("-t", input=b"Subject: none\n\nx\n")
        self.assertEqual(r.returncode, EX_DATAERR)
        self.assertIn(b"no recipient addresses found", r.stderr)
        r = self.sendmail("-t", input=b"To: John Smith\n\nx\n")
        self.assertEqual(r.returncode, EX_DATAERR)
        self.assertIn(b"malformed address in To header", r.stderr)
        self.assertNothingQueued(before)

    def test_sender_and_full_name(self):
        q = self.submit("-f", "sender@example.net", "-F", 'Ann "A" Admin',
                        "r@example.com")
        self.assertEqual(q["sender"], "sender@example.net")
        hdrs = dict(headers_of(q["content"]))
        self.assertEqual(hdrs["from"],
                         '"Ann \\"A\\" Admin" <sender@example.net>')
        q = self.submit("-fother@example.net", "r@example.com")
        self.assertEqual(q["sender"], "other@example.net")
        q = self.submit("-r", "<x@example.net>", "r@example.com")
        self.assertEqual(q["sender"], "x@example.net")
        q = self.submit("-f", "", "r@example.com")
        self.assertEqual(q["sender"], "")
        q = self.submit("-f", "<>", "r@example.com")
        self.assertEqual(q["sender"], "")
        q = self.submit("-f", "bare", "r@example.com")
        self.assertEqual(q["sender"], "bare@example.org")
        # A From: of the message's own is kept as it is.
        q = self.submit("-F", "Ignored", "r@example.com",
                        input=b"From: Mine <mine@example.com>\n\nx\n")
        self.assertEqual(dict(headers_of(q["content"]))["from"],
                         "Mine <mine@example.com>")

    def test_date_and_message_id(self):
        q = self.submit("r@example.com", input=b"Subject: s\n\nx\n")
        hdrs = dict(headers_of(q["content"]))
        self.assertRegex(hdrs["date"],
                         r"^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
        myhostname = self.mr.mailroom("config", "myhostname",
                                      check=True).stdout.split("=")[1].strip()
        self.assertRegex(hdrs["message-id"],
                         r"^<\d{14}\.\d{6}\.\d+@%s>$" % myhostname)
        self.assertEqual(hdrs["from"],
                         "%s@example.org" % mrtest.current_user())
        msg = (b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
               b"Message-ID: <keep@example.com>\n\nx\n")
        q = self.submit("r@example.com", input=msg)
        fields = headers_of(q["content"])
        self.assertEqual([v for n, v in fields if n == "date"],
                         ["Mon, 1 Jan 2024 00:00:00 +0000"])
        self.assertEqual([v for n, v in fields if n == "message-id"],
                         ["<keep@example.com>"])

    def test_dot_line(self):
        msg = b"Subject: dots\n\nbefore\n.\nafter\n..two\n"
        q = self.submit("-i", "r@example.com", input=msg)
        self.assertEqual(body_of(q["content"]),
                         b"before\r\n.\r\nafter\r\n..two\r\n")
        q = self.submit("-oi", "r@example.com", input=msg)
        self.assertEqual(body_of(q["content"]),
                         b"before\r\n.\r\nafter\r\n..two\r\n")
        # Without -i a "." line ends the input, as with sendmail.
        q = self.submit("r@example.com", input=msg)
        self.assertEqual(body_of(q["content"]), b"before\r\n")

    def test_line_ends_and_long_lines(self):
        msg = (b"Subject: " + b"s" * 1500 + b"\r\n\r\n" +
               b"crlf\r\nbare-cr\rlf\nnoeol" + b"\n" + b"b" * 2500)
        q = self.submit("r@example.com", input=msg)
        for line in q["content"].split(b"\r\n"):
            self.assertLessEqual(len(line), 998)
            self.assertNotIn(b"\r", line)
            self.assertNotIn(b"\n", line)
        subject = dict(headers_of(q["content"]))["subject"]
        self.assertEqual(subject.replace(" ", ""), "s" * 1500)
        self.assertEqual(body_of(q["content"]),
                         b"crlf\r\nbare-cr\r\nlf\r\nnoeol\r\n" +
                         b"b" * 998 + b"\r\n" + b"b" * 998 + b"\r\n" +
                         b"b" * 504 + b"\r\n")

    def test_8bit_body(self):
        q = self.submit("r@example.com",
                        input="Subject: 8bit\n\nGr\u00fc\u00dfe\n".encode())
        self.assertEqual(q["body"], 2)  # 8BITMIME
        self.assertIn("Grüße\r\n".encode(), q["content"])
        q = self.submit("r@example.com")
        self.assertNotEqual(q["body"], 2)

    def test_dsn_options(self):
        q = self.submit("-N", "success,delay", "-R", "hdrs", "-V", "id+1 x",
                        "r@example.com")
        self.assertEqual(q["envid"], "id+1 x")
        self.assertEqual(q["ret"], 2)  # HDRS
        self.assertEqual(q["notify"], [0x02 | 0x08])
        r = self.sendmail("-N", "never,success", "r@example.com")
        self.assertEqual(r.returncode, EX_USAGE)

    def test_rejected_recipient(self):
        before = set(os.listdir(self.active))
        r = self.sendmail("ok@example.com", "nosuchuser@localhost",
                          input=b"Subject: x\n\nx\n")
        self.assertEqual(r.returncode, EX_NOUSER, r.stderr)
        self.assertIn(b"sendmail: <nosuchuser@localhost>: 550 5.1.1 ",
                      r.stderr)
        self.assertIn(b"User unknown", r.stderr)
        # All or nothing: the good recipient did not get it either.
        self.assertNothingQueued(before)
        r = self.sendmail("-oeq", "nosuchuser@localhost", input=b"x\n")
        self.assertEqual(r.returncode, EX_NOUSER)
        self.assertEqual(r.stderr, b"")

    def test_usage_errors(self):
        r = self.sendmail("-Z", "r@example.com")
        self.assertEqual(r.returncode, EX_USAGE)
        self.assertIn(b"usage:", r.stderr)
        r = self.sendmail(input=b"x\n")
        self.assertEqual(r.returncode, EX_USAGE)
        r = self.sendmail("bad@@example.com", input=b"x\n")
        self.assertEqual(r.returncode, EX_DATAERR)
        # Accepted and ignored.
        self.submit("-odi", "-oem", "-B", "8BITMIME", "-L", "x", "-m",
                    "-O", "a=b", "r@example.com")

    def test_message_too_big(self):
        r = self.sendmail("-C", self.mr.dir, "r@example.com",
                          input=b"x" * 100 + b"\n" +
                          b"y" * 10240000 + b"\n")
        self.assertEqual(r.returncode, EX_DATAERR)
        self.assertIn(b"message too big", r.stderr)

    def test_bs_session(self):
        dialogue = (b"EHLO client.example\r\n"
                    b"MAIL FROM:<bs@example.org>\r\n"
                    b"RCPT TO:<bs-rcpt@example.com>\r\n"
                    b"DATA\r\n"
                    b"Subject: bs\r\n\r\nvia -bs\r\n.\r\n"
                    b"QUIT\r\n")
        before = set(os.listdir(self.active))
        r = self.sendmail("-bs", input=dialogue)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.split(b"\r\n")
        self.assertTrue(lines[0].startswith(b"220 "), lines)
        self.assertIn(b"250 2.1.0 Ok", lines)
        self.assertIn(b"250 2.1.5 Ok", lines)
        self.assertIn(b"354 End data with <CR><LF>.<CR><LF>", lines)
        self.assertTrue(any(l.startswith(b"250 2.0.0 Ok: queued as ")
                            for l in lines), lines)
        self.assertEqual(lines[-2], b"221 2.0.0 Bye")
        new = set(os.listdir(self.active)) - before
        self.assertEqual(len(new), 1)
        q = read_queue_file(os.path.join(self.active, new.pop()))
        self.assertEqual(q["rcpts"], ["bs-rcpt@example.com"])
        self.assertEqual(body_of(q["content"]), b"via -bs\r\n")
        # A session that ends without QUIT ends too (LF becomes CR LF).
        r = self.sendmail("-bs", input=b"EHLO client.example\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"\r\n250-PIPELINING\r\n", r.stdout)

    def test_mailq(self):
        self.assertEqual(os.readlink(MAILQ), "sendmail")
        q = self.submit("r@example.com")
        for argv in ([MAILQ, "-C", self.mr.dir],
                     [SENDMAIL, "-bp", "-C", self.mr.dir]):
            r = subprocess.run(argv, capture_output=True, timeout=60,
                               env=self.mr.env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(q["id"].encode(), r.stdout)

    def test_ordinary_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch to an ordinary user")
        if shutil.which("setpriv") is None or shutil.which("useradd") is None:
            self.skipTest("needs setpriv and useradd")
        created = False
        try:
            pwd.getpwnam(TEST_USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", TEST_USER],
                           check=True, capture_output=True)
            created = True
        if created:
            self.addCleanup(subprocess.run, ["userdel", TEST_USER],
                            capture_output=True)
        uid = pwd.getpwnam(TEST_USER).pw_uid
        as_user = ["setpriv", "--reuid", TEST_USER, "--regid", TEST_USER,
                   "--clear-groups"]
        queue = os.path.join(self.mr.dir, "queue")
        # The user cannot write the queue: submission is the only way in.
        for d in (queue, self.active, os.path.join(queue, "incoming")):
            r = subprocess.run(as_user + ["test", "-w", d])
            self.assertNotEqual(r.returncode, 0, d + " is writable")
        # ... but can reach the public socket (queue_directory must be
        # searchable by everyone, like Postfix's 0755; public/ too).
        r = subprocess.run(as_user + ["test", "-x", queue])
        self.assertEqual(r.returncode, 0,
                         "queue_directory %s is not searchable by an "
                         "ordinary user: local submission through "
                         "public/pickup is impossible (master creates it "
                         "0700; it needs 0755)" % queue)
        q = self.submit("-f", "forged@example.com", "r@example.com",
                        prefix=as_user)
        # Whatever the user claims, the Received header tells the truth.
        self.assertEqual(q["sender"], "forged@example.com")
        self.assertIn(b"(mailroom, from userid %d)" % uid, q["content"])
        q = self.submit("r@example.com", prefix=as_user)
        self.assertEqual(q["sender"], TEST_USER + "@example.org")


class SendmailDownTest(unittest.TestCase):
    """The mail system is not running: sendmail says so with 69."""

    def test_system_stopped(self):
        mr = mrtest.Instance()
        self.addCleanup(mr.cleanup)
        r = subprocess.run([SENDMAIL, "-C", mr.dir, "r@example.com"],
                           input=b"Subject: x\n\nx\n", capture_output=True,
                           timeout=60, env=mr.env)
        self.assertEqual(r.returncode, EX_UNAVAILABLE, r.stderr)
        self.assertIn(b"cannot connect to the mail system", r.stderr)
        r = subprocess.run([SENDMAIL, "-C", mr.dir, "-bs"], input=b"",
                           capture_output=True, timeout=60, env=mr.env)
        self.assertEqual(r.returncode, EX_UNAVAILABLE)

    def test_bad_config(self):
        r = subprocess.run([SENDMAIL, "-C", "/nonexistent/dir", "r@x.com"],
                           input=b"x\n", capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 78)
        env = dict(os.environ, MAILROOM_CONFIG="/nonexistent/env")
        r = subprocess.run([SENDMAIL, "r@x.com"], input=b"x\n",
                           capture_output=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 78)
        self.assertIn(b"/nonexistent/env", r.stderr)


if __name__ == "__main__":
    unittest.main()
