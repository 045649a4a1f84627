"""test_queue_cmd - `mailroom queue`: list (mailq format and --json), show,
delete, hold, release, requeue and flush on a real instance.

Mail is injected over SMTP with smtplib; with no qmgr running it stays in
queue/active/. A deferred message is made by renaming a file from active/
to deferred/, as qmgr would.
"""
import json
import os
import re
import smtplib
import subprocess
import time
import unittest

import mrtest

HEADER = ("-Queue ID-  --Size-- ----Arrival Time---- "
          "-Sender/Recipient-------")
ID_RE = re.compile(r"^[0-9A-Za-z]{21}$")
QUEUED_RE = re.compile(r"^2\.0\.0 Ok: queued as ([0-9A-Za-z]{21})$")
JSON_KEYS = ["queue_name", "queue_id", "arrival_time", "message_size",
             "forced_expire", "sender", "recipients"]
STATES = ("incoming", "active", "deferred", "hold", "corrupt")

# Messages as sent: CRLF line ends, one line that SMTP dot-stuffs.
PLAIN = (b"From: alice@example.com\r\nTo: bob@example.net\r\n"
         b"Subject: plain\r\n\r\nHello.\r\n.leading dot\r\n")
BOUNCE = (b"From: MAILER-DAEMON@example.com\r\nSubject: bounce\r\n\r\n"
          b"Undeliverable.\r\n")
EIGHT_BIT = (b"From: carol@example.org\r\nSubject: 8bit\r\n"
             b"Content-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\n"
             b"caf\xc3\xa9 \xe2\x82\xac\r\nlatin-1 \xe9\r\n")


