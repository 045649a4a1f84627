"""test_imapd - imapd's commands with real clients (imaplib and a raw
socket client), against an instance whose mail comes in through smtpd
and local delivery, for users made with `mailroom user add`.

One instance serves the class; every test uses its own user. The other
test_imapd_*.py files cover FETCH in depth, several sessions and IDLE,
TLS, and mbsync/mutt.
"""
import base64
import imaplib
import os
import re
import time

import mrtest
from imapclient import ImapTest, crlf

CAPS = (b"IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT "
        b"CHILDREN UIDPLUS MOVE SPECIAL-USE")


class ImapdTest(ImapTest):

    def test_greeting_capability_states(self):
        c = self.raw()
        # `mailroom init` made a certificate: STARTTLS is offered.
        self.assertEqual(c.cmd(b"CAPABILITY"),
                         [b"* CAPABILITY " + CAPS + b" STARTTLS AUTH=PLAIN",
                          b"t1 OK Capability completed."])
        self.assertEqual(c.cmd(b"NOOP"), [b"t2 OK NOOP completed."])
        # Commands of the authenticated and selected states, refused.
        for n, verb in enumerate([b"SELECT INBOX", b"LIST \"\" *",
                                  b"FETCH 1 FLAGS", b"STORE 1 FLAGS ()",
                                  b"EXPUNGE", b"CLOSE", b"ENABLE X",
                                  b"UID FETCH 1 FLAGS", b"APPEND INBOX {1+}"
                                  b"\r\nx", b"IDLE", b"NAMESPACE"]):
            tag = b"s%d" % n
            self.assertEqual(c.cmd(verb, tag),
                             [tag + b" BAD Command not valid in this "
                              b"state."], verb)
        self.assertEqual(c.cmd(b"FROB"), [b"t3 BAD Unknown command."])
        self.assertEqual(c.cmd(b"UID LOGIN a b"),
                         [b"t4 BAD Unknown command."])
        self.assertEqual(c.cmd(b"ID NIL"),
                         [b"* ID (\"name\" \"mailroom\" \"version\" "
                          b"\"0.1.0\")", b"t5 OK ID completed."])
        self.assertEqual(c.cmd(b"ID (\"name\" \"test\")")[-1],
                         b"t6 OK ID completed.")
        self.assertEqual(c.cmd(b"ID (\"name\")"),
                         [b"t7 BAD Invalid ID arguments."])
        self.assertEqual(c.cmd(b"LOGOUT"),
                         [b"* BYE Logging out", b"t8 OK Logout completed."])
        self.assertTrue(c.closed())

        self.add_user("stella")
        c = self.raw("stella")
        self.assertEqual(c.cmd(b"CAPABILITY"),
                         [b"* CAPABILITY " + CAPS,
                          b"t2 OK Capability completed."])
        self.assertEqual(c.cmd(b"LOGIN stella secret"),
                         [b"t3 BAD Command not valid in this state."])
        self.assertEqual(c.cmd(b"FETCH 1 FLAGS"),
                         [b"t4 BAD Command not valid in this state."])
        self.assertEqual(c.cmd(b"ENABLE CONDSTORE"),
                         [b"* ENABLED", b"t5 OK Enabled."])
        self.assertEqual(c.cmd(b"NAMESPACE"),
                         [b"* NAMESPACE ((\"\" \".\")) NIL NIL",
                          b"t6 OK Namespace completed."])
        c.cmd(b"SELECT INBOX")
        self.assertEqual(c.cmd(b"ENABLE CONDSTORE"),
                         [b"t8 BAD Command not valid in this state."])
        self.assertEqual(c.cmd(b"UNSELECT"), [b"t9 OK Unselect completed."])
        self.assertEqual(c.cmd(b"CLOSE"),
                         [b"t10 BAD Command not valid in this state."])

    def test_bad_syntax(self):
        self.add_user("barry")
        c = self.raw("barry")
        c.cmd(b"SELECT INBOX")
        cases = [
            (b"a1 FETCH\r\n", b"a1 BAD FETCH needs a message set and "
             b"items."),
            (b"a2 FETCH x FLAGS\r\n", b"a2 BAD Invalid message set."),
            (b"a3 FETCH 1:* (FLAGS\r\n", b"a3 BAD Missing \")\""),
            (b"a4 FETCH 1 (FROB)\r\n", None),
            (b"a5 STORE 1 FLOGS (\\Seen)\r\n", None),
            (b"a6 SEARCH FROB\r\n", None),
            (b"a7 SELECT\r\n", b"a7 BAD SELECT needs one mailbox name."),
            (b"a8 LIST \"\"\r\n", b"a8 BAD LIST needs a reference and a "
             b"pattern."),
            (b"a9 NOOP extra\r\n", b"a9 BAD NOOP takes no arguments."),
            (b"a10 \"quoted\r\n", None),
            (b"* NOOP\r\n", b"* BAD Invalid tag"),
            (b"a11 FETCH 1 BODY[HEADER.FIELDS ()]\r\n", None),
            (b"a12 COPY 1\r\n", b"a12 BAD COPY needs a message set and a "
             b"mailbox."),
            (b"a13 STATUS INBOX (FROB)\r\n", b"a13 BAD Unknown STATUS "
             b"item."),
        ]
        for line, expected in cases:
            c.send(line)
            got = c.line()
            if expected is None:
                self.assertRegex(got, rb"^a\d+ BAD ", line)
            else:
                self.assertEqual(got, expected, line)
        # Seq numbers the client was not told of (the mailbox is empty).
        self.assertEqual(c.cmd(b"FETCH 1 FLAGS"),
                         [b"t3 BAD Invalid message sequence number."])
        self.assertEqual(c.cmd(b"FETCH 1:* FLAGS"),
                         [b"t4 OK Fetch completed."])
        self.assertEqual(c.cmd(b"UID FETCH 1:* FLAGS"),
                         [b"t5 OK Fetch completed."])
        # Still usable.
        self.assertEqual(c.cmd(b"NOOP"), [b"t6 OK NOOP completed."])

    def test_too_many_bad_commands(self):
        c = self.raw()
        for i in range(19):
            self.assertEqual(c.cmd(b"FROB"),
                             [b"t%d BAD Unknown command." % (i + 1)])
        c.send(b"t20 FROB\r\n")
        self.assertEqual(c.line(), b"t20 BAD Unknown command.")
        self.assertEqual(c.line(), b"* BYE Too many invalid commands.")
        self.assertTrue(c.closed())

    def test_limits(self):
        c = self.raw()
        # A line over 64 KiB: BAD, and the session goes on.
        c.send(b"a1 NOOP " + b"x" * 70000 + b"\r\n")
        self.assertEqual(c.line(), b"a1 BAD Line too long")
        self.assertEqual(c.cmd(b"NOOP"), [b"t1 OK NOOP completed."])
        # Nesting.
        c.send(b"a2 ID " + b"(" * 40 + b")" * 40 + b"\r\n")
        self.assertEqual(c.line(), b"a2 BAD Lists nested too deeply")
        # A literal over the in-memory limit for a command that is not
        # APPEND: refused before the client sends it.
        c.send(b"a3 LOGIN {100000}\r\n")
        self.assertEqual(c.line(), b"a3 BAD Literal too large")
        # Too many literals in one command.
        c.send(b"a4 ID (" + b" ".join(b"{1+}\r\nx" for _ in range(70))
               + b")\r\n")
        self.assertEqual(c.line(), b"a4 BAD Too many literals")
        self.assertEqual(c.cmd(b"NOOP"), [b"t2 OK NOOP completed."])

    def test_login_and_authenticate(self):
        self.add_user("lena", "pass word")
        c = self.raw()
        self.assertEqual(c.cmd(b"LOGIN lena \"pass word\"")[-1],
                         b"t1 OK [CAPABILITY " + CAPS + b"] Logged in")
        c.close()
        # AUTHENTICATE PLAIN with a continuation.
        c = self.raw()
        c.send(b"a1 AUTHENTICATE PLAIN\r\n")
        self.assertEqual(c.line(), b"+ ")
        c.send(base64.b64encode(b"\0lena\0pass word") + b"\r\n")
        self.assertEqual(c.line(),
                         b"a1 OK [CAPABILITY " + CAPS + b"] Logged in")
        c.close()
        # SASL-IR, and an aborted exchange.
        c = self.raw()
        self.assertEqual(c.cmd(b"AUTHENTICATE PLAIN *", b"a0"),
                         [b"a0 BAD Invalid AUTHENTICATE PLAIN response "
                          b"(invalid base64)."])
        c.send(b"a1 AUTHENTICATE PLAIN\r\n")
        self.assertEqual(c.line(), b"+ ")
        c.send(b"*\r\n")
        self.assertEqual(c.line(), b"a1 BAD Authentication aborted by "
                         b"client.")
        self.assertEqual(c.cmd(b"AUTHENTICATE CRAM-MD5"),
                         [b"t1 NO Unsupported authentication mechanism."])
        r = c.cmd(b"AUTHENTICATE PLAIN " +
                  base64.b64encode(b"lena\0lena\0pass word"))
        self.assertEqual(r, [b"t2 OK [CAPABILITY " + CAPS + b"] Logged in"])
        # imaplib's own login.
        m = imaplib.IMAP4("127.0.0.1", self.mr.port("imap"), timeout=30)
        self.assertEqual(m.login("lena", "pass word")[0], "OK")
        m.logout()
        self.assertRegex(self.mr.log(), r"Login: user=<lena>, method=PLAIN, "
                         r"rip=127\.0\.0\.1, lip=127\.0\.0\.1")

    def test_login_cache_and_new_password(self):
        self.add_user("paula", "first")
        for _ in range(3):
            # Logged in again: served from the login cache.
            c = self.raw("paula", "first")
            c.close()
        self.mr.mailroom("user", "passwd", "paula", input="second\n",
                         check=True)
        c = self.raw()
        self.assertEqual(c.cmd(b"LOGIN paula first"),
                         [b"t1 NO [AUTHENTICATIONFAILED] Authentication "
                          b"failed."])
        self.assertEqual(c.cmd(b"LOGIN paula second")[-1][:6], b"t2 OK ")

    def test_failed_logins_look_alike(self):
        self.add_user("wendy")
        c = self.raw()
        t0 = time.monotonic()
        wrong = c.cmd(b"LOGIN wendy Wr0ng", b"a1")
        unknown = c.cmd(b"LOGIN nosuchuser Wr0ng", b"a1")
        self.assertEqual(wrong, [b"a1 NO [AUTHENTICATIONFAILED] "
                                 b"Authentication failed."])
        self.assertEqual(unknown, wrong)
        c.send(b"a1 LOGIN wendy Wr0ng\r\n")
        self.assertEqual(c.line(), wrong[0])
        self.assertEqual(c.line(), b"* BYE Too many invalid login "
                         b"attempts.")
        self.assertTrue(c.closed())
        # Each failure waited (1 s, 2 s, 4 s: lib/login_delay).
        self.assertGreaterEqual(time.monotonic() - t0, 6.5)
        log = self.mr.log()
        self.assertIn("authentication failed: user=<wendy>, method=LOGIN, "
                      "rip=127.0.0.1, delay=1000ms", log)
        self.assertIn("authentication failed: user=<nosuchuser>, "
                      "method=LOGIN, rip=127.0.0.1, delay=2000ms", log)
        self.assertNotIn("Wr0ng", log)

    def test_special_use_folders_and_list(self):
        md = self.add_user("sally")
        c = self.raw("sally")
        # Made at the first login, subscribed.
        for name in ("Sent", "Drafts", "Trash", "Junk"):
            self.assertTrue(os.path.isfile(os.path.join(
                md, "." + name, "maildirfolder")), name)
        self.assertEqual(c.cmd(b"LIST \"\" *"), [
            b"* LIST (\\HasNoChildren) \".\" \"INBOX\"",
            b"* LIST (\\HasNoChildren \\Drafts) \".\" \"Drafts\"",
            b"* LIST (\\HasNoChildren \\Junk) \".\" \"Junk\"",
            b"* LIST (\\HasNoChildren \\Sent) \".\" \"Sent\"",
            b"* LIST (\\HasNoChildren \\Trash) \".\" \"Trash\"",
            b"t2 OK List completed."])
        self.assertEqual(c.cmd(b"LSUB \"\" *"), [
            b"* LSUB () \".\" \"INBOX\"",
            b"* LSUB () \".\" \"Drafts\"",
            b"* LSUB () \".\" \"Junk\"",
            b"* LSUB () \".\" \"Sent\"",
            b"* LSUB () \".\" \"Trash\"",
            b"t3 OK Lsub completed."])
        self.assertEqual(c.cmd(b"LIST \"\" \"\""),
                         [b"* LIST (\\Noselect) \".\" \"\"",
                          b"t4 OK List completed."])
        # Hierarchy: a child without its parent, % and *.
        self.assertEqual(c.cmd(b"CREATE Archive.2024.Q1"),
                         [b"t5 OK Create completed."])
        self.assertEqual(c.cmd(b"CREATE Work."),
                         [b"t6 OK Create completed."])
        self.assertEqual(c.cmd(b"CREATE Work"),
                         [b"t7 NO [ALREADYEXISTS] Mailbox already "
                          b"exists."])
        self.assertEqual(c.cmd(b"CREATE inbox"),
                         [b"t8 NO [ALREADYEXISTS] Mailbox already "
                          b"exists."])
        self.assertEqual(c.cmd(b"CREATE \"a/b\""),
                         [b"t9 NO [CANNOT] Invalid mailbox name."])
        self.assertEqual(c.cmd(b"LIST \"\" %"), [
            b"* LIST (\\HasNoChildren) \".\" \"INBOX\"",
            b"* LIST (\\Noselect \\HasChildren) \".\" \"Archive\"",
            b"* LIST (\\HasNoChildren \\Drafts) \".\" \"Drafts\"",
            b"* LIST (\\HasNoChildren \\Junk) \".\" \"Junk\"",
            b"* LIST (\\HasNoChildren \\Sent) \".\" \"Sent\"",
            b"* LIST (\\HasNoChildren \\Trash) \".\" \"Trash\"",
            b"* LIST (\\HasNoChildren) \".\" \"Work\"",
            b"t10 OK List completed."])
        self.assertEqual(c.cmd(b"LIST Archive. *"), [
            b"* LIST (\\Noselect \\HasChildren) \".\" \"Archive.2024\"",
            b"* LIST (\\HasNoChildren) \".\" \"Archive.2024.Q1\"",
            b"t11 OK List completed."])
        self.assertEqual(c.cmd(b"LIST \"\" Archive.%.Q1"), [
            b"* LIST (\\HasNoChildren) \".\" \"Archive.2024.Q1\"",
            b"t12 OK List completed."])
        self.assertEqual(c.cmd(b"LIST \"\" inbox"), [
            b"* LIST (\\HasNoChildren) \".\" \"INBOX\"",
            b"t13 OK List completed."])
        # Modified UTF-7 names are kept as sent.
        self.assertEqual(c.cmd(b"CREATE \"Entw&APw-rfe\""),
                         [b"t14 OK Create completed."])
        self.assertEqual(c.cmd(b"LIST \"\" Entw*"), [
            b"* LIST (\\HasNoChildren) \".\" \"Entw&APw-rfe\"",
            b"t15 OK List completed."])
        self.assertEqual(c.cmd(b"CREATE \"Bad&AGE-\""),
                         [b"t16 NO [CANNOT] Invalid mailbox name."])
        # imaplib reads it all.
        m = self.imaplib("sally")
        typ, lines = m.list()
        self.assertEqual(typ, "OK")
        self.assertIn(b'(\\HasNoChildren \\Sent) "." "Sent"', lines)

    def test_create_delete_rename_subscribe(self):
        md = self.add_user("ralph")
        c = self.raw("ralph")
        self.assertEqual(c.cmd(b"CREATE Projects"),
                         [b"t2 OK Create completed."])
        self.assertEqual(c.cmd(b"CREATE Projects.Old"),
                         [b"t3 OK Create completed."])
        self.assertEqual(c.cmd(b"RENAME Projects Done"),
                         [b"t4 OK Rename completed."])
        self.assertTrue(os.path.isdir(os.path.join(md, ".Done.Old")))
        self.assertEqual(c.cmd(b"RENAME Nope Other"),
                         [b"t5 NO [NONEXISTENT] Mailbox doesn't exist."])
        self.assertEqual(c.cmd(b"RENAME Done Sent"),
                         [b"t6 NO [ALREADYEXISTS] Mailbox already "
                          b"exists."])
        self.assertEqual(c.cmd(b"DELETE INBOX"),
                         [b"t7 NO [CANNOT] INBOX can't be deleted."])
        self.assertEqual(c.cmd(b"DELETE Done.Old"),
                         [b"t8 OK Delete completed."])
        self.assertEqual(c.cmd(b"DELETE Done.Old"),
                         [b"t9 NO [NONEXISTENT] Mailbox doesn't exist."])
        self.assertEqual(c.cmd(b"SUBSCRIBE Done"),
                         [b"t10 OK Subscribe completed."])
        self.assertEqual(c.cmd(b"UNSUBSCRIBE Junk"),
                         [b"t11 OK Unsubscribe completed."])
        self.assertEqual(c.cmd(b"LSUB \"\" *"), [
            b"* LSUB () \".\" \"INBOX\"",
            b"* LSUB () \".\" \"Done\"",
            b"* LSUB () \".\" \"Drafts\"",
            b"* LSUB () \".\" \"Sent\"",
            b"* LSUB () \".\" \"Trash\"",
            b"t12 OK Lsub completed."])
        # RENAME INBOX moves its messages and leaves INBOX empty.
        self.deliver("ralph", md, [b"Subject: a\r\n\r\na\r\n",
                                   b"Subject: b\r\n\r\nb\r\n"])
        self.assertEqual(c.cmd(b"RENAME INBOX Old"),
                         [b"t13 OK Rename completed."])
        self.assertEqual(len(self.files(md)), 0)
        self.assertEqual(len(self.files(md, ".Old")), 2)
        self.assertEqual(c.cmd(b"STATUS Old (MESSAGES UNSEEN)"),
                         [b"* STATUS \"Old\" (MESSAGES 2 UNSEEN 2)",
                          b"t14 OK Status completed."])
        self.assertEqual(c.cmd(b"STATUS Nope (MESSAGES)"),
                         [b"t15 NO [NONEXISTENT] Mailbox doesn't exist."])

    def test_select_fetch_store_search_expunge(self):
        md = self.add_user("fred")
        bodies = [b"From: Ann <ann@example.org>\r\nTo: fred@localhost\r\n"
                  b"Subject: number %d\r\nDate: Mon, 2 Jan 2023 10:00:00 "
                  b"+0100\r\n\r\nbody %d\r\n" % (i, i) for i in range(5)]
        for body in bodies:
            # One at a time: UIDs follow arrival.
            self.deliver("fred", md, [body])
        c = self.raw("fred")
        r = c.cmd(b"SELECT INBOX")
        validity = re.search(rb"UIDVALIDITY (\d+)", b"\n".join(r)).group(1)
        self.assertEqual(r, [
            b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen "
            b"\\Draft \\*)] Flags permitted.",
            b"* 5 EXISTS",
            b"* 5 RECENT",
            b"* OK [UNSEEN 1] First unseen.",
            b"* OK [UIDVALIDITY " + validity + b"] UIDs valid",
            b"* OK [UIDNEXT 6] Predicted next UID",
            b"t2 OK [READ-WRITE] Select completed."])
        # new/ moved to cur/ by the session that saw them.
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        r = c.cmd(b"FETCH 1:2 (UID FLAGS RFC822.SIZE)")
        with open([p for p in self.files(md)
                   if b"number 0" in open(p, "rb").read()][0], "rb") as f:
            size = len(crlf(f.read()))
        self.assertEqual(r[0], b"* 1 FETCH (UID 1 FLAGS (\\Recent) "
                         b"RFC822.SIZE %d)" % size)
        self.assertEqual(r[2], b"t3 OK Fetch completed.")
        r = c.cmd(b"FETCH 3 ENVELOPE")
        self.assertEqual(r, [
            b"* 3 FETCH (ENVELOPE (\"Mon, 2 Jan 2023 10:00:00 +0100\" "
            b"\"number 2\" ((\"Ann\" NIL \"ann\" \"example.org\")) "
            b"((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" "
            b"\"example.org\")) ((NIL NIL \"fred\" \"localhost\")) NIL NIL "
            b"NIL NIL))", b"t4 OK Fetch completed."])
        self.assertEqual(c.cmd(b"STORE 2 +FLAGS (\\Seen \\Flagged)"),
                         [b"* 2 FETCH (FLAGS (\\Flagged \\Seen \\Recent))",
                          b"t5 OK Store completed."])
        self.assertEqual(c.cmd(b"STORE 2 -FLAGS.SILENT (\\Flagged)"),
                         [b"t6 OK Store completed."])
        self.assertEqual(c.cmd(b"UID STORE 3 FLAGS ($Important Work)"),
                         [b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
                          b"\\Draft $Important Work)",
                          b"* OK [PERMANENTFLAGS (\\Answered \\Flagged "
                          b"\\Deleted \\Seen \\Draft $Important Work \\*)] "
                          b"Flags permitted.",
                          b"* 3 FETCH (UID 3 FLAGS (\\Recent $Important "
                          b"Work))",
                          b"t7 OK Store completed."])
        # Flags live in the file names (docs/mailstore.md).
        # In arrival order: the name's seconds, then its microseconds.
        names = sorted(self.files(md), key=mrtest.maildir_arrival)
        self.assertTrue(names[1].endswith(":2,S"), names)
        self.assertTrue(names[2].endswith(":2,ab"), names)
        self.assertEqual(c.cmd(b"SEARCH SEEN"),
                         [b"* SEARCH 2", b"t8 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH KEYWORD work"),
                         [b"* SEARCH 3", b"t9 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH SUBJECT \"number 4\""),
                         [b"* SEARCH 5", b"t10 OK Search completed."])
        self.assertEqual(c.cmd(b"UID SEARCH OR BODY \"body 1\" "
                               b"HEADER Subject \"number 3\""),
                         [b"* SEARCH 2 4", b"t11 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH CHARSET UTF-8 TEXT \"n\xc3\xbcmber\""),
                         [b"* SEARCH", b"t12 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH CHARSET KOI8-R ALL"),
                         [b"t13 NO [BADCHARSET (UTF-8 US-ASCII)] "
                          b"Unsupported charset."])
        self.assertEqual(c.cmd(b"SEARCH SENTON 2-Jan-2023 NOT 1:2"),
                         [b"* SEARCH 3 4 5", b"t14 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH LARGER 1 SMALLER 100000 NEW"),
                         [b"* SEARCH 1 3 4 5", b"t15 OK Search completed."])
        # EXPUNGE: highest first, each number right when read.
        self.assertEqual(c.cmd(b"STORE 2,4 +FLAGS.SILENT (\\Deleted)"),
                         [b"t16 OK Store completed."])
        self.assertEqual(c.cmd(b"EXPUNGE"),
                         [b"* 4 EXPUNGE", b"* 2 EXPUNGE",
                          b"t17 OK Expunge completed."])
        self.assertEqual(len(self.files(md)), 3)
        self.assertEqual(c.cmd(b"UID SEARCH ALL"),
                         [b"* SEARCH 1 3 5", b"t18 OK Search completed."])
        # UID EXPUNGE only touches its set.
        c.cmd(b"STORE 1:2 +FLAGS.SILENT (\\Deleted)")
        self.assertEqual(c.cmd(b"UID EXPUNGE 3:4"),
                         [b"* 2 EXPUNGE", b"t20 OK Expunge completed."])
        # CLOSE expunges silently.
        self.assertEqual(c.cmd(b"CLOSE"), [b"t21 OK Close completed."])
        self.assertEqual(len(self.files(md)), 1)
        r = c.cmd(b"EXAMINE INBOX")
        self.assertIn(b"* 1 EXISTS", r)
        self.assertIn(b"* 0 RECENT", r)
        self.assertIn(b"* OK [PERMANENTFLAGS ()] Read-only mailbox.", r)
        self.assertEqual(r[-1], b"t22 OK [READ-ONLY] Examine completed.")
        self.assertEqual(c.cmd(b"STORE 1 +FLAGS (\\Seen)"),
                         [b"t23 NO [READ-ONLY] Mailbox is read-only."])
        self.assertEqual(c.cmd(b"EXPUNGE"),
                         [b"t24 NO [READ-ONLY] Mailbox is read-only."])
        # A body fetch in a read-only mailbox does not set \Seen.
        r = c.cmd(b"FETCH 1 (BODY[TEXT] FLAGS)")
        self.assertEqual(r[0], b"* 1 FETCH (FLAGS () BODY[TEXT] {8}\r\n"
                         b"body 4\r\n)")
        self.assertEqual(c.cmd(b"SELECT nosuch"),
                         [b"t26 NO [NONEXISTENT] Mailbox doesn't exist."])
        # A failed SELECT leaves no mailbox selected.
        self.assertEqual(c.cmd(b"FETCH 1 FLAGS"),
                         [b"t27 BAD Command not valid in this state."])

    def test_fetch_sets_seen(self):
        md = self.add_user("sid")
        self.deliver("sid", md, [b"Subject: s\r\n\r\nhello\r\n"] * 2)
        c = self.raw("sid")
        c.cmd(b"SELECT INBOX")
        r = c.cmd(b"FETCH 1 BODY.PEEK[TEXT]")
        self.assertEqual(r[0], b"* 1 FETCH (BODY[TEXT] {7}\r\nhello\r\n)")
        r = c.cmd(b"FETCH 1 BODY[TEXT]")
        self.assertEqual(r[0], b"* 1 FETCH (FLAGS (\\Seen \\Recent) "
                         b"BODY[TEXT] {7}\r\nhello\r\n)")
        r = c.cmd(b"UID FETCH 2 RFC822.TEXT")
        self.assertEqual(r[0], b"* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent) "
                         b"RFC822.TEXT {7}\r\nhello\r\n)")
        self.assertTrue(all(p.endswith(":2,S") for p in self.files(md)))

    def test_long_header_lines_and_odd_charsets(self):
        """Header lines and encoded-words as long as a line may be, and
        charsets iconv converts to more than 4 octets an octet or to
        code points past U+10FFFF, are decoded for SEARCH and FETCH; the
        session (and its process) goes on."""
        self.add_user("odette")
        c = self.raw("odette")
        c.cmd(b"SELECT INBOX")
        msgs = [b"Subject: " + b"x" * 4000 + b" needle\r\n\r\nbody\r\n",
                b"Subject: =?utf-8?q?" + b"y" * 2000 + b"_needle?=\r\n\r\n"
                b"body\r\n",
                b"Subject: short\r\nContent-Type: text/plain; "
                b"charset=ucs-4be\r\nContent-Disposition: attachment; "
                b"filename*=tscii''" + b"%82" * 300 + b"\r\n\r\n"
                b"\x00\x11\x00\x00\x00\x00\x00z\r\n"]
        for n, msg in enumerate(msgs):
            tag = b"a%d" % n
            c.send(tag + b" APPEND INBOX {%d+}\r\n" % len(msg) + msg
                   + b"\r\n")
            self.assertRegex(c.until(tag)[-1], rb"^a%d OK " % n)
        self.assertEqual(c.cmd(b"SEARCH SUBJECT needle"),
                         [b"* SEARCH 1 2", b"t3 OK Search completed."])
        self.assertEqual(c.cmd(b"SEARCH BODY z"),
                         [b"* SEARCH 3", b"t4 OK Search completed."])
        r = c.cmd(b"FETCH 3 BODYSTRUCTURE")
        self.assertEqual(r[-1], b"t5 OK Fetch completed.")
        self.assertIn(b"(\"attachment\" (\"filename*\" \"utf-8''%E0%AE",
                      r[0])
        self.assertEqual(self.raw("odette").cmd(b"NOOP"),
                         [b"t2 OK NOOP completed."])

    def test_append_literals_and_uidplus(self):
        md = self.add_user("alma")
        c = self.raw("alma")
        r = c.cmd(b"SELECT INBOX")
        validity = re.search(rb"UIDVALIDITY (\d+)", b"\n".join(r)).group(1)
        msg = b"From: a@example.org\r\nSubject: appended\r\n\r\nhi\r\n"
        # A synchronising literal: "+" first.
        c.send(b"a1 APPEND INBOX (\\Seen) {%d}\r\n" % len(msg))
        self.assertEqual(c.line(), b"+ OK")
        c.send(msg + b"\r\n")
        self.assertEqual(c.until(b"a1"), [
            b"* 1 EXISTS", b"* 0 RECENT",
            b"a1 OK [APPENDUID " + validity + b" 1] Append completed."])
        # LITERAL+, with a date; in one write.
        c.send(b"a2 APPEND INBOX () \"05-Mar-2021 10:11:12 +0000\" "
               b"{%d+}\r\n" % len(msg) + msg + b"\r\n")
        self.assertEqual(c.until(b"a2"), [
            b"* 2 EXISTS", b"* 0 RECENT",
            b"a2 OK [APPENDUID " + validity + b" 2] Append completed."])
        self.assertEqual(c.cmd(b"FETCH 2 (FLAGS INTERNALDATE)")[0],
                         b"* 2 FETCH (FLAGS () INTERNALDATE \" 5-Mar-2021 "
                         + time.strftime("%H:%M:%S %z", time.localtime(
                             1614939072)).encode() + b"\")")
        self.assertEqual(os.stat(self.files(md)[1]).st_mtime, 1614939072)
        # A large literal (over the parser's 64 KiB): taken into a file.
        big = b"Subject: big\r\n\r\n" + b"0123456789abcdef\r\n" * 40000
        c.send(b"a3 APPEND Sent {%d}\r\n" % len(big))
        self.assertEqual(c.line(), b"+ OK")
        c.send(big[:1000])
        c.send(big[1000:] + b"\r\n")
        r = c.until(b"a3")
        self.assertRegex(r[-1], rb"^a3 OK \[APPENDUID \d+ 1\] Append "
                         rb"completed\.$")
        with open(self.files(md, ".Sent")[0], "rb") as f:
            self.assertEqual(f.read(), big)
        # LITERAL+ too large: refused, the octets skipped, in step.
        c.send(b"a4 APPEND INBOX {20000000+}\r\n")
        c.send(b"x" * 20000000 + b"\r\n")
        self.assertEqual(c.line(), b"a4 NO [TOOBIG] Message too large.")
        self.assertEqual(c.cmd(b"NOOP"), [b"t4 OK NOOP completed."])
        # A synchronising one too large: NO before the client sends it.
        c.send(b"a5 APPEND INBOX {20000000}\r\n")
        self.assertEqual(c.line(), b"a5 NO [TOOBIG] Message too large.")
        self.assertEqual(c.cmd(b"APPEND Nope {1+}\r\nx"),
                         [b"t5 NO [TRYCREATE] Mailbox doesn't exist."])
        c.send(b"a6 APPEND Nope {100000}\r\n")
        self.assertEqual(c.line(), b"a6 NO [TRYCREATE] Mailbox doesn't "
                         b"exist.")
        self.assertEqual(c.cmd(b"APPEND INBOX {0+}\r\n"),
                         [b"t6 NO Can't save an empty message."])
        # imaplib APPEND.
        m = self.imaplib("alma")
        typ, data = m.append("Drafts", "(\\Draft)", None, msg)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[APPENDUID \d+ 1\] Append "
                         rb"completed\.$")

    def test_copy_move_uidplus(self):
        md = self.add_user("cora")
        self.deliver("cora", md, [b"Subject: %d\r\n\r\nx\r\n" % i
                                  for i in range(4)])
        c = self.raw("cora")
        c.cmd(b"SELECT INBOX")
        c.cmd(b"STORE 2 +FLAGS (\\Flagged $Label1)")
        r = c.cmd(b"STATUS Trash (UIDVALIDITY UIDNEXT MESSAGES)")
        tv = re.search(rb"UIDVALIDITY (\d+)", r[0]).group(1)
        self.assertEqual(c.cmd(b"COPY 1:2 Trash"),
                         [b"t5 OK [COPYUID " + tv + b" 1:2 1:2] Copy "
                          b"completed."])
        self.assertEqual(c.cmd(b"UID COPY 4,2 Trash"),
                         [b"t6 OK [COPYUID " + tv + b" 2,4 3:4] Copy "
                          b"completed."])
        self.assertEqual(c.cmd(b"COPY 1 Nope"),
                         [b"t7 NO [TRYCREATE] Mailbox doesn't exist."])
        # Flags and keywords travel; the copies are hard links.
        m = self.imaplib("cora")
        m.select("Trash")
        typ, data = m.fetch("2", "(FLAGS)")
        self.assertEqual(data, [b"2 (FLAGS (\\Flagged $Label1))"])
        src = [p for p in self.files(md) if ":2,Fa" in p][0]
        self.assertEqual(os.stat(src).st_nlink, 3)
        # MOVE: COPYUID untagged, then EXPUNGE, then OK.
        r = c.cmd(b"MOVE 2:3 Junk")
        self.assertRegex(r[0], rb"^\* OK \[COPYUID \d+ 2:3 1:2\] Moved "
                         rb"UIDs\.$")
        self.assertEqual(r[1:], [b"* 3 EXPUNGE", b"* 2 EXPUNGE",
                                 b"t8 OK Move completed."])
        self.assertEqual(len(self.files(md)), 2)
        self.assertEqual(len(self.files(md, ".Junk")), 2)
        r = c.cmd(b"UID MOVE 4 Junk")
        self.assertRegex(r[0], rb"^\* OK \[COPYUID \d+ 4 3\] Moved UIDs\.$")
        self.assertEqual(r[1:], [b"* 2 EXPUNGE", b"t9 OK Move completed."])
        # The other session (in Trash) sees nothing of it; INBOX has 1.
        self.assertEqual(c.cmd(b"FETCH 1:* UID"),
                         [b"* 1 FETCH (UID 1)", b"t10 OK Fetch completed."])
