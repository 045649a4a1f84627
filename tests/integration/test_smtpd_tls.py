"""smtpd with TLS and SMTP AUTH: STARTTLS (RFC 3207) on port 25 and on
submission (level encrypt), implicit TLS on smtps, AUTH PLAIN and LOGIN
(RFC 4954) against the users table, relay after AUTH, sender login maps,
the failed-AUTH limit, and a certificate renewed by a reload. Real
clients: openssl s_client, swaks, Python's smtplib and ssl, and a raw
client whose server lines are written out in full."""
import base64
import os
import pwd
import re
import smtplib
import socket
import ssl
import subprocess
import unittest

from mrtest import InstanceTest, queued, wait_for, pid_alive
from smtpclient import Raw

HOST = "mx.test.example"
BANNER = b"220 mx.test.example ESMTP mailroom"
PASSWORD = "alice's pw"
EHLO_HEAD = [b"250-mx.test.example", b"250-PIPELINING",
             b"250-SIZE 10240000", b"250-VRFY"]
EHLO_TAIL = [b"250-ENHANCEDSTATUSCODES", b"250-8BITMIME", b"250-DSN",
             b"250-SMTPUTF8", b"250 CHUNKING"]


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data)


class TlsRaw(Raw):
    """The raw client, which can put TLS under itself."""

    def tls(self, context):
        assert self.buf == b"", "plaintext left over: %r" % self.buf
        self.sock = context.wrap_socket(self.sock, server_hostname=HOST)


class TlsBase(InstanceTest):
    """An instance with a client outside mynetworks (so relaying needs
    AUTH), the users alice (local) and bob@virtual.example, no qmgr (mail
    stays in queue/active) and no limit on failed AUTHs unless a class
    sets one."""

    DROP_SERVICES = ("qmgr",)
    FAILURE_LIMIT = "1000"

    def setUp(self):
        super().setUp()
        self.mr.configure(myhostname=HOST, mynetworks="10.0.0.0/8",
                          virtual_mailbox_domains="virtual.example",
                          recipient_delimiter="+",
                          smtpd_client_auth_failure_limit=self.FAILURE_LIMIT,
                          smtpd_client_auth_failure_delay="1s")
        self.config()
        self.mr.start()
        self.mr.mailroom("user", "add", "alice", input=PASSWORD + "\n",
                         check=True)
        self.mr.mailroom("user", "add", "bob@virtual.example",
                         input="bob-pw\n", check=True)

    def config(self):
        """Extra main.cf lines of a test class."""

    @property
    def cert_file(self):
        return os.path.join(self.mr.dir, "tls", "cert.pem")

    def context(self):
        """A client context that trusts the instance's certificate (its
        name is the host's, not HOST: names are not checked)."""
        ctx = ssl.create_default_context(cafile=self.cert_file)
        ctx.check_hostname = False
        return ctx

    def connect(self, service="smtp"):
        c = TlsRaw(self.mr.port(service))
        self.addCleanup(c.close)
        if service == "smtps":
            c.tls(self.context())
        self.assertEqual(c.reply(), [BANNER])
        return c

    def starttls(self, c):
        self.assertEqual(c.cmd(b"STARTTLS"), b"220 2.0.0 Ready to start TLS")
        c.tls(self.context())

    def ehlo(self, c, *offers):
        c.send(b"EHLO client.example\r\n")
        self.assertEqual(c.reply(),
                         EHLO_HEAD + [b"250-" + o for o in offers] +
                         EHLO_TAIL)

    def login(self, c, user="alice", password=PASSWORD):
        msg = b"\0" + user.encode() + b"\0" + password.encode()
        return c.cmd(b"AUTH PLAIN " + b64(msg))

    def submission(self):
        """A submission session over TLS, after EHLO."""
        c = self.connect("submission")
        self.ehlo(c, b"STARTTLS")
        self.starttls(c)
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        return c


