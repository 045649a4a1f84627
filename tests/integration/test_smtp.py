"""test_smtp - the SMTP delivery client against real servers.

The receiving side is Postfix's smtp-sink, a second mailroom instance, or
(for a stalled server and a connection dropped inside DATA) a scripted
peer; DNS answers come from a real dnsmasq serving MX, A, AAAA, CNAME and
null-MX records for test domains on 127.0.0.x. Everything runs on
127.0.0.0/8; every process is stopped by its PID.
"""
import email
import email.policy
import os
import smtplib
import subprocess
import tempfile
import unittest

import mrtest
import peers

HAVE_SMTP = os.path.exists(os.path.join(mrtest.LIBEXEC, "smtp"))


def maildir_messages(maildir):
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
    return out


def established_to(port):
    """How many TCP connections to 127.0.0.1:port are established."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and remote == "0100007F:%04X" % port:
                n += 1
    return n


class SmtpBase(mrtest.InstanceTest):
    """An instance relaying for 127.0.0.0/8, with local user alice."""

    def setUp(self):
        super().setUp()
        self.mr.configure(mynetworks="127.0.0.0/8",
                          smtp_helo_timeout="5s",
                          minimal_backoff_time="1h")
        self.alice = self.add_user(self.mr, "alice")

    def add_user(self, mr, name):
        mr.mailroom("user", "add", name, input="pw\n", check=True)
        for line in mr.mailroom("user", "list", check=True).stdout.splitlines():
            fields = line.split()
            if fields[0] == name:
                return fields[-1]
        raise AssertionError("user %s not listed" % name)

    def peer(self, p):
        self.addCleanup(p.stop)
        return p

    def send(self, rcpts, body=None, sender="alice@localhost", count=1,
             port=None):
        msg = body or (b"From: alice@localhost\r\nSubject: test\r\n\r\n"
                       b"hello\r\n.leading dot\r\n")
        with smtplib.SMTP("127.0.0.1", port or self.mr.port("smtp"),
                          timeout=30) as s:
            for _ in range(count):
                s.sendmail(sender, rcpts, msg)

    def queue_count(self):
        r = self.mr.mailroom("queue", "list", "--json", check=True)
        return len([l for l in r.stdout.splitlines() if l.strip()])

    def wait_bounce(self, needle):
        """A delivery status notification for alice containing needle."""
        def found():
            return any(needle.encode() in m
                       for m in maildir_messages(self.alice))
        mrtest.wait_for(found, mrtest.WAIT_S, "bounce with %r" % needle)
        for m in maildir_messages(self.alice):
            if needle.encode() in m:
                return email.message_from_bytes(m, policy=email.policy.default)
        return None


@unittest.skipUnless(HAVE_SMTP, "no smtp client in this build")
class RelayhostTest(SmtpBase):
    """relayhost = [127.0.0.1]:port: no DNS at all."""

    def relay_to(self, port, **params):
        self.mr.configure(relayhost="[127.0.0.1]:%d" % port, **params)

    def test_relay_reuses_one_connection(self):
        port = peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port))
        self.relay_to(port, smtp_destination_concurrency_limit="1",
                      smtp_connection_cache_time_limit="30s")
        self.mr.start()
        self.send(["bob@remote.example", "carol@remote.example"], count=50)
        sink.wait_messages(50, timeout=60)
        sessions, messages = sink.counters()
        self.assertEqual(messages, 50)
        self.assertEqual(sessions, 1, "50 messages over one connection")
        log = self.mr.log()
        self.assertIn("relay=127.0.0.1[127.0.0.1]:%d" % port, log)
        self.assertEqual(log.count("status=sent (250"), 100)
        mrtest.wait_for(lambda: self.queue_count() == 0, mrtest.WAIT_S,
                        "empty queue")

    def test_cached_connection_closed_after_idle_limit(self):
        port = peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port))
        self.relay_to(port, smtp_connection_cache_time_limit="1s")
        self.mr.start()
        self.send(["bob@remote.example"])
        sink.wait_messages(1)
        # Idle in the cache for its time limit, then closed ...
        mrtest.wait_for(lambda: established_to(port) == 0, mrtest.WAIT_S,
                        "the cached connection closed")
        # ... so the next message opens a new one.
        self.send(["carol@remote.example"])
        sink.wait_messages(2)
        self.assertEqual(sink.counters(), (2, 2))

    def test_pipelined_and_lockstep_content_exact(self):
        """Dot-stuffing and line ends survive, with and without
        PIPELINING (smtp-sink -p turns it off)."""
        for options in ((), ("-p",)):
            port = peers.free_port()
            sink = self.peer(peers.Sink("127.0.0.1", port, *options,
                                        dump=True))
            mr = mrtest.Instance()
            self.addCleanup(mr.cleanup)
            mr.configure(mynetworks="127.0.0.0/8",
                         relayhost="[127.0.0.1]:%d" % port)
            mr.start()
            body = (b"From: a@localhost\r\nSubject: dots\r\n\r\n"
                    b".\r\n..two\r\nplain\r\n. x\r\n")
            self.send(["bob@remote.example"], body=body,
                      port=mr.port("smtp"))
            sink.wait_messages(1)
            dump = sink.dumps()[0]
            # smtp-sink dumps with LF line ends, dots unstuffed
            self.assertIn(b"\n\n.\n..two\nplain\n. x\n", dump)
            self.assertIn(b"Subject: dots\n", dump)

    def test_transport_maps(self):
        """transport_maps sends one domain elsewhere; the rest follows
        relayhost."""
        port, other_port = peers.free_port(), peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port))
        other = self.peer(peers.Sink("127.0.0.1", other_port))
        table = os.path.join(self.mr.dir, "transport")
        with open(table, "w") as f:
            f.write("special.example smtp:[127.0.0.1]:%d\n" % other_port)
            f.write(".sub.example :[127.0.0.1]:%d\n" % other_port)
        self.mr.mailroom("map", "build", "hash:" + table, check=True)
        self.relay_to(port, transport_maps="hash:" + table)
        self.mr.start()
        self.send(["a@special.example"])
        self.send(["b@deep.sub.example"])
        self.send(["c@elsewhere.example"])
        other.wait_messages(2)
        sink.wait_messages(1)
        self.mr.wait_log("to=<a@special.example>, relay=127.0.0.1"
                         "[127.0.0.1]:%d" % other_port)

    def test_8bit_downgraded_for_server_without_8bitmime(self):
        port = peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port, "-8", dump=True))
        self.relay_to(port)
        self.mr.start()
        body = ("From: alice@localhost\r\nSubject: caf\u00e9\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n"
                "\u00e9t\u00e9 = summer\r\n").encode()
        with smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30) as s:
            s.sendmail("alice@localhost", ["bob@remote.example"], body,
                       mail_options=["BODY=8BITMIME"])
        sink.wait_messages(1)
        dump = sink.dumps()[0]
        head, _, text = dump.partition(b"\n\n")
        self.assertIn(b"Content-Transfer-Encoding: quoted-printable", dump)
        self.assertNotIn(b"Content-Transfer-Encoding: 8bit", dump)
        self.assertIn(b"=C3=A9t=C3=A9 =3D summer", dump)
        self.assertNotIn(b"BODY=8BITMIME", head)
        msg = email.message_from_bytes(dump, policy=email.policy.default)
        self.assertIn("\u00e9t\u00e9 = summer", msg.get_content())

    def test_dsn_parameters_passed_on(self):
        port = peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port, dump=True))
        self.relay_to(port)
        self.mr.start()
        with smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30) as s:
            s.ehlo()
            s.sendmail("alice@localhost", ["bob@remote.example"],
                       b"Subject: dsn\r\n\r\nx\r\n",
                       mail_options=["RET=HDRS", "ENVID=env+2Bid"],
                       rcpt_options=["NOTIFY=SUCCESS,DELAY",
                                     "ORCPT=rfc822;Bob@remote.example"])
        sink.wait_messages(1)
        head = sink.dumps()[0].partition(b"\n\n")[0]
        self.assertIn(b"X-Mail-Args: <alice@localhost> RET=HDRS "
                      b"ENVID=env+2Bid\n", head)
        self.assertIn(b"X-Rcpt-Args: <bob@remote.example> "
                      b"NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Bob@remote.example",
                      head)

    def test_helo_when_ehlo_is_refused(self):
        port = peers.free_port()
        sink = self.peer(peers.Sink("127.0.0.1", port, "-e", dump=True))
        self.relay_to(port)
        self.mr.start()
        self.send(["bob@remote.example"])
        sink.wait_messages(1)
        dump = sink.dumps()[0]
        self.assertIn(b"X-Client-Proto: SMTP\n", dump)
        self.assertIn(b"X-Mail-Args: <alice@localhost>\n", dump)

    def test_smtputf8_required_but_not_offered_bounces(self):
        other = mrtest.Instance()
        self.addCleanup(other.cleanup)
        other.configure(mynetworks="127.0.0.0/8", smtputf8_enable="no")
        other.start()
        self.relay_to(other.port("smtp"))
        self.mr.start()
        with smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=30) as s:
            s.ehlo()
            s.sendmail("alice@localhost", ["j\u00f6rg@remote.example"],
                       b"Subject: utf8\r\n\r\nx\r\n",
                       mail_options=["SMTPUTF8"])
        dsn = self.wait_bounce("remote.example")
        self.assertIn("5.6.7", dsn.as_string())
        self.mr.wait_log("SMTPUTF8 is required, but was not offered")

    def test_5xx_bounces_to_sender(self):
        port = peers.free_port()
        self.peer(peers.Sink("127.0.0.1", port, "-f", "RCPT"))
        self.relay_to(port)
        self.mr.start()
        self.send(["nobody@remote.example"])
        dsn = self.wait_bounce("nobody@remote.example")
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        self.assertIn("5.3.0", dsn.as_string())
        self.assertIn("in reply to RCPT TO command", dsn.as_string())
        # The reply text names the host as Postfix does: no port.
        self.mr.wait_log("status=bounced (host 127.0.0.1[127.0.0.1] "
                         "said: 500 5.3.0")

    def test_4xx_deferred_then_delivered(self):
        port = peers.free_port()
        sink = peers.Sink("127.0.0.1", port, "-r", "RCPT")
        self.addCleanup(sink.stop)
        self.relay_to(port)
        self.mr.start()
        self.send(["later@remote.example"])
        self.mr.wait_log("status=deferred (host 127.0.0.1[127.0.0.1] "
                         "said: 450 4.3.0")
        self.assertEqual(self.queue_count(), 1)
        sink.stop()
        good = self.peer(peers.Sink("127.0.0.1", port))
        self.mr.mailroom("queue", "flush", check=True)
        good.wait_messages(1)
        mrtest.wait_for(lambda: self.queue_count() == 0, mrtest.WAIT_S,
                        "empty queue")

    def test_dropped_in_data_deferred_nothing_lost(self):
        port = peers.free_port()
        peer = peers.Scripted("127.0.0.1", port, "drop_in_data")
        self.relay_to(port)
        self.mr.start()
        # Larger than the socket buffers (the peer's receive buffer is
        # small), so it is still on its way when the peer hangs up.
        body = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 8000
        self.send(["drop@remote.example"], body=body)
        self.mr.wait_log("status=deferred (lost connection with "
                         "127.0.0.1[127.0.0.1] while sending message "
                         "body)")
        peer.stop()
        self.assertEqual(self.queue_count(), 1)
        good = self.peer(peers.Sink("127.0.0.1", port))
        self.mr.mailroom("queue", "flush", check=True)
        good.wait_messages(1)
        mrtest.wait_for(lambda: self.queue_count() == 0, mrtest.WAIT_S,
                        "empty queue")

    def test_stalled_server_times_out(self):
        port = peers.free_port()
        self.peer(peers.Scripted("127.0.0.1", port, "stall"))
        self.relay_to(port)
        self.mr.configure(smtp_helo_timeout="2s")
        self.mr.start()
        self.send(["slow@remote.example"])
        self.mr.wait_log("status=deferred (conversation with "
                         "127.0.0.1[127.0.0.1] timed out while "
                         "receiving the initial server greeting)")
        self.assertEqual(self.queue_count(), 1)

    def test_size_limit_of_server(self):
        """A server announcing SIZE 2000 never gets a larger message: it
        bounces with 5.3.4 without being sent."""
        other = mrtest.Instance()
        self.addCleanup(other.cleanup)
        other.configure(mynetworks="127.0.0.0/8", message_size_limit="2000")
        other.start()
        self.relay_to(other.port("smtp"))
        self.mr.start()
        big = b"Subject: big\r\n\r\n" + b"x" * 70 + b"\r\n"
        self.send(["big@remote.example"], body=big * 40)
        dsn = self.wait_bounce("big@remote.example")
        self.assertIn("5.3.4", dsn.as_string())
        self.assertIn("exceeds size limit 2000", self.mr.log())
        self.assertNotIn("from=<alice@localhost>", other.log())


@unittest.skipUnless(HAVE_SMTP, "no smtp client in this build")
class DnsTest(SmtpBase):
    """Delivery by MX records served by dnsmasq."""

    def setUp(self):
        super().setUp()
        self.port = peers.free_port()
        self.dns = self.peer(peers.Dnsmasq([
            "host-record=mx1.two.test,127.0.0.2",
            "host-record=mx2.two.test,127.0.0.3",
            "mx-host=two.test,mx1.two.test,10",
            "mx-host=two.test,mx2.two.test,20",
            "host-record=plain.test,127.0.0.3",
            "host-record=real.cname.test,127.0.0.3",
            "cname=alias.cname.test,real.cname.test",
            "mx-host=cname.test,alias.cname.test,5",
            "dns-rr=null.test,15,000000",
            "host-record=null.test,127.0.0.3",
            "host-record=self.loop.test,127.0.0.1",
            "mx-host=loop.test,self.loop.test,10",
            "host-record=mxa.backup.test,127.0.0.2",
            "mx-host=backup.test,mxa.backup.test,10",
            "mx-host=backup.test,self.loop.test,20",
        ]))
        self.mr.configure(smtp_dns_servers=self.dns.servers,
                          smtp_port=str(self.port))

    def test_first_mx_down_second_gets_it(self):
        sink = self.peer(peers.Sink("127.0.0.3", self.port))
        self.mr.start()
        self.send(["bob@two.test"])
        sink.wait_messages(1)
        log = self.mr.log()
        self.assertIn("connect to mx1.two.test[127.0.0.2]:%d" % self.port,
                      log)
        self.assertIn("to=<bob@two.test>, relay=mx2.two.test[127.0.0.3]:%d"
                      % self.port, log)

    def test_4xx_greeting_then_second_mx(self):
        # The first MX answers the connection with 4xx: the same delivery
        # goes on to the next MX (RFC 5321 5.1), not to the deferred queue.
        busy = self.peer(peers.Sink("127.0.0.2", self.port, "-r", "CONNECT"))
        sink = self.peer(peers.Sink("127.0.0.3", self.port))
        self.mr.start()
        self.send(["bob@two.test"])
        sink.wait_messages(1)
        self.assertEqual(busy.counters()[1], 0)
        log = self.mr.log()
        self.assertRegex(log, r"host mx1\.two\.test\[127\.0\.0\.2\] "
                         r"refused to talk to me: 4\d\d ")
        self.assertIn("to=<bob@two.test>, relay=mx2.two.test[127.0.0.3]:%d"
                      % self.port, log)
        self.assertNotIn("status=deferred", log)

    def test_dropped_session_then_second_mx(self):
        # The first MX drops the connection at MAIL FROM: next MX.
        drop = self.peer(peers.Sink("127.0.0.2", self.port, "-q", "MAIL"))
        sink = self.peer(peers.Sink("127.0.0.3", self.port))
        self.mr.start()
        self.send(["bob@two.test"])
        sink.wait_messages(1)
        self.assertEqual(drop.counters()[1], 0)
        log = self.mr.log()
        self.assertIn("lost connection with mx1.two.test[127.0.0.2]", log)
        self.assertIn("to=<bob@two.test>, relay=mx2.two.test[127.0.0.3]:%d"
                      % self.port, log)
        self.assertNotIn("status=deferred", log)

    def test_best_mx_is_self_bounces(self):
        # The only MX is this instance's own smtpd (same address, same
        # port): delivering there would loop (RFC 5321 5.1).
        self.mr.configure(smtp_port=str(self.mr.port("smtp")))
        self.mr.start()
        self.send(["bob@loop.test"])
        self.mr.wait_log("to=<bob@loop.test>, relay=none")
        self.assertRegex(self.mr.log(), r"dsn=5\.4\.6, status=bounced "
                         r"\(mail for loop\.test loops back to myself\)")

    def test_self_as_backup_mx_is_not_used(self):
        # This instance is the backup MX: with the primary down the mail
        # waits (deferred); it is not handed to our own smtpd.
        self.mr.configure(smtp_port=str(self.mr.port("smtp")))
        self.mr.start()
        self.send(["bob@backup.test"])
        self.mr.wait_log("to=<bob@backup.test>, relay=none")
        log = self.mr.log()
        self.assertIn("connect to mxa.backup.test[127.0.0.2]:%d"
                      % self.mr.port("smtp"), log)
        self.assertIn("status=deferred", log)
        self.assertNotIn("self.loop.test", log)

    def test_implicit_mx(self):
        sink = self.peer(peers.Sink("127.0.0.3", self.port))
        self.mr.start()
        self.send(["bob@plain.test"])
        sink.wait_messages(1)
        self.mr.wait_log("relay=plain.test[127.0.0.3]")

    def test_ipv6_mx_host(self):
        sink = self.peer(peers.Sink("::1", self.port))
        dns = self.peer(peers.Dnsmasq([
            "host-record=mx.six.test,::1",
            "mx-host=six.test,mx.six.test,10",
        ]))
        self.mr.configure(smtp_dns_servers=dns.servers)
        self.mr.start()
        self.send(["bob@six.test"])
        sink.wait_messages(1)
        self.mr.wait_log("to=<bob@six.test>, relay=mx.six.test[::1]:%d"
                         % self.port)

    def test_cname_mx_target(self):
        sink = self.peer(peers.Sink("127.0.0.3", self.port))
        self.mr.start()
        self.send(["bob@cname.test"])
        sink.wait_messages(1)

    def test_null_mx_bounces(self):
        self.mr.start()
        self.send(["bob@null.test"])
        dsn = self.wait_bounce("bob@null.test")
        self.assertIn("5.1.10", dsn.as_string())

    def test_nxdomain_bounces(self):
        self.mr.start()
        self.send(["bob@nonexistent.test"])
        dsn = self.wait_bounce("bob@nonexistent.test")
        self.assertIn("5.4.4", dsn.as_string())
        self.mr.wait_log("Host or domain name not found")

    def test_dns_down_defers(self):
        self.dns.stop()
        self.mr.configure(smtp_dns_timeout="1s")
        self.mr.start()
        self.send(["bob@two.test"])
        self.mr.wait_log("to=<bob@two.test>, relay=none", timeout=60)
        self.assertIn("dsn=4.4.3, status=deferred", self.mr.log())
        self.assertEqual(self.queue_count(), 1)

    def test_to_second_mailroom_byte_exact(self):
        """The receiving server is another mailroom instance: the
        message arrives in bob's Maildir unchanged."""
        other = mrtest.Instance()
        self.addCleanup(other.cleanup)
        other.configure(mydestination="mailroom.test")
        bob = self.add_user(other, "bob")
        other.start()
        dns = self.peer(peers.Dnsmasq([
            "host-record=mx.mailroom.test,127.0.0.1",
            "mx-host=mailroom.test,mx.mailroom.test,10",
        ]))
        self.mr.configure(smtp_dns_servers=dns.servers,
                          smtp_port=str(other.port("smtp")))
        self.mr.start()
        body = (b"From: alice@localhost\r\nTo: bob@mailroom.test\r\n"
                b"Subject: exact\r\n\r\nline one\r\n.dot\r\n\r\nend\r\n")
        self.send(["bob@mailroom.test"], body=body)
        mrtest.wait_for(lambda: maildir_messages(bob), mrtest.WAIT_S,
                        "mail for bob")
        got = maildir_messages(bob)[0]
        self.assertTrue(got.replace(b"\r\n", b"\n").endswith(
            body.replace(b"\r\n", b"\n")), got)


