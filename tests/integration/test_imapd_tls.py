"""test_imapd_tls - STARTTLS (RFC 3501 6.2.1) and imaps (port 993) with
imaplib and a raw client; the plaintext injection after STARTTLS; and
LOGINDISABLED when passwords need TLS.

The instance gets a self-signed certificate made with openssl.
"""
import imaplib
import os
import ssl
import tempfile

from imapclient import ImapTest, Raw, make_cert

CAPS = (b"IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT "
        b"CHILDREN UIDPLUS MOVE SPECIAL-USE")


def mail_owner(mr):
    return mr.mailroom("config", "mail_owner",
                       check=True).stdout.split("=", 1)[1].strip()


def no_verify():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class TlsTest(ImapTest):

    @classmethod
    def configure_class(cls):
        cls.certdir = tempfile.mkdtemp(prefix="mrtest-cert-",
                                       dir=cls.mr.dir)
        cert, key = make_cert(cls.certdir, mail_owner(cls.mr))
        cls.mr.configure(imapd_tls_cert_file=cert, imapd_tls_key_file=key)

    def test_starttls(self):
        self.add_user("tess")
        c = self.raw()
        self.assertEqual(c.cmd(b"CAPABILITY"), [
            b"* CAPABILITY " + CAPS + b" STARTTLS AUTH=PLAIN",
            b"t1 OK Capability completed."])
        self.assertEqual(c.cmd(b"STARTTLS"),
                         [b"t2 OK Begin TLS negotiation now."])
        c.starttls()
        # The capabilities changed: no STARTTLS any more.
        self.assertEqual(c.cmd(b"CAPABILITY"), [
            b"* CAPABILITY " + CAPS + b" AUTH=PLAIN",
            b"t3 OK Capability completed."])
        self.assertEqual(c.cmd(b"STARTTLS"),
                         [b"t4 BAD TLS is already active."])
        c.login("tess")
        self.assertEqual(c.cmd(b"SELECT INBOX")[-1],
                         b"t6 OK [READ-WRITE] Select completed.")
        self.assertIn(", TLS", self.mr.log())
        self.assertIn("Anonymous TLS connection established from "
                      "unknown[127.0.0.1]", self.mr.log())
        # imaplib's starttls.
        m = imaplib.IMAP4("127.0.0.1", self.mr.port("imap"), timeout=30)
        m.starttls(ssl_context=no_verify())
        self.assertEqual(m.login("tess", "secret")[0], "OK")
        m.logout()

    def test_starttls_injection(self):
        self.add_user("ivy")
        c = self.raw()
        # Commands pipelined behind STARTTLS in plaintext are dropped
        # (CVE-2011-0411, CVE-2021-33515), never run inside TLS.
        c.send(b"a STARTTLS\r\nb LOGIN ivy secret\r\nc CAPABILITY\r\n")
        self.assertEqual(c.line(), b"a OK Begin TLS negotiation now.")
        c.starttls()
        self.assertEqual(c.cmd(b"NOOP", b"d"), [b"d OK NOOP completed."])
        self.assertEqual(c.cmd(b"SELECT INBOX", b"e"),
                         [b"e BAD Command not valid in this state."])

    def test_imaps(self):
        self.add_user("ida")
        c = Raw(self.mr.port("imaps"), tls=True)
        self.addCleanup(c.close)
        self.assertEqual(c.line(), b"* OK [CAPABILITY " + CAPS +
                         b" AUTH=PLAIN] mailroom ready.")
        self.assertEqual(c.cmd(b"STARTTLS"),
                         [b"t1 BAD TLS is already active."])
        c.login("ida")
        m = imaplib.IMAP4_SSL("127.0.0.1", self.mr.port("imaps"),
                              ssl_context=no_verify(), timeout=30)
        self.assertEqual(m.login("ida", "secret")[0], "OK")
        self.assertEqual(m.select("INBOX")[0], "OK")
        m.logout()
        # A client that does not speak TLS gets nothing and is closed.
        p = Raw(self.mr.port("imaps"))
        self.addCleanup(p.close)
        p.send(b"a LOGIN ida secret\r\n")
        self.assertTrue(p.closed())


class NoCertificateTest(ImapTest):
    """A certificate that cannot be loaded: imap goes on without STARTTLS
    (a warning); imaps, which cannot work without one, is a configuration
    error (the process exits with 78 and master does not respawn it)."""

    @classmethod
    def configure_class(cls):
        cls.mr.configure(imapd_tls_cert_file=os.path.join(
            cls.mr.dir, "tls", "missing.pem"))

    def test_no_starttls_and_imaps_refused(self):
        c = Raw(self.mr.port("imap"))
        self.addCleanup(c.close)
        self.assertEqual(c.line(), b"* OK [CAPABILITY " + CAPS +
                         b" AUTH=PLAIN] mailroom ready.")
        self.assertEqual(c.cmd(b"STARTTLS"),
                         [b"t1 BAD TLS support isn't enabled."])
        self.mr.wait_log("warning: No server certs available. TLS won't "
                         "be enabled: cannot load certificate chain from ")
        self.mr.wait_log("fatal: No server certs available. TLS can't be "
                         "enabled: cannot load certificate chain from ")


class EncryptTest(ImapTest):
    """imapd_tls_security_level = encrypt: passwords only inside TLS,
    even from loopback (disable_plaintext_auth does the same for other
    addresses)."""

    @classmethod
    def configure_class(cls):
        cls.certdir = tempfile.mkdtemp(prefix="mrtest-cert-",
                                       dir=cls.mr.dir)
        cert, key = make_cert(cls.certdir, mail_owner(cls.mr))
        cls.mr.configure(imapd_tls_cert_file=cert, imapd_tls_key_file=key,
                         imapd_tls_security_level="encrypt")

    def test_logindisabled(self):
        self.add_user("eve")
        c = Raw(self.mr.port("imap"))
        self.addCleanup(c.close)
        self.assertEqual(c.line(), b"* OK [CAPABILITY " + CAPS +
                         b" STARTTLS LOGINDISABLED] mailroom ready.")
        self.assertEqual(c.cmd(b"LOGIN eve secret"), [
            b"t1 NO [PRIVACYREQUIRED] Plaintext authentication disallowed "
            b"on non-secure (SSL/TLS) connections."])
        self.assertEqual(c.cmd(b"AUTHENTICATE PLAIN AGV2ZQBzZWNyZXQ="), [
            b"t2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed "
            b"on non-secure (SSL/TLS) connections."])
        self.assertEqual(c.cmd(b"STARTTLS"),
                         [b"t3 OK Begin TLS negotiation now."])
        c.starttls()
        self.assertEqual(c.cmd(b"CAPABILITY"), [
            b"* CAPABILITY " + CAPS + b" AUTH=PLAIN",
            b"t4 OK Capability completed."])
        c.login("eve")