class StartTlsTest(TlsBase):

    def test_init_sets_up_tls(self):
        # mailroom init: a certificate for the host, its key readable by
        # mail_owner only, and the three SMTP services.
        owner = self.mr.mailroom("config", "mail_owner",
                                 check=True).stdout.split()[-1]
        key = os.stat(os.path.join(self.mr.dir, "tls", "key.pem"))
        self.assertEqual(key.st_mode & 0o777, 0o600)
        self.assertEqual(pwd.getpwuid(key.st_uid).pw_name, owner)
        self.assertEqual(os.stat(self.cert_file).st_mode & 0o777, 0o644)
        r = self.mr.mailroom("config", "smtpd_tls_security_level",
                             "smtpd_tls_cert_file", "smtpd_tls_auth_only",
                             "smtpd_sasl_auth_enable", check=True)
        self.assertEqual(r.stdout.splitlines(), [
            "smtpd_tls_security_level = may",
            "smtpd_tls_cert_file = " + self.cert_file,
            "smtpd_tls_auth_only = yes",
            "smtpd_sasl_auth_enable = no"])
        with open(os.path.join(self.mr.dir, "master.cf")) as f:
            services = [line.split() for line in f
                        if not line.startswith("#")]
        smtpd = {fields[0]: fields[8:] for fields in services
                 if fields[7] == "smtpd" and fields[1] == "inet"}
        self.assertEqual(smtpd, {
            "127.0.0.1:%d" % self.mr.port("smtp"): [],
            "127.0.0.1:%d" % self.mr.port("submission"): [
                "-o", "syslog_name=mailroom/submission",
                "-o", "smtpd_tls_security_level=encrypt",
                "-o", "smtpd_sasl_auth_enable=yes"],
            "127.0.0.1:%d" % self.mr.port("smtps"): [
                "-o", "syslog_name=mailroom/smtps",
                "-o", "smtpd_tls_wrappermode=yes",
                "-o", "smtpd_sasl_auth_enable=yes"]})
        # The certificate names the host (the name at init time).
        out = subprocess.run(["openssl", "x509", "-in", self.cert_file,
                              "-noout", "-ext", "subjectAltName", "-enddate"],
                             capture_output=True, text=True, check=True)
        self.assertIn("DNS:" + socket.gethostname().split(".")[0],
                      out.stdout)

    def test_port_25_offers_starttls_never_auth(self):
        c = self.connect()
        self.ehlo(c, b"STARTTLS")
        self.assertEqual(c.cmd(b"AUTH PLAIN " + b64("\0alice\0x")),
                         b"503 5.5.1 Error: authentication not enabled")
        self.starttls(c)
        # No STARTTLS twice, and still no AUTH on port 25.
        self.ehlo(c)
        self.assertEqual(c.cmd(b"STARTTLS"),
                         b"554 5.5.1 Error: TLS already active")
        self.assertEqual(c.cmd(b"AUTH LOGIN"),
                         b"503 5.5.1 Error: authentication not enabled")
        self.assertEqual(c.cmd(b"QUIT"), b"221 2.0.0 Bye")
        self.mr.wait_log("disconnect from unknown[127.0.0.1] ehlo=2 "
                         "starttls=1/2 auth=0/2 quit=1 commands=4/7")
        self.assertRegex(self.mr.log(),
                         r"Anonymous TLS connection established from "
                         r"unknown\[127\.0\.0\.1\]: TLSv1\.3 with cipher "
                         r"TLS_\w+ \(\d+/\d+ bits\)")

    def test_pipelined_commands_after_starttls_are_discarded(self):
        # CVE-2011-0411: a man in the middle appends commands to the
        # client's STARTTLS; they must not run inside the TLS session.
        c = self.connect()
        self.ehlo(c, b"STARTTLS")
        self.assertEqual(c.cmd(b"MAIL FROM:<before@client.example>"),
                         b"250 2.1.0 Ok")
        c.send(b"STARTTLS\r\nRSET\r\nMAIL FROM:<evil@attacker.example>\r\n"
               b"RCPT TO:<postmaster@mx.test.example>\r\n")
        self.assertEqual(c.reply(), [b"220 2.0.0 Ready to start TLS"])
        c.tls(self.context())
        # The session starts over: no transaction (neither the one from
        # before STARTTLS nor the injected one), EHLO again.
        self.assertEqual(c.cmd(b"RCPT TO:<postmaster@mx.test.example>"),
                         b"503 5.5.1 Error: need MAIL command")
        self.ehlo(c)
        self.assertEqual(c.cmd(b"QUIT"), b"221 2.0.0 Bye")
        self.mr.wait_log("disconnect from unknown[127.0.0.1]")
        self.assertNotIn("evil@attacker.example", self.mr.log())
        self.assertEqual(queued(self.mr), {})

    def test_received_header_says_esmtps(self):
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=10,
                         local_hostname="client.example")
        s.starttls(context=self.context())
        s.sendmail("carol@client.example", ["postmaster@mx.test.example"],
                   b"Subject: tls\r\n\r\nover TLS\r\n")
        s.quit()
        (q,) = queued(self.mr).values()
        self.assertRegex(
            q["content"].decode(),
            r"^Received: from client\.example \(unknown \[127\.0\.0\.1\]\)"
            r"\r\n\t\(using TLSv1\.3 with cipher TLS_\w+ \(\d+/\d+ bits\)\)"
            r"\r\n\t\(No client certificate requested\)"
            r"\r\n\tby mx\.test\.example \(mailroom\) with ESMTPS id \w+"
            r"\r\n\tfor <postmaster@mx\.test\.example>; ")

    def s_client(self, *args, stdin="QUIT\r\n"):
        return subprocess.run(
            ["openssl", "s_client", "-connect",
             "127.0.0.1:%d" % self.mr.port("smtp"), "-starttls", "smtp",
             "-CAfile", self.cert_file, "-brief", "-ign_eof"] + list(args),
            input=stdin, capture_output=True, text=True, timeout=60)

    def test_openssl_protocol_versions(self):
        for version in ("-tls1_2", "-tls1_3"):
            with self.subTest(version=version):
                r = self.s_client(version)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Protocol version: TLSv1.%s" % version[-1],
                              r.stderr)
                self.assertIn("221 2.0.0 Bye", r.stdout)
        # RFC 8996: TLS 1.0 and 1.1 are refused by the server, even to a
        # client that would accept them (security level 0 lets OpenSSL
        # offer them at all).
        for version in ("-tls1", "-tls1_1"):
            with self.subTest(version=version):
                r = self.s_client(version, "-cipher", "DEFAULT@SECLEVEL=0")
                self.assertNotEqual(r.returncode, 0)
                self.assertNotIn("221 2.0.0 Bye", r.stdout)
        self.mr.wait_log("SSL_accept error from unknown[127.0.0.1]: "
                         "error:0A000102:SSL routines::unsupported protocol")

    def test_plaintext_on_smtps_port(self):
        # Implicit TLS: a plaintext client gets no SMTP at all.
        with socket.create_connection(("127.0.0.1", self.mr.port("smtps")),
                                      timeout=10) as s:
            s.sendall(b"EHLO client.example\r\n")
            try:
                answer = s.recv(100)
            except ConnectionResetError:
                answer = b""
            # A TLS alert at most (0x15), never an SMTP reply.
            self.assertIn(answer[:1], (b"", b"\x15"))
        self.mr.wait_log("SSL_accept error from unknown[127.0.0.1]: ")

    def test_session_resumption_across_processes(self):
        # Every smtps process encrypts tickets with the key in private/;
        # whichever process a client reaches, it resumes.
        ctx = self.context()
        session = None
        resumed = []
        for _ in range(6):
            with socket.create_connection(
                    ("127.0.0.1", self.mr.port("smtps")), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=HOST,
                                     session=session) as s:
                    s.recv(100)               # the banner (and the ticket)
                    resumed.append(s.session_reused)
                    session = s.session
                    s.sendall(b"QUIT\r\n")
                    s.recv(100)
        self.assertEqual(resumed, [False] + [True] * 5)
        key = os.path.join(self.mr.dir, "queue", "private",
                           "tls-session-ticket.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        self.assertEqual(os.path.getsize(key), 88)


class AuthTest(TlsBase):

    def test_submission_requires_starttls(self):
        c = self.connect("submission")
        self.ehlo(c, b"STARTTLS")
        for cmd in (b"MAIL FROM:<alice@mx.test.example>",
                    b"RCPT TO:<postmaster@mx.test.example>", b"DATA",
                    b"AUTH PLAIN " + b64("\0alice\0x"), b"VRFY alice"):
            self.assertEqual(c.cmd(cmd),
                             b"530 5.7.0 Must issue a STARTTLS command first")
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")
        self.assertEqual(c.cmd(b"RSET"), b"250 2.0.0 Ok")
        self.starttls(c)
        self.assertEqual(self.login(c), b"503 5.5.1 Error: send EHLO first")
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        self.assertEqual(self.login(c),
                         b"235 2.7.0 Authentication successful")

    def test_smtplib_starttls_login_and_relay(self):
        s = smtplib.SMTP("127.0.0.1", self.mr.port("submission"),
                         timeout=30)
        s.starttls(context=self.context())
        s.login("alice", PASSWORD)
        s.sendmail("alice@mx.test.example", ["friend@remote.example"],
                   b"Subject: relayed\r\n\r\nafter AUTH\r\n")
        s.quit()
        (qid, q), = queued(self.mr).items()
        self.assertEqual(q["rcpts"], ["friend@remote.example"])
        self.assertRegex(q["content"].decode(),
                         r"\tby mx\.test\.example \(mailroom\) with ESMTPSA "
                         r"id " + qid)
        self.mr.wait_log("%s: client=unknown[127.0.0.1], sasl_method=PLAIN, "
                         "sasl_username=alice" % qid)
        self.assertIn("mailroom/submission/smtpd[", self.mr.log())

    def test_smtplib_login_mechanisms(self):
        # LOGIN and PLAIN without an initial response (334 first).
        for mech, method in (("LOGIN", "auth_login"),
                             ("PLAIN", "auth_plain")):
            with self.subTest(mechanism=mech):
                s = smtplib.SMTP("127.0.0.1", self.mr.port("submission"),
                                 timeout=30)
                s.starttls(context=self.context())
                s.ehlo()
                s.user, s.password = "bob@virtual.example", "bob-pw"
                code, _ = s.auth(mech, getattr(s, method),
                                 initial_response_ok=False)
                self.assertEqual(code, 235)
                s.quit()

    def test_relay_needs_auth(self):
        c = self.submission()
        c.cmd(b"MAIL FROM:<alice@mx.test.example>")
        self.assertEqual(c.cmd(b"RCPT TO:<friend@remote.example>"),
                         b"554 5.7.1 <friend@remote.example>: Relay access "
                         b"denied")
        self.assertEqual(c.cmd(b"RCPT TO:<postmaster@mx.test.example>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"RSET"), b"250 2.0.0 Ok")
        self.assertEqual(self.login(c),
                         b"235 2.7.0 Authentication successful")
        self.assertEqual(c.cmd(b"MAIL FROM:<alice@mx.test.example> AUTH=<>"),
                         b"250 2.1.0 Ok")
        self.assertEqual(c.cmd(b"RCPT TO:<friend@remote.example>"),
                         b"250 2.1.5 Ok")

    def test_auth_exchanges(self):
        c = self.submission()
        wrong = "not the password"
        for send, expect in [
                (b"AUTH CRAM-MD5", b"504 5.5.4 Unrecognized authentication "
                                   b"type"),
                (b"AUTH PLAIN", b"334 "),
                (b"*", b"501 5.7.0 Authentication aborted"),
                (b"AUTH PLAIN", b"334 "),
                (b"not base64!", b"501 5.5.2 Cannot decode response"),
                (b"AUTH PLAIN =", b"535 5.7.8 Error: authentication failed: "
                                  b"authentication failure"),
                (b"AUTH PLAIN " + b64("bob\0alice\0" + PASSWORD),
                 b"535 5.7.8 Error: authentication failed: authentication "
                 b"failure"),
                (b"AUTH LOGIN", b"334 VXNlcm5hbWU6"),
                (b64("alice"), b"334 UGFzc3dvcmQ6"),
                (b64(wrong), b"535 5.7.8 Error: authentication failed: "
                             b"authentication failure"),
                (b"AUTH LOGIN " + b64("nosuchuser"), b"334 UGFzc3dvcmQ6"),
                (b64(wrong), b"535 5.7.8 Error: authentication failed: "
                             b"authentication failure"),
                (b"AUTH PLAIN", b"334 "),
                (b"A" * 13000, b"500 5.5.6 Authentication Exchange line is "
                               b"too long"),
                (b"MAIL FROM:<alice@mx.test.example>", b"250 2.1.0 Ok"),
                (b"AUTH PLAIN " + b64("\0alice\0" + PASSWORD),
                 b"503 5.5.1 Error: MAIL transaction in progress"),
                (b"RSET", b"250 2.0.0 Ok"),
                (b"AUTH LOGIN " + b64("alice"), b"334 UGFzc3dvcmQ6"),
                (b64(PASSWORD), b"235 2.7.0 Authentication successful"),
                (b"AUTH PLAIN " + b64("\0alice\0" + PASSWORD),
                 b"503 5.5.1 Error: already authenticated"),
                (b"QUIT", b"221 2.0.0 Bye")]:
            self.assertEqual(c.cmd(send), expect, send[:40])
        self.mr.wait_log("disconnect from unknown[127.0.0.1]")
        log = self.mr.log()
        for mech, user in (("PLAIN", ""), ("LOGIN", "alice"),
                           ("LOGIN", "nosuchuser")):
            self.assertIn("warning: unknown[127.0.0.1]: SASL %s authentication "
                          "failed: authentication failure, sasl_username=%s\n"
                          % (mech, user), log)
        # Neither passwords nor AUTH payloads reach the log.
        for secret in (wrong, PASSWORD, b64(wrong).decode(),
                       b64(PASSWORD).decode()):
            self.assertNotIn(secret, log)

    def test_swaks(self):
        for port, tls, mech in (("submission", "--tls", "LOGIN"),
                                ("smtps", "--tlsc", "PLAIN")):
            with self.subTest(service=port):
                r = subprocess.run(
                    ["swaks", "--server", "127.0.0.1",
                     "--port", str(self.mr.port(port)), tls,
                     "--auth", mech, "--auth-user", "bob@virtual.example",
                     "--auth-password", "bob-pw",
                     "--from", "bob@virtual.example",
                     "--to", "friend@remote.example",
                     "--header", "Subject: swaks " + port],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("<~  235 2.7.0 Authentication successful",
                              r.stdout)
                self.assertIn("<~  250 2.0.0 Ok: queued as ", r.stdout)
        r = subprocess.run(
            ["swaks", "--server", "127.0.0.1",
             "--port", str(self.mr.port("submission")), "--tls",
             "--auth", "PLAIN", "--auth-user", "alice",
             "--auth-password", "wrong password",
             "--from", "alice@mx.test.example", "--to", "x@remote.example"],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("<~* 535 5.7.8 Error: authentication failed: "
                      "authentication failure", r.stdout)
        self.assertEqual(len(queued(self.mr)), 2)

    def test_smtps(self):
        # A password with UTF-8 in it, as PLAIN carries it (RFC 4616).
        self.mr.mailroom("user", "add", "carol", input="c\u00e4rol pw\n",
                         check=True)
        c = self.connect("smtps")
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        self.assertEqual(c.cmd(b"STARTTLS"),
                         b"554 5.5.1 Error: TLS already active")
        self.assertEqual(self.login(c, "carol", "c\u00e4rol pw"),
                         b"235 2.7.0 Authentication successful")


class SenderLoginMapsTest(TlsBase):
    """Postfix's reject_sender_login_mismatch with smtpd_sender_login_maps."""

    def config(self):
        path = os.path.join(self.mr.dir, "senders")
        with open(path, "w") as f:
            f.write("alice@mx.test.example alice\n"
                    "shared@mx.test.example alice, bob@virtual.example\n"
                    "@owned.example bob@virtual.example\n")
        self.mr.mailroom("map", "build", "hash:" + path, check=True)
        self.mr.configure(smtpd_sender_login_maps="hash:" + path)

    def test_authenticated_sender_must_own_the_address(self):
        c = self.submission()
        self.assertEqual(self.login(c), b"235 2.7.0 Authentication successful")
        for sender, reply in [
                (b"alice@mx.test.example", b"250 2.1.0 Ok"),
                (b"Alice+tag@MX.test.example", b"250 2.1.0 Ok"),
                (b"shared@mx.test.example", b"250 2.1.0 Ok"),
                (b"", b"250 2.1.0 Ok"),
                (b"bob@virtual.example",
                 b"553 5.7.1 <bob@virtual.example>: Sender address rejected: "
                 b"not owned by user alice"),
                (b"someone@owned.example",
                 b"553 5.7.1 <someone@owned.example>: Sender address "
                 b"rejected: not owned by user alice"),
                (b"stranger@elsewhere.example",
                 b"553 5.7.1 <stranger@elsewhere.example>: Sender address "
                 b"rejected: not owned by user alice")]:
            self.assertEqual(c.cmd(b"MAIL FROM:<" + sender + b">"), reply,
                             sender)
            c.cmd(b"RSET")
        self.mr.wait_log("NOQUEUE: reject: MAIL from unknown[127.0.0.1]: 553 "
                         "5.7.1 <bob@virtual.example>: Sender address "
                         "rejected: not owned by user alice; "
                         "from=<bob@virtual.example> proto=ESMTP "
                         "helo=<client.example>")

    def test_owned_address_needs_login(self):
        c = self.connect()
        self.ehlo(c, b"STARTTLS")
        self.assertEqual(c.cmd(b"MAIL FROM:<alice@mx.test.example>"),
                         b"553 5.7.1 <alice@mx.test.example>: Sender address "
                         b"rejected: not logged in")
        self.assertEqual(c.cmd(b"MAIL FROM:<x@owned.example>"),
                         b"553 5.7.1 <x@owned.example>: Sender address "
                         b"rejected: not logged in")
        self.assertEqual(c.cmd(b"MAIL FROM:<stranger@elsewhere.example>"),
                         b"250 2.1.0 Ok")


class AuthLimitTest(TlsBase):
    """Three failed AUTHs per client address, across processes and
    services, then a delayed 421."""

    FAILURE_LIMIT = "3"

    def test_failures_are_limited(self):
        c = self.submission()
        bad = b"AUTH PLAIN " + b64("\0alice\0wrong")
        failed = (b"535 5.7.8 Error: authentication failed: authentication "
                  b"failure")
        too_many = (b"421 4.7.0 mx.test.example Error: too many failed "
                    b"authentications from 127.0.0.1")
        self.assertEqual(c.cmd(bad), failed)
        self.assertEqual(c.cmd(bad), failed)
        c.send(bad + b"\r\n")
        self.assertEqual(c.replies(2), [[failed], [too_many]])
        self.assertTrue(c.closed())
        # Another service (another process): refused without a check,
        # even with the right password.
        c = self.connect("smtps")
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        c.send(b"AUTH PLAIN " + b64("\0alice\0" + PASSWORD) + b"\r\n")
        self.assertEqual(c.reply(), [too_many])
        self.assertTrue(c.closed())
        self.mr.wait_log("warning: too many failed authentications "
                         "from 127.0.0.1")
        self.assertEqual(self.mr.log().count("SASL PLAIN authentication failed"), 3)


class NoCertificateTest(TlsBase):
    """A certificate that cannot be read: port 25 goes on without TLS,
    the services that require TLS refuse to run (configuration error)."""

    def config(self):
        self.mr.configure(smtpd_tls_cert_file=os.path.join(
            self.mr.dir, "tls", "missing.pem"))

    def test_starttls_not_available(self):
        c = self.connect()
        self.ehlo(c)
        # What is pipelined behind STARTTLS is dropped all the same.
        c.send(b"STARTTLS\r\nMAIL FROM:<a@client.example>\r\n")
        self.assertEqual(c.reply(), [
            b"454 4.7.0 TLS not available due to local problem"])
        self.assertEqual(c.cmd(b"RCPT TO:<postmaster@mx.test.example>"),
                         b"503 5.5.1 Error: need MAIL command")
        self.mr.wait_log("No server certs available. TLS can't be enabled")
        self.assertIn("warning: No server certs available. TLS won't be "
                      "enabled: cannot load certificate chain from ",
                      self.mr.log())


class NoTlsTest(TlsBase):

    def config(self):
        self.mr.configure(smtpd_tls_security_level="none")

    def test_starttls_not_offered(self):
        c = self.connect()
        self.ehlo(c)
        self.assertEqual(c.cmd(b"STARTTLS"),
                         b"502 5.5.1 Error: command not implemented")
        self.assertEqual(c.cmd(b"NOOP"), b"250 2.0.0 Ok")


class AuthOnPort25Test(TlsBase):
    """AUTH enabled for every service (main.cf), TLS only for AUTH (the
    default smtpd_tls_auth_only = yes): port 25 offers it after STARTTLS
    only, and says why before."""

    def config(self):
        self.mr.configure(smtpd_sasl_auth_enable="yes")

    def test_auth_needs_tls(self):
        c = self.connect()
        self.ehlo(c, b"STARTTLS")
        self.assertEqual(self.login(c), b"538 5.7.11 Encryption required "
                         b"for requested authentication mechanism")
        self.starttls(c)
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        self.assertEqual(self.login(c),
                         b"235 2.7.0 Authentication successful")


class CertificateReloadTest(TlsBase):

    def peer_cert(self):
        """The certificate a new smtps session is shown."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", self.mr.port("smtps")),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=HOST) as s:
                return s.getpeercert(binary_form=True)

    def test_reload_picks_up_a_renewed_certificate(self):
        with open(self.cert_file) as f:
            first = ssl.PEM_cert_to_DER_cert(f.read())
        self.assertEqual(self.peer_cert(), first)
        old = set(self.mr.children("smtpd"))
        # A session open across the reload, in the middle of a message.
        c = self.connect("smtps")
        self.ehlo(c, b"AUTH PLAIN LOGIN")
        self.assertEqual(self.login(c), b"235 2.7.0 Authentication successful")
        self.assertEqual(c.cmd(b"MAIL FROM:<alice@mx.test.example>"),
                         b"250 2.1.0 Ok")
        renewed = self.mr.renew_certificate("renewed.test.example")
        r = self.mr.mailroom("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.peer_cert() == renewed, timeout=20,
                 what="the renewed certificate on a new session")
        self.mr.remember_pids()
        # The old session goes on with its process and its certificate.
        self.assertEqual(c.cmd(b"RCPT TO:<friend@remote.example>"),
                         b"250 2.1.5 Ok")
        self.assertEqual(c.cmd(b"DATA"),
                         b"354 End data with <CR><LF>.<CR><LF>")
        self.assertRegex(c.cmd(b"Subject: across\r\n\r\nreload\r\n."),
                         rb"^250 2\.0\.0 Ok: queued as ")
        self.assertEqual(c.sock.getpeercert(binary_form=True), first)
        self.assertEqual(c.cmd(b"QUIT"), b"221 2.0.0 Bye")
        wait_for(lambda: not any(pid_alive(p) for p in old), timeout=20,
                 what="the old smtpd processes to finish")
        self.assertEqual(len(queued(self.mr)), 1)


if __name__ == "__main__":
    unittest.main()
