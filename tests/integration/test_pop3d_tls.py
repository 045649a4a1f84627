"""test_pop3d_tls - pop3d with TLS: STLS (RFC 2595) on the pop3 port,
implicit TLS on pop3s, the plaintext-login rule (disable_plaintext_auth,
pop3d_tls_security_level = encrypt), the STLS injection, protocol
versions, session resumption across processes and a certificate renewed
by a reload. Real clients: Python's poplib and ssl, openssl s_client,
fetchmail, and the raw client whose server lines are written out in full;
the non-loopback client runs in a network namespace joined to this one by
a veth pair (root only)."""
import base64
import json
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import unittest
import poplib

import mrtest
import peers
from pop3client import FETCHMAIL, READ_TIMEOUT_S, Raw, fetchmail

HAVE_POP3D = os.path.exists(os.path.join(mrtest.LIBEXEC, "pop3d"))

PASSWORD = "alice's pw"
GREETING = b"+OK mailroom ready."
BEGIN_TLS = b"+OK Begin TLS negotiation now."
REFUSED = (b"-ERR [AUTH] Plaintext authentication disallowed on "
           b"non-secure (SSL/TLS) connections.")
CAPA_HEAD = [b"+OK Capability list follows", b"CAPA", b"TOP", b"UIDL",
             b"RESP-CODES", b"AUTH-RESP-CODE", b"PIPELINING"]
CAPA_TAIL = [b"IMPLEMENTATION mailroom", b"."]
LOGINS = [b"USER", b"SASL PLAIN"]


def b64(data):
    return base64.b64encode(data.encode())


@unittest.skipUnless(HAVE_POP3D, "no pop3d binary")
class Pop3TlsBase(mrtest.InstanceTest):
    """An instance with TLS as `mailroom init` sets it up (pop3d uses
    smtpd's certificate) and the user alice with one message."""

    def setUp(self):
        super().setUp()
        self.config()
        self.mr.start()
        self.add_user("alice", PASSWORD)

    def config(self):
        """Extra configuration of a test class, before the start."""

    @property
    def cert_file(self):
        return os.path.join(self.mr.dir, "tls", "cert.pem")

    def context(self, **kw):
        """A client context that trusts the instance's certificate (its
        name is the host's: names are not checked)."""
        ctx = ssl.create_default_context(cafile=self.cert_file)
        ctx.check_hostname = False
        for k, v in kw.items():
            setattr(ctx, k, v)
        return ctx

    def add_user(self, name, password):
        self.mr.mailroom("user", "add", name, input=password + "\n",
                         check=True)
        return os.path.join(self.mr.dir, "mail", name, "Maildir")

    def deliver(self, user, body):
        """body to user through smtpd and local delivery."""
        maildir = os.path.join(self.mr.dir, "mail", user, "Maildir")

        def count():
            return sum(len(os.listdir(os.path.join(maildir, d)))
                       for d in ("new", "cur")
                       if os.path.isdir(os.path.join(maildir, d)))
        before = count()
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30)
        s.sendmail("sender@example.org", [user + "@localhost"], body)
        s.quit()
        mrtest.wait_for(lambda: count() == before + 1, 60, "delivery")

    def raw(self, service="pop3"):
        c = Raw(self.mr.port(service))
        self.addCleanup(c.close)
        if service == "pop3s":
            c.tls(self.context())
        self.assertEqual(c.line(), GREETING)
        return c

    def capa(self, c):
        c.send(b"CAPA\r\n")
        lines = [c.line()]
        while lines[-1] != b".":
            lines.append(c.line())
        return lines

    def stls(self, c):
        self.assertEqual(c.cmd(b"STLS"), BEGIN_TLS)
        c.tls(self.context())

    def read_to_eof(self, c):
        """Every line until the server closes (bounded by the socket
        timeout and a line count)."""
        lines = []
        for _ in range(100):
            try:
                lines.append(c.line())
            except EOFError:
                return lines
        self.fail("no EOF: %r" % lines)


