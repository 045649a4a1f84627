"""test_imapd_fetch - FETCH in depth: body sections, partial fetches of a
1 MB attachment returning exact octets, nested messages, BODYSTRUCTURE,
files with CR LF or odd line ends, and the cache file (docs/imapd.md).

Messages are written straight into the Maildir (as another delivery
program would) so every octet is known; the expected answers are cut
from those octets here, independently of the server's MIME parser.
"""
import base64
import email
import os
import random
import re

import mrtest
from imapclient import ImapTest, crlf

BOUNDARY = b"=-b1"


def multipart(attachment):
    head = (b"From: Sender <sender@example.org>\n"
            b"To: rcpt@example.org\n"
            b"Subject: with attachment\n"
            b"Message-ID: <att@example.org>\n"
            b"MIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"" + BOUNDARY +
            b"\"\n\n")
    part1_head = b"Content-Type: text/plain; charset=us-ascii\n\n"
    part1_body = b"See the attachment.\nSecond line.\n"
    part2_head = (b"Content-Type: application/octet-stream; "
                  b"name=\"data.bin\"\n"
                  b"Content-Disposition: attachment; filename=\"data.bin\"\n"
                  b"Content-Transfer-Encoding: base64\n\n")
    part2_body = base64.encodebytes(attachment)
    msg = (head + b"preamble\n--" + BOUNDARY + b"\n" + part1_head +
           part1_body + b"\n--" + BOUNDARY + b"\n" + part2_head +
           part2_body + b"\n--" + BOUNDARY + b"--\nepilogue\n")
    return msg, head, part1_head, part1_body, part2_head, part2_body