@unittest.skipUnless(HAVE_SMTP, "no smtp client in this build")
class TlsTest(SmtpBase):
    """STARTTLS to a second mailroom instance, whose `mailroom init`
    made a self-signed certificate for its myhostname."""

    def setUp(self):
        super().setUp()
        self.other = mrtest.Instance()
        self.addCleanup(self.other.cleanup)
        self.other.configure(mydestination="mailroom.test")
        self.bob = self.add_user(self.other, "bob")
        self.other.start()
        name = self.other.mailroom("config", "myhostname",
                                   check=True).stdout.split("=", 1)[1]
        self.cert_name = name.strip()
        self.dns = self.peer(peers.Dnsmasq([
            "host-record=mx.mailroom.test,127.0.0.1",
            "host-record=%s,127.0.0.1" % self.cert_name,
            "mx-host=mailroom.test,mx.mailroom.test,10",
            "mx-host=named.mailroom.test,%s,10" % self.cert_name,
        ]))
        self.mr.configure(smtp_dns_servers=self.dns.servers,
                          smtp_port=str(self.other.port("smtp")))

    def test_may_with_self_signed_certificate(self):
        self.mr.configure(smtp_tls_security_level="may")
        self.mr.start()
        self.send(["bob@mailroom.test"])
        mrtest.wait_for(lambda: maildir_messages(self.bob), mrtest.WAIT_S,
                        "mail for bob")
        log = self.mr.log()
        self.assertIn("Untrusted TLS connection established to "
                      "mx.mailroom.test[127.0.0.1]:%d: TLSv1.3"
                      % self.other.port("smtp"), log)
        self.assertIn("status=sent (250", log)
        # The receiving side saw TLS too (Received: ... with ESMTPS).
        self.assertIn(b"with ESMTPS", maildir_messages(self.bob)[0])

    def test_verify_refuses_untrusted_certificate(self):
        self.mr.configure(smtp_tls_security_level="verify")
        self.mr.start()
        self.send(["bob@mailroom.test"])
        self.mr.wait_log("status=deferred (Server certificate not "
                         "verified")
        self.assertEqual(maildir_messages(self.bob), [])
        self.assertEqual(self.queue_count(), 1)

    def test_verify_with_trusted_ca_and_matching_name(self):
        cert = os.path.join(self.other.dir, "tls", "cert.pem")
        self.mr.configure(smtp_tls_security_level="verify",
                          smtp_tls_CAfile=cert)
        self.mr.start()
        # The MX host is the name in the certificate: verified.
        self.send(["bob@named.mailroom.test"])
        self.mr.wait_log("Verified TLS connection established to %s"
                         % self.cert_name)

    def test_encrypt_without_starttls_defers(self):
        port = peers.free_port()
        self.peer(peers.Sink("127.0.0.1", port))
        self.mr.configure(smtp_tls_security_level="encrypt",
                          relayhost="[127.0.0.1]:%d" % port)
        self.mr.start()
        self.send(["bob@remote.example"])
        self.mr.wait_log("status=deferred (TLS is required, but was not "
                         "offered by host 127.0.0.1[127.0.0.1])")