class StlsTest(Pop3TlsBase):

    def test_raw_stls_session(self):
        self.deliver("alice", b"Subject: over TLS\r\n\r\nsecret body\r\n")
        c = self.raw()
        self.assertEqual(self.capa(c),
                         CAPA_HEAD + [b"STLS"] + LOGINS + CAPA_TAIL)
        self.stls(c)
        # RFC 2595 4: no new greeting; still AUTHORIZATION; CAPA without
        # STLS; a second STLS refused.
        self.assertEqual(c.cmd(b"STAT"),
                         b"-ERR STAT not allowed in this state.")
        self.assertEqual(self.capa(c), CAPA_HEAD + LOGINS + CAPA_TAIL)
        self.assertEqual(c.cmd(b"STLS"), b"-ERR TLS is already active.")
        self.assertEqual(c.cmd(b"AUTH PLAIN " + b64("\0alice\0" + PASSWORD)),
                         b"+OK Logged in.")
        self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 1 "))
        self.assertEqual(c.cmd(b"STLS"),
                         b"-ERR STLS not allowed in this state.")
        self.assertEqual(self.capa(c), CAPA_HEAD + CAPA_TAIL)
        self.assertTrue(c.cmd(b"RETR 1").startswith(b"+OK "))
        self.assertIn(b"\r\nsecret body\r\n.\r\n", c.block())
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        self.assertTrue(c.closed())
        self.mr.wait_log("pop3(alice): Disconnected: Logged out")
        self.assertIn("Login: user=<alice>, method=PLAIN, rip=127.0.0.1, "
                      "lip=127.0.0.1, TLS\n", self.mr.log())

    def test_poplib_stls(self):
        self.deliver("alice", b"Subject: poplib\r\n\r\nhello\r\n")
        p = poplib.POP3("127.0.0.1", self.mr.port("pop3"),
                        timeout=READ_TIMEOUT_S)
        self.addCleanup(p.close)
        self.assertIn("STLS", p.capa())
        self.assertEqual(p.stls(self.context()), BEGIN_TLS)
        self.assertNotIn("STLS", p.capa())
        p.user("alice")
        self.assertEqual(p.pass_(PASSWORD), b"+OK Logged in.")
        resp, lines, octets = p.retr(1)
        self.assertIn(b"hello", lines)
        self.assertEqual(p.quit(), b"+OK Logging out.")
        self.mr.wait_log("pop3(alice): Disconnected: Logged out")
        self.assertIn("Login: user=<alice>, method=USER, rip=127.0.0.1, "
                      "lip=127.0.0.1, TLS\n", self.mr.log())

    def test_poplib_pop3s(self):
        self.deliver("alice", b"Subject: pop3s\r\n\r\nimplicit\r\n")
        p = poplib.POP3_SSL("127.0.0.1", self.mr.port("pop3s"),
                            context=self.context(), timeout=READ_TIMEOUT_S)
        self.addCleanup(p.close)
        self.assertEqual(p.getwelcome(), GREETING)
        with open(self.cert_file) as f:
            self.assertEqual(p.sock.getpeercert(binary_form=True),
                             ssl.PEM_cert_to_DER_cert(f.read()))
        capa = p.capa()
        self.assertNotIn("STLS", capa)
        self.assertEqual(capa["SASL"], ["PLAIN"])
        with self.assertRaises(poplib.error_proto) as cm:
            p._shortcmd("STLS")
        self.assertEqual(cm.exception.args[0],
                         b"-ERR TLS is already active.")
        p.user("alice")
        self.assertEqual(p.pass_(PASSWORD), b"+OK Logged in.")
        self.assertIn(b"implicit", p.retr(1)[1])
        p.dele(1)
        self.assertEqual(p.quit(), b"+OK Logging out, messages deleted.")
        self.mr.wait_log("pop3(alice): Disconnected: Logged out top=0/0, "
                         "retr=1/")

    def test_pipelined_commands_after_stls_are_discarded(self):
        # The injection of CVE-2021-33515 (and CVE-2011-0411): a man in
        # the middle appends commands to the client's STLS in the same
        # segment; they must never run inside the TLS session. Loopback
        # may log in in clear, so an executed USER/PASS would show.
        c = self.raw()
        c.send(b"STLS\r\nUSER alice\r\nPASS " + PASSWORD.encode() +
               b"\r\nCAPA\r\n")
        self.assertEqual(c.line(), BEGIN_TLS)
        c.tls(self.context())
        # Nothing answered but what the client says over TLS: USER was
        # never given, nobody is logged in.
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"-ERR No username given.")
        self.assertEqual(c.cmd(b"STAT"),
                         b"-ERR STAT not allowed in this state.")
        c.send(b"QUIT\r\n")
        self.assertEqual(self.read_to_eof(c), [b"+OK Logging out."])
        self.mr.wait_log("Disconnected (no auth attempts): Logged out: "
                         "rip=127.0.0.1, lip=127.0.0.1, TLS\n")
        self.assertNotIn("Login: user=<alice>", self.mr.log())

    def test_user_before_stls_is_forgotten(self):
        # RFC 2595 4: what the client said before TLS does not count.
        c = self.raw()
        self.assertEqual(c.cmd(b"USER alice"), b"+OK")
        self.stls(c)
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"-ERR No username given.")
        self.assertEqual(c.cmd(b"USER alice"), b"+OK")
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"+OK Logged in.")

    def s_client(self, service, *args, stdin="QUIT\r\n"):
        cmd = ["openssl", "s_client", "-connect",
               "127.0.0.1:%d" % self.mr.port(service),
               "-CAfile", self.cert_file, "-brief", "-ign_eof"]
        if service == "pop3":
            cmd += ["-starttls", "pop3"]
        return subprocess.run(cmd + list(args), input=stdin,
                              capture_output=True, text=True, timeout=60)

    def test_openssl_protocol_versions(self):
        for service in ("pop3", "pop3s"):
            for version in ("-tls1_2", "-tls1_3"):
                with self.subTest(service=service, version=version):
                    r = self.s_client(service, version)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertIn("Protocol version: TLSv1.%s"
                                  % version[-1], r.stderr)
                    self.assertIn("+OK Logging out.", r.stdout)
        # RFC 8996: TLS 1.0 and 1.1 are refused, even to a client that
        # would accept them (security level 0 lets OpenSSL offer them).
        for service in ("pop3", "pop3s"):
            for version in ("-tls1", "-tls1_1"):
                with self.subTest(service=service, version=version):
                    r = self.s_client(service, version, "-cipher",
                                      "DEFAULT@SECLEVEL=0")
                    self.assertNotEqual(r.returncode, 0)
                    self.assertNotIn("+OK Logging out.", r.stdout)
        self.mr.wait_log("Disconnected (no auth attempts): TLS handshake "
                         "failed: rip=127.0.0.1, lip=127.0.0.1, TLS "
                         "handshaking: SSL_accept() failed: error:0A000102:"
                         "SSL routines::unsupported protocol\n")

    def test_plaintext_on_pop3s_port(self):
        # Implicit TLS: a plaintext client gets no POP3 at all.
        with socket.create_connection(("127.0.0.1", self.mr.port("pop3s")),
                                      timeout=READ_TIMEOUT_S) as s:
            s.sendall(b"USER alice\r\n")
            try:
                answer = s.recv(100)
            except ConnectionResetError:
                answer = b""
            # A TLS alert at most (0x15), never a POP3 reply.
            self.assertIn(answer[:1], (b"", b"\x15"))
        self.mr.wait_log("Disconnected (no auth attempts): TLS handshake "
                         "failed: rip=127.0.0.1, lip=127.0.0.1, TLS "
                         "handshaking: SSL_accept() failed: ")

    def test_session_resumption_across_processes(self):
        # Every pop3d process encrypts tickets with the instance's key
        # (the one smtpd uses too): a client resumes whichever process
        # it reaches.
        ctx = self.context()
        session = None
        resumed = []
        for _ in range(6):
            with socket.create_connection(
                    ("127.0.0.1", self.mr.port("pop3s")),
                    timeout=READ_TIMEOUT_S) as raw:
                with ctx.wrap_socket(raw, session=session) as s:
                    s.recv(100)               # the greeting (and ticket)
                    resumed.append(s.session_reused)
                    session = s.session
                    s.sendall(b"QUIT\r\n")
                    s.recv(100)
        self.assertEqual(resumed, [False] + [True] * 5)

    @unittest.skipIf(FETCHMAIL is None, "no fetchmail")
    def test_fetchmail_stls(self):
        for i in range(3):
            self.deliver("alice", b"Subject: fetch %d\r\n\r\nbody %d\r\n"
                         % (i, i))
        # sslproto without ssl: STLS, required (fetchmail >= 6.4). The
        # certificate names the host, not 127.0.0.1: no name check.
        said, got = fetchmail(self, self.mr.port("pop3"), "alice", PASSWORD,
                              options='  sslproto "TLS1.2+" no sslcertck\n')
        self.assertIn("STLS", said)
        for i in range(3):
            self.assertIn(b"Subject: fetch %d\n" % i, got)
        self.assertIn("3 messages for alice", said)
        self.mr.wait_log("pop3(alice): Disconnected: Logged out")
        self.assertRegex(self.mr.log(), r"Login: user=<alice>, method=\w+, "
                         r"rip=127\.0\.0\.1, lip=127\.0\.0\.1, TLS\n")


