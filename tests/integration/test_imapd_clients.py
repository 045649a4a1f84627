"""test_imapd_clients - real mail clients against imapd: mbsync (isync)
syncing a folder both ways with a local Maildir, and mutt reading a
folder in batch mode (under a pseudo-terminal, as it wants one).
"""
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest

from imapclient import ImapTest

MBSYNC = shutil.which("mbsync")
MUTT = shutil.which("mutt")
RUN_TIMEOUT_S = 60


def maildir_files(path):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return out


class ClientsTest(ImapTest):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mrtest-client-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    @unittest.skipIf(MBSYNC is None, "no mbsync")
    def test_mbsync_both_ways(self):
        md = self.add_user("mia")
        bodies = [b"From: a@example.org\r\nSubject: s%d\r\n\r\nbody %d\r\n"
                  % (i, i) for i in range(3)]
        for body in bodies:
            self.deliver("mia", md, [body])
        local = os.path.join(self.tmp, "local")
        os.mkdir(local)
        rc = os.path.join(self.tmp, "mbsyncrc")
        with open(rc, "w") as f:
            f.write("IMAPAccount acc\nHost 127.0.0.1\nPort %d\nUser mia\n"
                    "Pass secret\nSSLType None\nAuthMechs PLAIN\n\n"
                    "IMAPStore remote\nAccount acc\n\n"
                    "MaildirStore local\nPath %s/\nInbox %s/INBOX\n"
                    "SubFolders Verbatim\n\n"
                    "Channel ch\nFar :remote:\nNear :local:\nPatterns *\n"
                    "Create Both\nExpunge Both\nSyncState *\n"
                    % (self.mr.port("imap"), local, local))

        def sync():
            r = subprocess.run([MBSYNC, "-c", rc, "-a"], cwd=self.tmp,
                               capture_output=True, text=True,
                               timeout=RUN_TIMEOUT_S)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        sync()
        inbox = os.path.join(local, "INBOX")
        # mbsync adds its X-TUID line to what it fetches.
        got = sorted(re.sub(rb"X-TUID: [^\n]*\n", b"",
                            open(p, "rb").read())
                     for p in maildir_files(inbox))
        self.assertEqual(len(got), 3)
        served = sorted(open(p, "rb").read() for p in self.files(md))
        self.assertEqual(got, served)
        for name in ("Sent", "Drafts", "Trash", "Junk"):
            self.assertTrue(os.path.isdir(os.path.join(local, name)), name)
        # Changes on the near side: a flag, a deletion, a new message,
        # a new folder.
        files = maildir_files(inbox)
        s1 = [p for p in files if b"Subject: s1" in open(p, "rb").read()][0]
        s2 = [p for p in files if b"Subject: s2" in open(p, "rb").read()][0]
        base = os.path.basename(s1).split(":")[0]
        os.rename(s1, os.path.join(inbox, "cur", base + ":2,FS"))
        os.unlink(s2)
        new = b"From: me@example.org\nSubject: written locally\n\nhello\n"
        with open(os.path.join(inbox, "new", "1700000000.local.x"),
                  "wb") as f:
            f.write(new)
        os.makedirs(os.path.join(local, "Projects", "cur"))
        os.makedirs(os.path.join(local, "Projects", "new"))
        os.makedirs(os.path.join(local, "Projects", "tmp"))
        sync()
        m = self.imaplib("mia")
        m.select("INBOX")
        typ, data = m.search(None, "ALL")
        self.assertEqual(len(data[0].split()), 3)
        typ, data = m.search(None, "SUBJECT", "s1", "FLAGGED", "SEEN")
        self.assertEqual(len(data[0].split()), 1)
        typ, data = m.search(None, "SUBJECT", "s2")
        self.assertEqual(data, [b""])
        typ, data = m.search(None, "SUBJECT", "\"written locally\"")
        self.assertEqual(len(data[0].split()), 1)
        typ, data = m.fetch(data[0], "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], b"hello\r\n")
        self.assertEqual(m.list()[0], "OK")
        self.assertTrue(any(b'"Projects"' in x for x in m.list()[1]))
        # Changes on the far side come back.
        typ, data = m.search(None, "SUBJECT", "s0")
        m.store(data[0], "+FLAGS", "(\\Answered)")
        m.logout()
        sync()
        s0 = [p for p in maildir_files(inbox)
              if b"Subject: s0" in open(p, "rb").read()][0]
        self.assertIn("R", s0.split(":2,")[1])

    @unittest.skipIf(MUTT is None, "no mutt")
    def test_mutt_reads_a_folder(self):
        md = self.add_user("moe")
        bodies = [b"From: a@example.org\r\nSubject: hello %d\r\n\r\n"
                  b"line one\r\nline two %d\r\n" % (i, i) for i in range(3)]
        for body in bodies:
            self.deliver("moe", md, [body])
        out = os.path.join(self.tmp, "out")
        rc = os.path.join(self.tmp, "muttrc")
        with open(rc, "w") as f:
            f.write("set imap_user=moe\nset imap_pass=secret\n"
                    "set ssl_starttls=no\nset ssl_force_tls=no\n"
                    "set folder=imap://127.0.0.1:%d/\nset spoolfile=+INBOX\n"
                    "set header_cache=\nset message_cachedir=\n"
                    "set quit=yes\nset wait_key=no\nset pipe_split=yes\n"
                    "set mark_old=no\nset move=no\nset beep=no\n"
                    % self.mr.port("imap"))
        master, slave = pty.openpty()
        env = dict(os.environ, TERM="xterm", HOME=self.tmp)
        p = subprocess.Popen(
            [MUTT, "-n", "-F", rc, "-e",
             "push '<tag-pattern>~A<enter><tag-prefix><pipe-message>"
             "cat >> %s<enter><quit>'" % out],
            stdin=slave, stdout=slave, stderr=slave, env=env,
            close_fds=True)
        os.close(slave)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        try:
            while p.poll() is None and time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.2)
                if ready:
                    try:
                        os.read(master, 65536)
                    except OSError:
                        break
            p.wait(timeout=max(1, deadline - time.monotonic()))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(master)
        self.assertEqual(p.returncode, 0)
        with open(out, "rb") as f:
            piped = f.read()
        for i in range(3):
            self.assertIn(b"Subject: hello %d\n" % i, piped)
            self.assertIn(b"line one\nline two %d\n" % i, piped)
        self.assertIn("Login: user=<moe>, method=PLAIN", self.mr.log())
        self.assertIn("imap(moe): Disconnected: Logged out", self.mr.log())