@unittest.skipUnless(HAVE_SMTP, "no smtp client in this build")
@unittest.skipUnless(peers.can_netns(),
                     "needs root and network namespaces")
class Port25Test(SmtpBase):
    """A relay over a veth link to a host in a network namespace that
    listens on the real SMTP port 25, found through its MX record."""

    def test_relay_to_port_25(self):
        ns = peers.Netns()
        self.addCleanup(ns.stop)
        out = tempfile.TemporaryFile()
        self.addCleanup(out.close)
        ns.popen(peers.SMTP_SINK, "-c", "-u", "nobody",
                 "%s:25" % ns.remote, "10", stdout=out,
                 stderr=subprocess.STDOUT)
        peers.wait_listen(ns.remote, 25)
        dns = self.peer(peers.Dnsmasq([
            "host-record=mx.far.test,%s" % ns.remote,
            "mx-host=far.test,mx.far.test,10",
        ]))
        self.mr.configure(smtp_dns_servers=dns.servers)
        self.mr.start()
        self.assertEqual(self.mr.mailroom("config", "smtp_port").stdout
                         .strip(), "smtp_port = 25")
        self.send(["bob@far.test"])
        self.mr.wait_log("to=<bob@far.test>, relay=mx.far.test[%s]:25"
                         % ns.remote)
        self.assertIn("status=sent (250", self.mr.log())


if __name__ == "__main__":
    unittest.main()