class EncryptTest(Pop3TlsBase):
    """pop3d_tls_security_level = encrypt: no login without TLS, not even
    from loopback."""

    def config(self):
        self.mr.configure(pop3d_tls_security_level="encrypt")

    def test_loopback_needs_tls(self):
        c = self.raw()
        self.assertEqual(self.capa(c), CAPA_HEAD + [b"STLS"] + CAPA_TAIL)
        self.assertEqual(c.cmd(b"USER alice"), REFUSED)
        self.assertEqual(c.cmd(b"PASS x"), REFUSED)
        self.assertEqual(c.cmd(b"AUTH PLAIN " + b64("\0alice\0" + PASSWORD)),
                         REFUSED)
        c.send(b"AUTH\r\n")
        self.assertEqual([c.line(), c.line()], [b"+OK", b"."])
        self.stls(c)
        self.assertEqual(self.capa(c), CAPA_HEAD + LOGINS + CAPA_TAIL)
        self.assertEqual(c.cmd(b"USER alice"), b"+OK")
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"+OK Logged in.")
        self.assertEqual(c.cmd(b"QUIT"), b"+OK Logging out.")
        # pop3s is TLS from the start.
        c = self.raw("pop3s")
        self.assertEqual(c.cmd(b"USER alice"), b"+OK")
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"+OK Logged in.")


