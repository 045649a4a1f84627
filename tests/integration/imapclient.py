"""imapclient - a raw IMAP client and a shared instance for the imapd tests.

Raw sends exact bytes and reads exact responses (literals included), so a
test can write out the server's lines in full. ImapTest starts one
instance per test class (every test uses its own user) and delivers mail
through smtpd and local delivery, as real mail arrives.
"""
import imaplib
import os
import pwd
import re
import smtplib
import ssl
import subprocess
import time
import unittest

import mrtest

READ_TIMEOUT_S = 30


def crlf(data):
    """A stored message as IMAP sends it: bare LF to CR LF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


class Raw(mrtest.LineClient):
    """An IMAP client that shows the server's bytes as they are."""

    def __init__(self, port, tls=False, context=None):
        super().__init__(port, timeout_s=READ_TIMEOUT_S)
        if tls:
            self.sock = self.tls_context(context).wrap_socket(
                self.sock, server_hostname="localhost")
        self.tags = 0

    @staticmethod
    def tls_context(context=None):
        if context is not None:
            return context
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def starttls(self, context=None):
        self.sock = self.tls_context(context).wrap_socket(
            self.sock, server_hostname="localhost")

    def response(self):
        """One response: a line, with any literals inside it joined in."""
        out = self.line()
        while True:
            m = re.search(rb"\{(\d+)\}$", out)
            if not m:
                return out
            out += b"\r\n" + self.exact(int(m.group(1)))
            out += self.line()

    def cmd(self, text, tag=None):
        """Send "tag text", return every response up to the tagged one."""
        if tag is None:
            self.tags += 1
            tag = b"t%d" % self.tags
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        out = []
        while True:
            r = self.response()
            out.append(r)
            if r.startswith(tag + b" "):
                return out

    def login(self, user, password="secret"):
        r = self.cmd(b"LOGIN " + user.encode() + b" " + password.encode())
        assert r[-1].split(b" ")[1] == b"OK", r
        return r


class ImapTest(unittest.TestCase):
    """One instance for the class; helpers to add users and mail."""

    EXTRA_CONFIG = {}

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(mrtest.LIBEXEC, "imapd")):
            raise unittest.SkipTest("no imapd binary")
        cls.mr = mrtest.Instance()
        try:
            cls.configure_class()
            cls.mr.start()
        except BaseException:
            cls.mr.cleanup()
            raise

    @classmethod
    def configure_class(cls):
        if cls.EXTRA_CONFIG:
            cls.mr.configure(**cls.EXTRA_CONFIG)

    @classmethod
    def tearDownClass(cls):
        cls.mr.cleanup()

    def add_user(self, name, password="secret"):
        self.mr.mailroom("user", "add", name, input=password + "\n",
                         check=True)
        return os.path.join(self.mr.dir, "mail", name, "Maildir")

    def files(self, maildir, folder=""):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(maildir, folder, sub)
            if os.path.isdir(d):
                out += sorted((os.path.join(d, n) for n in os.listdir(d)),
                              key=mrtest.maildir_arrival)
        return out

    def deliver(self, user, maildir, bodies):
        """Send each body to user through smtpd; wait for delivery."""
        before = len(self.files(maildir))
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30)
        for body in bodies:
            s.sendmail("sender@example.org", [user + "@localhost"], body)
        s.quit()
        mrtest.wait_for(lambda: len(self.files(maildir)) ==
                        before + len(bodies), 60, "delivery")

    def put(self, maildir, name, data, folder="", sub="cur"):
        """Write a message file directly (as another program would)."""
        d = os.path.join(maildir, folder, sub)
        path = os.path.join(d, name)
        with open(path, "wb") as f:
            f.write(data)
        st = os.stat(d)
        os.chown(path, st.st_uid, st.st_gid)
        return path

    def raw(self, user=None, password="secret", port=None, tls=False):
        c = Raw(port or self.mr.port("imaps" if tls else "imap"), tls=tls)
        self.addCleanup(c.close)
        greeting = c.line()
        self.assertTrue(greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 "),
                        greeting)
        if user is not None:
            c.login(user, password)
        return c

    def imaplib(self, user, password="secret"):
        c = imaplib.IMAP4("127.0.0.1", self.mr.port("imap"),
                          timeout=READ_TIMEOUT_S)
        self.addCleanup(self._logout, c)
        c.login(user, password)
        return c

    @staticmethod
    def _logout(c):
        try:
            c.logout()
        except (imaplib.IMAP4.error, OSError, EOFError):
            pass


def make_cert(directory, owner=None):
    """A self-signed P-256 certificate for localhost: (cert, key), owned
    by user owner (the daemons read them as the mail owner)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    os.chmod(directory, 0o755)
    if owner is not None:
        pw = pwd.getpwnam(owner)
        for path in (directory, cert, key):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    return cert, key