class FetchTest(ImapTest):

    def setUp(self):
        self.md = self.add_user(self.id().split(".")[-1].replace("_", "")
                                [4:20])
        self.user = os.path.basename(os.path.dirname(self.md))

    def test_sections_and_partial_of_1mb_attachment(self):
        rnd = random.Random(7)
        attachment = rnd.randbytes(1000000)
        msg, head, p1h, p1b, p2h, p2b = multipart(attachment)
        self.put(self.md, "1700000000.M1P1.test:2,", msg)
        c = self.raw(self.user)
        c.cmd(b"SELECT INBOX")

        def fetch(item):
            r = c.cmd(b"FETCH 1 (" + item + b")")
            self.assertEqual(r[-1][-16:], b"Fetch completed.", item)
            m = re.match(rb"^\* 1 FETCH \(([^ ]+) \{(\d+)\}\r\n", r[0],
                         re.S)
            self.assertIsNotNone(m, r[0][:200])
            data = r[0][m.end():]
            self.assertEqual(data[-1:], b")")
            self.assertEqual(len(data) - 1, int(m.group(2)))
            return m.group(1), data[:-1]

        self.assertEqual(fetch(b"BODY.PEEK[]"), (b"BODY[]", crlf(msg)))
        self.assertEqual(fetch(b"BODY.PEEK[HEADER]"),
                         (b"BODY[HEADER]", crlf(head)))
        self.assertEqual(fetch(b"BODY.PEEK[TEXT]"),
                         (b"BODY[TEXT]", crlf(msg[len(head):])))
        self.assertEqual(fetch(b"BODY.PEEK[1]"), (b"BODY[1]", crlf(p1b)))
        self.assertEqual(fetch(b"BODY.PEEK[1.MIME]"),
                         (b"BODY[1.MIME]", crlf(p1h)))
        self.assertEqual(fetch(b"BODY.PEEK[2.MIME]"),
                         (b"BODY[2.MIME]", crlf(p2h)))
        whole = crlf(p2b)
        self.assertEqual(fetch(b"BODY.PEEK[2]"), (b"BODY[2]", whole))
        self.assertEqual(base64.b64decode(whole), attachment)
        # Partial fetches: origins and lengths in the CR LF form.
        for start, count in ((0, 100), (1, 1), (76, 2), (77, 3),
                             (700000, 65536), (len(whole) - 10, 100),
                             (len(whole), 10), (len(whole) + 5, 10)):
            name, data = fetch(b"BODY.PEEK[2]<%d.%d>" % (start, count))
            self.assertEqual(name, b"BODY[2]<%d>" % start)
            self.assertEqual(data, whole[start:start + count],
                             (start, count))
        name, data = fetch(b"BODY.PEEK[]<10.20>")
        self.assertEqual(data, crlf(msg)[10:30])
        # Header fields, in message order, then the empty line.
        r = c.cmd(b"FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]")
        self.assertEqual(r[0], b"* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT "
                         b"FROM)] {63}\r\nFrom: Sender <sender@example.org>"
                         b"\r\nSubject: with attachment\r\n\r\n)")
        r = c.cmd(b"FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (To From "
                  b"Message-ID Content-Type)]")
        self.assertEqual(r[0], b"* 1 FETCH (BODY[HEADER.FIELDS.NOT (TO "
                         b"FROM MESSAGE-ID CONTENT-TYPE)] {47}\r\nSubject: "
                         b"with attachment\r\nMIME-Version: 1.0\r\n\r\n)")
        # Sections that name nothing are empty.
        self.assertEqual(fetch(b"BODY.PEEK[3]"), (b"BODY[3]", b""))
        self.assertEqual(fetch(b"BODY.PEEK[1.HEADER]"),
                         (b"BODY[1.HEADER]", b""))
        # RFC822.*, several items in one response.
        r = c.cmd(b"FETCH 1 (RFC822.HEADER RFC822.SIZE)")
        self.assertEqual(r[0], b"* 1 FETCH (RFC822.SIZE %d RFC822.HEADER "
                         b"{%d}\r\n" % (len(crlf(msg)), len(crlf(head))) +
                         crlf(head) + b")")
        self.assertEqual(r[1], b"t%d OK Fetch completed." % c.tags)
        # BODYSTRUCTURE and BODY.
        r = c.cmd(b"FETCH 1 (BODYSTRUCTURE BODY)")
        self.assertEqual(r[0], (
            b"* 1 FETCH (BODY ((\"text\" \"plain\" (\"charset\" "
            b"\"us-ascii\") NIL NIL \"7bit\" %d 2)(\"application\" "
            b"\"octet-stream\" (\"name\" \"data.bin\") NIL NIL \"base64\" "
            b"%d) \"mixed\") BODYSTRUCTURE ((\"text\" \"plain\" "
            b"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" %d 2 NIL NIL NIL "
            b"NIL)(\"application\" \"octet-stream\" (\"name\" \"data.bin\") "
            b"NIL NIL \"base64\" %d NIL (\"attachment\" (\"filename\" "
            b"\"data.bin\")) NIL NIL) \"mixed\" (\"boundary\" \"=-b1\") NIL "
            b"NIL NIL))") % (len(crlf(p1b)), len(whole), len(crlf(p1b)),
                             len(whole)))
        # RFC822 (not PEEK) sets \Seen.
        r = c.cmd(b"FETCH 1 RFC822")
        self.assertTrue(r[0].startswith(b"* 1 FETCH (FLAGS (\\Seen) "
                                        b"RFC822 {%d}\r\n" %
                                        len(crlf(msg))), r[0][:80])
        # imaplib agrees, and the attachment decodes to its octets.
        m = self.imaplib(self.user)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1", "(BODY.PEEK[2])")
        self.assertEqual(base64.b64decode(data[0][1]), attachment)
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        parsed = email.message_from_bytes(data[0][1])
        self.assertEqual(parsed.get_payload()[1].get_payload(decode=True),
                         attachment)

    def test_nested_message_and_line_ends(self):
        inner = (b"From: inner@example.org\nSubject: inner\n\n"
                 b"inner body\n")
        outer = (b"From: outer@example.org\nSubject: fwd\n"
                 b"MIME-Version: 1.0\n"
                 b"Content-Type: multipart/mixed; boundary=xx\n\n"
                 b"--xx\nContent-Type: text/plain\n\nsee below\n"
                 b"--xx\nContent-Type: message/rfc822\n\n" + inner +
                 b"--xx--\n")
        self.put(self.md, "1700000001.M1P1.test:2,S", outer)
        # CR LF already, a bare CR, no final line end, no size in name.
        odd = b"Subject: odd\r\nX: y\n\r\nbody\rcr\nlast"
        self.put(self.md, "1700000002.M1P1.test:2,", odd)
        c = self.raw(self.user)
        c.cmd(b"SELECT INBOX")
        r = c.cmd(b"FETCH 1 (BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] "
                  b"BODY.PEEK[2.1] BODY.PEEK[2])")
        self.maxDiff = None
        # The line break before a delimiter belongs to the delimiter
        # (RFC 2046 5.1.1): the inner message ends without it.
        self.assertEqual(r[0], (
            b"* 1 FETCH (BODY[2.HEADER] {43}\r\nFrom: inner@example.org"
            b"\r\nSubject: inner\r\n\r\n BODY[2.TEXT] {10}\r\ninner body "
            b"BODY[2.1] {10}\r\ninner body BODY[2] {53}\r\n" +
            crlf(inner)[:-2] + b")"))
        r = c.cmd(b"FETCH 1 ENVELOPE")
        self.assertEqual(r[0], b"* 1 FETCH (ENVELOPE (NIL \"fwd\" ((NIL NIL "
                         b"\"outer\" \"example.org\")) ((NIL NIL \"outer\" "
                         b"\"example.org\")) ((NIL NIL \"outer\" "
                         b"\"example.org\")) NIL NIL NIL NIL NIL))")
        r = c.cmd(b"FETCH 2 (RFC822.SIZE BODY.PEEK[] BODY.PEEK[TEXT])")
        self.assertEqual(r[0], b"* 2 FETCH (RFC822.SIZE 35 BODY[] {35}\r\n"
                         b"Subject: odd\r\nX: y\r\n\r\nbody\rcr\r\nlast "
                         b"BODY[TEXT] {13}\r\nbody\rcr\r\nlast)")

    def test_cache_file(self):
        bodies = []
        for i in range(300):
            bodies.append(b"From: u%d@example.org\nSubject: cached %d\n"
                          b"Date: Tue, 3 Jan 2023 10:%02d:00 +0000\n\nx\n"
                          % (i, i, i % 60))
            self.put(self.md, "1700001%03d.M1P1.test:2," % i, bodies[-1])
        c = self.raw(self.user)
        c.cmd(b"SELECT INBOX")
        first = c.cmd(b"FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)")
        self.assertEqual(len(first), 301)
        self.assertEqual(first[7], (
            b"* 8 FETCH (UID 8 ENVELOPE (\"Tue, 3 Jan 2023 10:07:00 +0000\" "
            b"\"cached 7\" ((NIL NIL \"u7\" \"example.org\")) ((NIL NIL "
            b"\"u7\" \"example.org\")) ((NIL NIL \"u7\" \"example.org\")) "
            b"NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" "
            b"(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL "
            b"NIL))"))
        # A worker writes the cache after the FETCH is answered (whole,
        # by rename): wait for it.
        cache = os.path.join(self.md, "mailroom-imapcache")
        mrtest.wait_for(lambda: os.path.exists(cache),
                        what="the cache file")
        with open(cache, "rb") as f:
            self.assertEqual(f.read(8), b"MRIMAPC\n")
        # Served from the cache: the message files are not read. Make
        # them unreadable to prove it.
        for p in self.files(self.md):
            os.chmod(p, 0)
        c2 = self.raw(self.user)
        c2.cmd(b"EXAMINE INBOX")
        again = c2.cmd(b"FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)")
        self.assertEqual(again[:-1], first[:-1])
        for p in self.files(self.md):
            os.chmod(p, 0o600)
        c2.close()
        c.close()
        # A damaged cache is rebuilt, never trusted.
        with open(cache, "r+b") as f:
            f.seek(os.path.getsize(cache) // 2)
            f.write(b"\xff" * 64)
        c3 = self.raw(self.user)
        c3.cmd(b"EXAMINE INBOX")
        third = c3.cmd(b"FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)")
        self.assertEqual(third[:-1], first[:-1])
        with open(cache, "r+b") as f:
            f.seek(20)
            f.write(b"\xff\xff\xff\xff")
        c4 = self.raw(self.user)
        c4.cmd(b"EXAMINE INBOX")
        fourth = c4.cmd(b"FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)")
        self.assertEqual(fourth[:-1], first[:-1])
        self.assertRegex(self.mr.log(), r"warning: .*: folder INBOX: "
                         r"damaged mailroom-imapcache \(index checksum "
                         r"mismatch\); rebuilding it")