class NoTlsTest(Pop3TlsBase):
    """pop3d_tls_security_level = none: no STLS; loopback may still log in
    in clear (disable_plaintext_auth counts loopback as secure)."""

    def config(self):
        self.mr.configure(pop3d_tls_security_level="none")

    def test_stls_not_offered(self):
        c = self.raw()
        self.assertEqual(self.capa(c), CAPA_HEAD + LOGINS + CAPA_TAIL)
        self.assertEqual(c.cmd(b"STLS"),
                         b"-ERR [SYS/PERM] TLS support isn't enabled.")
        self.assertEqual(c.cmd(b"USER alice"), b"+OK")
        self.assertEqual(c.cmd(b"PASS " + PASSWORD.encode()),
                         b"+OK Logged in.")
        self.mr.wait_log("Login: user=<alice>, method=USER, rip=127.0.0.1, "
                         "lip=127.0.0.1, secured\n")


class NoCertificateTest(Pop3TlsBase):
    """A certificate that cannot be loaded: pop3 goes on without STLS (a
    warning); pop3s, which cannot work without one, is a configuration
    error (the process exits with 78 and master does not respawn it)."""

    def config(self):
        self.mr.configure(pop3d_tls_cert_file=os.path.join(
            self.mr.dir, "tls", "missing.pem"))

    def test_no_stls_and_pop3s_refused(self):
        c = self.raw()
        self.assertEqual(self.capa(c), CAPA_HEAD + LOGINS + CAPA_TAIL)
        self.assertEqual(c.cmd(b"STLS"),
                         b"-ERR [SYS/PERM] TLS support isn't enabled.")
        self.mr.wait_log("warning: No server certs available. TLS won't "
                         "be enabled: cannot load certificate chain from ")
        self.mr.wait_log("fatal: No server certs available. TLS can't be "
                         "enabled: cannot load certificate chain from ")