class QueueCmdTest(mrtest.InstanceTest):
    # No qmgr: the messages stay where each test puts them.
    DROP_SERVICES = ("qmgr",)

    def setUp(self):
        super().setUp()
        self.mr.start()
        self.qdir = os.path.join(self.mr.dir, "queue")

    # --- helpers ---------------------------------------------------------

    def send(self, sender, rcpts, body, mail_options=(), rcpt_options=()):
        """Send one message; return its queue ID from the 250 reply."""
        with smtplib.SMTP("127.0.0.1", self.mr.port("smtp"),
                          timeout=mrtest.WAIT_S) as s:
            s.ehlo("client.example")
            code, reply = s.mail(sender, list(mail_options))
            self.assertEqual(code, 250, reply)
            for r in rcpts:
                code, reply = s.rcpt(r, list(rcpt_options))
                self.assertEqual(code, 250, reply)
            code, reply = s.data(body)
            self.assertEqual(code, 250, reply)
        m = QUEUED_RE.match(reply.decode())
        self.assertIsNotNone(m, reply)
        return m.group(1)

    def queue(self, *args, input=None):
        return self.mr.mailroom("queue", *args, input=input)

    def queue_bytes(self, *args):
        """Run `mailroom queue ARGS` and keep stdout as bytes."""
        return subprocess.run(
            [mrtest.MAILROOM, "-c", self.mr.dir, "queue"] + list(args),
            capture_output=True, timeout=60, env=self.mr.env)

    def state_of(self, qid):
        found = [s for s in STATES
                 if os.path.exists(os.path.join(self.qdir, s, qid))]
        self.assertLessEqual(len(found), 1, found)
        return found[0] if found else None

    def to_deferred(self, qid):
        os.rename(os.path.join(self.qdir, "active", qid),
                  os.path.join(self.qdir, "deferred", qid))

    def json_list(self):
        r = self.queue("list", "--json")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        return [json.loads(line) for line in r.stdout.splitlines()]

    def content(self, qid):
        """The stored content, as `queue show` prints it."""
        r = self.queue_bytes("show", qid)
        self.assertEqual(r.returncode, 0, r.stderr)
        start = r.stdout.index(b"*** MESSAGE CONTENTS ***\n") + 25
        self.assertTrue(r.stdout.endswith(b"*** END OF MESSAGE ***\n"))
        return r.stdout[start:-len(b"*** END OF MESSAGE ***\n")]

    def tree(self):
        """Every path under the instance, with inode and mtime."""
        out = {}
        for root, dirs, files in os.walk(self.mr.dir):
            if "/log" in root[len(self.mr.dir):]:
                continue
            for name in files:
                p = os.path.join(root, name)
                st = os.lstat(p)
                out[p] = (st.st_ino, st.st_mtime_ns, st.st_size)
        return out

    def inject_three(self):
        """Three messages; returns their IDs in arrival order."""
        a = self.send("alice@example.com",
                      ["bob@example.net", "dave@example.net"], PLAIN)
        b = self.send("", ["postmaster@example.net"], BOUNCE)
        c = self.send("carol@example.org", ["erin@example.org"], EIGHT_BIT,
                      mail_options=["BODY=8BITMIME"],
                      rcpt_options=["NOTIFY=SUCCESS,FAILURE",
                                    "ORCPT=rfc822;orig+2Berin@example.org"])
        return [a, b, c]

    # --- list ------------------------------------------------------------

    def test_empty_queue(self):
        r = self.queue("list")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, "Mail queue is empty\n", ""))
        r = self.queue("list", "--json")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_list_format(self):
        t0 = int(time.time())
        ids = self.inject_three()
        t1 = int(time.time())
        self.assertEqual(ids, sorted(ids))  # IDs sort by arrival
        senders = ["alice@example.com", "MAILER-DAEMON", "carol@example.org"]
        rcpts = [["bob@example.net", "dave@example.net"],
                 ["postmaster@example.net"], ["erin@example.org"]]
        sizes = [len(self.content(i)) for i in ids]
        info = {o["queue_id"]: o for o in self.json_list()}

        expected = [HEADER]
        for n, qid in enumerate(ids):
            arrival = info[qid]["arrival_time"]
            self.assertTrue(t0 <= arrival <= t1, (t0, arrival, t1))
            when = time.strftime("%a %b %e %H:%M:%S",
                                 time.localtime(arrival))
            if n > 0:
                expected.append("")
            # "%-11s %7d %20.20s %s": the ID overflows the first column.
            expected.append("%s* %7d %s  %s" % (qid, sizes[n], when,
                                                 senders[n]))
            for addr in rcpts[n]:
                expected.append(" " * 41 + addr)
        expected += ["", "-- %d Kbytes in 3 Requests." % (sum(sizes) // 1024)]

        r = self.queue("list")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout.split("\n"), expected + [""])
        line = r.stdout.splitlines()[1]
        self.assertRegex(line, r"^[0-9A-Za-z]{21}\* +\d+ [A-Z][a-z]{2} "
                         r"[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d  \S+$")

    def test_list_json(self):
        t0 = int(time.time())
        ids = self.inject_three()
        t1 = int(time.time())
        objs = self.json_list()
        self.assertEqual([o["queue_id"] for o in objs], ids)
        for o, qid in zip(objs, ids):
            self.assertEqual(list(o.keys()), JSON_KEYS)
            self.assertEqual(o["queue_name"], "active")
            self.assertIsInstance(o["arrival_time"], int)
            self.assertTrue(t0 <= o["arrival_time"] <= t1)
            self.assertEqual(o["message_size"], len(self.content(qid)))
            self.assertIs(o["forced_expire"], False)
        self.assertEqual(objs[0]["sender"], "alice@example.com")
        self.assertEqual(objs[0]["recipients"],
                         [{"address": "bob@example.net"},
                          {"address": "dave@example.net"}])
        self.assertEqual(objs[1]["sender"], "MAILER-DAEMON")
        self.assertEqual(objs[1]["recipients"],
                         [{"address": "postmaster@example.net"}])
        self.assertEqual(objs[2]["recipients"],
                         [{"address": "erin@example.org"}])

        # Non-ASCII addresses (SMTPUTF8) come out as UTF-8 JSON text.
        d = self.send("j\u00f6rg@example.com", ["\u00e9lise@example.org"],
                      b"Subject: utf8\r\n\r\nx\r\n",
                      mail_options=["SMTPUTF8"])
        r = self.queue_bytes("list", "--json")
        self.assertEqual(r.returncode, 0)
        last = r.stdout.splitlines()[-1]
        self.assertIn("j\u00f6rg@example.com".encode(), last)
        o = json.loads(last.decode("utf-8"))
        self.assertEqual(o["queue_id"], d)
        self.assertEqual(o["sender"], "j\u00f6rg@example.com")
        self.assertEqual(o["recipients"],
                         [{"address": "\u00e9lise@example.org"}])

    def test_list_skips_corrupt_file(self):
        qid = self.send("alice@example.com", ["bob@example.net"], PLAIN)
        bad = "0000000001" + "00000000001"
        path = os.path.join(self.qdir, "deferred", bad)
        with open(path, "wb") as f:
            f.write(b"MRQF\x01\x00\x00\x00garbage")
        r = self.queue("list")
        self.assertEqual(r.returncode, 0)
        self.assertIn("warning: %s: deferred: corrupt queue file skipped"
                      % bad, r.stderr)
        self.assertIn(qid + "*", r.stdout)
        self.assertNotIn(bad, r.stdout)
        self.assertTrue(r.stdout.endswith("-- 0 Kbytes in 1 Request.\n"))
        r = self.queue("list", "--json")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(len(r.stdout.splitlines()), 1)
        # Read-only: the file stays where it was.
        self.assertTrue(os.path.exists(path))
        self.assertEqual(os.listdir(os.path.join(self.qdir, "corrupt")), [])
        # show refuses it; delete removes it.
        r = self.queue("show", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("corrupt queue file", r.stderr)
        r = self.queue("delete", bad)
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Deleted: 1 message\n"))
        self.assertFalse(os.path.exists(path))

    # --- show ------------------------------------------------------------

    def test_show(self):
        ids = self.inject_three()

        # The content: smtpd's Received: header, then the message as
        # sent, dot-unstuffed (".leading dot" went over the wire as "..").
        body = self.content(ids[0])
        self.assertTrue(body.endswith(PLAIN), body)
        received = body[:-len(PLAIN)].decode()
        # Two recipients: no "for <...>" clause.
        self.assertRegex(received,
                         r"^Received: from client\.example \(\S+ "
                         r"\[127\.0\.0\.1\]\)\r\n\tby \S+ \(\S+\) with "
                         r"ESMTP id %s;\r\n\t[^\r\n]+\r\n$" % ids[0])
        eight = self.content(ids[2])
        self.assertTrue(eight.endswith(EIGHT_BIT))
        self.assertTrue(eight.startswith(b"Received: from client.example"))

        r = self.queue_bytes("show", ids[2])
        self.assertEqual(r.returncode, 0)
        env = r.stdout.split(b"*** MESSAGE CONTENTS ***\n")[0]
        env = env.decode().splitlines()
        self.assertEqual(env[0], "*** ENVELOPE RECORDS ***")
        fields = [tuple(line.split(": ", 1)) for line in env[1:]]
        self.assertIn(("queue_name", "active"), fields)
        self.assertIn(("queue_id", ids[2]), fields)
        self.assertIn(("message_size", str(len(eight))), fields)
        self.assertIn(("sender", "carol@example.org"), fields)
        self.assertIn(("body_type", "8BITMIME"), fields)
        self.assertIn(("client_address", "127.0.0.1"), fields)
        self.assertIn(("helo_name", "client.example"), fields)
        self.assertIn(("protocol_name", "ESMTP"), fields)
        i = fields.index(("recipient", "erin@example.org"))
        self.assertEqual(fields[i + 1:i + 4], [
            ("recipient_status", "pending"),
            ("dsn_orig_rcpt", "rfc822;orig+erin@example.org"),
            ("dsn_notify", "SUCCESS,FAILURE"),
        ])
        self.assertRegex(dict(fields)["message_arrival_time"],
                         r"^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 123]\d "
                         r"\d\d:\d\d:\d\d \d{4}$")

        # The null sender shows as an empty sender record.
        r = self.queue("show", ids[1])
        self.assertIn("\nsender: \n", r.stdout)

        # -h: the header lines only; -b: the body only.
        r = self.queue_bytes("show", "-h", ids[0])
        self.assertEqual(r.returncode, 0)
        head = r.stdout.split(b"*** MESSAGE CONTENTS ***\n")[1]
        self.assertEqual(head, body.split(b"\r\n\r\n")[0] + b"\r\n"
                         b"*** END OF MESSAGE ***\n")
        r = self.queue_bytes("show", "-b", ids[2])
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.endswith(
            b"*** MESSAGE CONTENTS ***\n" + EIGHT_BIT.split(b"\r\n\r\n")[1]
            + b"*** END OF MESSAGE ***\n"))

        # Deferred and held messages are found too.
        self.to_deferred(ids[0])
        self.assertEqual(self.content(ids[0]), body)
        self.assertIn("queue_name: deferred\n", self.queue("show",
                                                          ids[0]).stdout)

    def test_show_split_across_chunks(self):
        # Content is stored in 65536-byte records; put the CR of the empty
        # line after the header last in the first record and its LF first
        # in the second, so -h and -b must carry the CR over.
        probe = self.send("a@example.com", ["b@example.net"],
                          b"Subject: probe\r\n\r\nx\r\n")
        received = len(self.content(probe)) - len(b"Subject: probe\r\n"
                                                   b"\r\nx\r\n")
        header_len = 65535 - received
        lines = []
        while header_len > 0:
            n = min(header_len, 900)
            if header_len - n in range(1, 12):
                n -= 12  # leave room for one more "X-Pad: " line
            lines.append(b"X-Pad: " + b"p" * (n - 9) + b"\r\n")
            header_len -= n
        header = b"".join(lines)
        body = b"body line\r\n" * 10
        qid = self.send("a@example.com", ["b@example.net"],
                        header + b"\r\n" + body)
        content = self.content(qid)
        self.assertEqual(content[65535:65537], b"\r\n")
        self.assertEqual(content[65533:65535], b"\r\n")
        r = self.queue_bytes("show", "-h", qid)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.split(b"*** MESSAGE CONTENTS ***\n")[1],
                         content[:65535] + b"*** END OF MESSAGE ***\n")
        r = self.queue_bytes("show", "-b", qid)
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.split(b"*** MESSAGE CONTENTS ***\n")[1],
                         body + b"*** END OF MESSAGE ***\n")

    def test_show_unknown_and_invalid(self):
        missing = "0000000001" + "0000000000z"
        r = self.queue("show", missing)
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "mailroom: %s: no such message in the "
                          "queue\n" % missing))
        r = self.queue("show", "../etc/passwd")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, "", "mailroom: invalid queue ID: "
                          "../etc/passwd\n"))
        r = self.queue("show")
        self.assertEqual(r.returncode, 64)

    # --- delete, hold, release -------------------------------------------

    def test_hold_release_delete(self):
        ids = self.inject_three()

        r = self.queue("hold", ids[1])
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, "", "mailroom: Placed on hold: 1 message\n"))
        self.assertEqual(self.state_of(ids[1]), "hold")
        out = self.queue("list").stdout
        self.assertRegex(out, r"(?m)^%s! +\d+ .*  MAILER-DAEMON$" % ids[1])
        self.assertRegex(out, r"(?m)^%s\* " % ids[0])
        self.assertEqual([o["queue_name"] for o in self.json_list()],
                         ["active", "hold", "active"])

        # Holding it again changes nothing and is no error.
        r = self.queue("hold", ids[1])
        self.assertEqual((r.returncode, r.stderr), (0, ""))

        r = self.queue("release", ids[1])
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Released from hold: 1 message\n"))
        self.assertEqual(self.state_of(ids[1]), "active")
        self.assertRegex(self.queue("list").stdout,
                         r"(?m)^%s\* " % ids[1])

        r = self.queue("hold", "ALL")
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Placed on hold: 3 messages\n"))
        self.assertEqual([self.state_of(i) for i in ids], ["hold"] * 3)
        r = self.queue("release", "ALL")
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Released from hold: 3 messages\n"))
        self.assertEqual([self.state_of(i) for i in ids], ["active"] * 3)

        r = self.queue("delete", ids[0])
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Deleted: 1 message\n"))
        self.assertIsNone(self.state_of(ids[0]))
        self.assertEqual([o["queue_id"] for o in self.json_list()], ids[1:])
        self.assertIn("%s: removed" % ids[0], self.mr.log())
        self.assertIn("%s: placed on hold" % ids[1], self.mr.log())

        # An unknown ID fails; the others are still processed.
        r = self.queue("delete", ids[0], ids[1])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr,
                         "mailroom: %s: no such message in the queue\n"
                         "mailroom: Deleted: 1 message\n" % ids[0])

        self.queue("hold", ids[2])
        r = self.queue("delete", "ALL")
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Deleted: 1 message\n"))
        r = self.queue("list")
        self.assertEqual((r.returncode, r.stdout), (0, "Mail queue is empty\n"))
        r = self.queue("delete", "ALL")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_ids_from_stdin(self):
        ids = self.inject_three()
        r = self.queue("delete", "-",
                       input="%s\n  %s  \n\nnot-an-id\n" % (ids[0], ids[2]))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "mailroom: invalid queue ID: not-an-id\n"
                         "mailroom: Deleted: 2 messages\n")
        self.assertEqual([o["queue_id"] for o in self.json_list()],
                         [ids[1]])
        r = self.queue("hold", "-", input=ids[1])
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Placed on hold: 1 message\n"))
        r = self.queue("release", "-", input="x" * 5000 + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("too long", r.stderr)
        self.assertEqual(self.state_of(ids[1]), "hold")

    def test_invalid_ids_touch_nothing(self):
        ids = self.inject_three()
        self.to_deferred(ids[1])
        # What "../etc/passwd" would reach from queue/active/.
        os.mkdir(os.path.join(self.qdir, "etc"))
        target = os.path.join(self.qdir, "etc", "passwd")
        with open(target, "w") as f:
            f.write("root:x:0:0::/root:/bin/sh\n")
        before = self.tree()
        bad = ["../etc/passwd", "x", "", ids[0] + "0", ids[0][:-1],
               ids[0][:-1] + "/", ids[0][:-1] + ".", "ALL/../x"]
        for verb in ("delete", "hold", "release", "requeue", "show"):
            for b in bad:
                r = self.queue(verb, b)
                self.assertEqual(r.returncode, 1, (verb, b, r.stderr))
                self.assertEqual(r.stderr, "mailroom: invalid queue ID: "
                                 "%s\n" % b, (verb, b))
        r = self.queue("delete", "-", input="\n".join(bad) + "\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(self.tree(), before)
        self.assertTrue(os.path.exists(target))

    # --- requeue, flush --------------------------------------------------

    def test_requeue_and_flush(self):
        ids = self.inject_three()
        self.to_deferred(ids[0])
        self.to_deferred(ids[1])

        # Deferred messages have no status character.
        out = self.queue("list").stdout
        self.assertRegex(out, r"(?m)^%s +\d+ [A-Z]" % ids[0])
        self.assertRegex(out, r"(?m)^%s +\d+ .*  MAILER-DAEMON$" % ids[1])
        self.assertRegex(out, r"(?m)^%s\* " % ids[2])
        self.assertEqual([o["queue_name"] for o in self.json_list()],
                         ["deferred", "deferred", "active"])

        r = self.queue("requeue", ids[0])
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Requeued: 1 message\n"))
        self.assertEqual(self.state_of(ids[0]), "active")
        self.assertIn("%s: requeued" % ids[0], self.mr.log())

        # requeue leaves held mail alone; flush moves only deferred mail.
        self.queue("hold", ids[2])
        r = self.queue("requeue", ids[2])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(self.state_of(ids[2]), "hold")
        self.to_deferred(ids[0])
        r = self.queue("flush")
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Flushed: 2 messages\n"))
        self.assertEqual([self.state_of(i) for i in ids],
                         ["active", "active", "hold"])
        r = self.queue("flush")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = self.queue("flush", ids[0])
        self.assertEqual(r.returncode, 64)

        # requeue ALL: deferred -> active, active counted, hold kept.
        self.to_deferred(ids[1])
        r = self.queue("requeue", "ALL")
        self.assertEqual((r.returncode, r.stderr),
                         (0, "mailroom: Requeued: 2 messages\n"))
        self.assertEqual([self.state_of(i) for i in ids],
                         ["active", "active", "hold"])

    def test_usage(self):
        for args in ([], ["bogus"], ["list", "-x"], ["delete"],
                     ["show", "-h"]):
            r = self.queue(*args)
            self.assertEqual(r.returncode, 64, args)
            self.assertIn("usage:", r.stderr)


if __name__ == "__main__":
    unittest.main()