class HandshakeTimeoutTest(Pop3TlsBase):
    """A client that never starts its handshake is closed after
    pop3d_timeout, without a plaintext reply."""

    def config(self):
        self.mr.configure(pop3d_timeout="1s")

    def test_silent_client(self):
        for service in ("pop3s", "pop3"):
            with self.subTest(service=service):
                c = Raw(self.mr.port(service))
                self.addCleanup(c.close)
                if service == "pop3":
                    self.assertEqual(c.line(), GREETING)
                    self.assertEqual(c.cmd(b"STLS"), BEGIN_TLS)
                # The server closes; it never says anything more.
                self.assertTrue(c.closed())
        mrtest.wait_for(lambda: self.mr.log().count(
            "Disconnected (no auth attempts): Disconnected for "
            "inactivity: rip=127.0.0.1, lip=127.0.0.1, TLS handshaking\n")
            == 2, what="two disconnect lines")


class CertificateReloadTest(Pop3TlsBase):

    def peer_cert(self, service):
        """The certificate a new session on service is shown."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if service == "pop3s":
            p = poplib.POP3_SSL("127.0.0.1", self.mr.port("pop3s"),
                                context=ctx, timeout=READ_TIMEOUT_S)
        else:
            p = poplib.POP3("127.0.0.1", self.mr.port("pop3"),
                            timeout=READ_TIMEOUT_S)
            p.stls(ctx)
        try:
            return p.sock.getpeercert(binary_form=True)
        finally:
            p.quit()

    def test_reload_picks_up_a_renewed_certificate(self):
        self.add_user("bob", "bob-pw")
        self.deliver("alice", b"Subject: a\r\n\r\nfor alice\r\n")
        self.deliver("bob", b"Subject: b\r\n\r\nfor bob\r\n")
        with open(self.cert_file) as f:
            first = ssl.PEM_cert_to_DER_cert(f.read())
        self.assertEqual(self.peer_cert("pop3s"), first)
        self.assertEqual(self.peer_cert("pop3"), first)
        old = set(self.mr.children("pop3d"))
        # Sessions open across the reload: one on pop3s, one after STLS,
        # both logged in.
        a = self.raw("pop3s")
        self.assertEqual(a.cmd(b"USER alice"), b"+OK")
        self.assertEqual(a.cmd(b"PASS " + PASSWORD.encode()),
                         b"+OK Logged in.")
        b = self.raw()
        self.stls(b)
        self.assertEqual(b.cmd(b"USER bob"), b"+OK")
        self.assertEqual(b.cmd(b"PASS bob-pw"), b"+OK Logged in.")

        renewed = self.mr.renew_certificate("renewed.test.example")
        r = self.mr.mailroom("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        mrtest.wait_for(lambda: self.peer_cert("pop3s") == renewed,
                        what="the renewed certificate on pop3s")
        self.assertEqual(self.peer_cert("pop3"), renewed)
        self.mr.remember_pids()

        # The open sessions go on with their processes and certificate.
        for c, text in ((a, b"for alice"), (b, b"for bob")):
            self.assertEqual(c.sock.getpeercert(binary_form=True), first)
            self.assertTrue(c.cmd(b"STAT").startswith(b"+OK 1 "))
            self.assertTrue(c.cmd(b"RETR 1").startswith(b"+OK "))
            self.assertIn(text, c.block())
            self.assertEqual(c.cmd(b"DELE 1"), b"+OK Marked to be deleted.")
            self.assertEqual(c.cmd(b"QUIT"),
                             b"+OK Logging out, messages deleted.")
            self.assertTrue(c.closed())
        mrtest.wait_for(lambda: not any(mrtest.pid_alive(p) for p in old),
                        what="the old pop3d processes to finish")
        for user in ("alice", "bob"):
            md = os.path.join(self.mr.dir, "mail", user, "Maildir")
            self.assertEqual(os.listdir(os.path.join(md, "new")) +
                             os.listdir(os.path.join(md, "cur")), [])


# The POP3 client that runs inside the network namespace: poplib, before
# and after STLS; prints what the server answered as JSON.
NETNS_CLIENT = r"""
import base64, json, poplib, ssl, sys
host, port, cafile, user, password = sys.argv[1:6]

def attempt(fn, *args):
    try:
        return fn(*args).decode()
    except poplib.error_proto as e:
        return e.args[0].decode()

p = poplib.POP3(host, int(port), timeout=30)
res = {"capa_before": sorted(p.capa())}
res["user_before"] = attempt(p.user, user)
res["pass_before"] = attempt(p.pass_, password)
plain = base64.b64encode(("\0%s\0%s" % (user, password)).encode())
res["auth_before"] = attempt(p._shortcmd, "AUTH PLAIN " + plain.decode())
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
res["stls"] = attempt(p.stls, ctx)
res["capa_after"] = sorted(p.capa())
res["user_after"] = attempt(p.user, user)
res["pass_after"] = attempt(p.pass_, password)
res["stat"] = list(p.stat())
res["quit"] = attempt(p.quit)
print(json.dumps(res))
"""


@unittest.skipUnless(HAVE_POP3D and peers.can_netns(),
                     "needs pop3d, root and network namespaces")
class NonLoopbackTest(mrtest.InstanceTest):
    """disable_plaintext_auth = yes (the default) for a client that is
    not on loopback: a POP3 client in a network namespace, pop3d on the
    host side of the veth pair (the pop3 service's address in
    master.cf)."""

    def setUp(self):
        super().setUp()
        self.ns = peers.Netns()
        self.addCleanup(self.ns.stop)
        # The pop3 service listens on the veth address instead of
        # 127.0.0.1 (a host in master.cf's service field).
        path = os.path.join(self.mr.dir, "master.cf")
        with open(path) as f:
            text = f.read()
        loopback = "127.0.0.1:%d " % self.mr.port("pop3")
        self.assertIn(loopback, text)
        with open(path, "w") as f:
            f.write(text.replace(loopback, "%s:%d " % (
                self.ns.local, self.mr.port("pop3"))))
        self.mr.start()
        self.mr.mailroom("user", "add", "alice", input=PASSWORD + "\n",
                         check=True)

    def test_plaintext_refused_before_stls(self):
        p = self.ns.popen(sys.executable, "-c", NETNS_CLIENT, self.ns.local,
                          str(self.mr.port("pop3")),
                          os.path.join(self.mr.dir, "tls", "cert.pem"),
                          "alice", PASSWORD, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        res = json.loads(out)
        refused = REFUSED.decode()
        self.assertEqual(res, {
            "capa_before": ["AUTH-RESP-CODE", "CAPA", "IMPLEMENTATION",
                            "PIPELINING", "RESP-CODES", "STLS", "TOP",
                            "UIDL"],
            "user_before": refused,
            "pass_before": refused,
            "auth_before": refused,
            "stls": BEGIN_TLS.decode(),
            "capa_after": ["AUTH-RESP-CODE", "CAPA", "IMPLEMENTATION",
                           "PIPELINING", "RESP-CODES", "SASL", "TOP",
                           "UIDL", "USER"],
            "user_after": "+OK",
            "pass_after": "+OK Logged in.",
            "stat": [0, 0],
            "quit": "+OK Logging out.",
        })
        self.mr.wait_log("pop3(alice): Disconnected: Logged out")
        self.assertIn("Login: user=<alice>, method=USER, rip=%s, lip=%s, "
                      "TLS\n" % (self.ns.remote, self.ns.local),
                      self.mr.log())


if __name__ == "__main__":
    unittest.main()
