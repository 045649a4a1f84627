"""test_qmgr - the queue manager on a real instance: smtpd queues, qmgr
schedules, the real local agent delivers into Maildirs.

Skipped when the build has no local agent (libexec/mailroom/local).
"""
import email
import email.policy
import os
import signal
import smtplib
import time
import unittest

import mrtest

HAVE_LOCAL = os.path.exists(os.path.join(mrtest.LIBEXEC, "local"))


def count_files(d):
    try:
        return len([n for n in os.listdir(d) if not n.startswith(".")])
    except FileNotFoundError:
        return 0


@unittest.skipUnless(HAVE_LOCAL, "no local delivery agent in this build")
class QmgrTest(mrtest.InstanceTest):

    def setUp(self):
        super().setUp()
        self.mr.configure(mynetworks="127.0.0.0/8")

    def add_user(self, name):
        self.mr.mailroom("user", "add", name, input="pw\n", check=True)
        r = self.mr.mailroom("user", "list", check=True)
        for line in r.stdout.splitlines():
            fields = line.split()
            if fields[0] == name:
                return fields[-1]
        raise AssertionError("user %s not listed" % name)

    def send(self, sender, rcpts, subject="test", count=1):
        s = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=20)
        try:
            for i in range(count):
                msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s %d\r\n\r\n"
                       "body %d\r\n" % (sender, rcpts[0], subject, i, i))
                s.sendmail(sender, rcpts, msg)
        finally:
            s.quit()

    def queue_dir(self, state):
        return os.path.join(self.mr.dir, "queue", state)

    def test_local_delivery_and_removal(self):
        maildir = self.add_user("alice")
        self.mr.start()
        self.send("bob@example.org", ["alice@localhost"], "hello")
        new = os.path.join(maildir, "new")
        mrtest.wait_for(lambda: count_files(new) == 1, what="delivery")
        self.mr.wait_log(": removed")
        mrtest.wait_for(lambda: count_files(self.queue_dir("active")) == 0,
                        what="empty active queue")
        with open(os.path.join(new, os.listdir(new)[0]), "rb") as f:
            self.assertIn(b"Subject: hello 0", f.read())

    def test_transport_unavailable_defers_then_flush_expires(self):
        # Remote mail must stay queued: no smtp client.
        self.mr.drop_services(("smtp",))
        maildir = self.add_user("carol")
        self.mr.configure(maximal_queue_lifetime="2s")
        self.mr.start()
        self.send("carol@localhost", ["someone@remote.example"])
        self.mr.wait_log("status=deferred (mail transport unavailable)")
        deferred = self.queue_dir("deferred")
        mrtest.wait_for(lambda: count_files(deferred) == 1,
                        what="deferred file")
        name = os.listdir(deferred)[0]
        # The retry time is in the future: at least minimal_backoff_time.
        self.assertGreater(os.stat(os.path.join(deferred, name)).st_mtime,
                           time.time() + 200)
        time.sleep(2.5)
        self.mr.mailroom("queue", "flush", check=True)
        self.mr.wait_log("%s: from=<carol@localhost>, status=expired, "
                         "returned to sender" % name)
        self.mr.wait_log("%s: sender non-delivery notification: " % name)
        self.mr.wait_log("%s: removed" % name)
        new = os.path.join(maildir, "new")
        mrtest.wait_for(lambda: count_files(new) == 1, what="the bounce")
        with open(os.path.join(new, os.listdir(new)[0]), "rb") as f:
            dsn = email.message_from_binary_file(f,
                                                 policy=email.policy.compat32)
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        self.assertEqual(dsn.get_param("report-type"), "delivery-status")
        parts = dsn.get_payload()
        self.assertEqual(parts[1].get_content_type(),
                         "message/delivery-status")
        fields = parts[1].get_payload()
        per_rcpt = fields[1]
        self.assertEqual(per_rcpt["Action"], "failed")
        self.assertEqual(per_rcpt["Status"], "4.4.7")
        self.assertEqual(per_rcpt["Final-Recipient"],
                         "rfc822; someone@remote.example")
        self.assertEqual(dsn["To"], "<carol@localhost>")

    def test_delay_warning_sent_once(self):
        # Remote mail must stay queued: no smtp client.
        self.mr.drop_services(("smtp",))
        maildir = self.add_user("alice")
        self.mr.configure(delay_warning_time="1s")
        self.mr.start()
        self.send("alice@localhost", ["someone@remote.example"])
        deferred = self.queue_dir("deferred")
        mrtest.wait_for(lambda: count_files(deferred) == 1,
                        what="deferred file")
        name = os.listdir(deferred)[0]
        path = os.path.join(deferred, name)
        # Deferred younger than delay_warning_time: no warning yet.
        self.assertNotIn("delay notification", self.mr.log())
        self.assertEqual(os.stat(path).st_mode & 0o7777, 0o600)

        def deferrals():
            return self.mr.log().count("%s: to=<someone@remote.example>"
                                       % name)

        def retry():
            before = deferrals()
            self.mr.mailroom("queue", "flush", check=True)
            mrtest.wait_for(lambda: deferrals() > before,
                            what="another attempt")
            mrtest.wait_for(lambda: count_files(deferred) == 1
                            and count_files(self.queue_dir("active")) == 0,
                            what="deferred again, notices delivered")

        time.sleep(2)
        retry()
        self.mr.wait_log("%s: sender delay notification: " % name)
        new = os.path.join(maildir, "new")
        mrtest.wait_for(lambda: count_files(new) == 1, what="the warning")
        self.assertEqual(os.stat(path).st_mode & 0o7777, 0o700)
        with open(os.path.join(new, os.listdir(new)[0]), "rb") as f:
            dsn = email.message_from_binary_file(f,
                                                 policy=email.policy.compat32)
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        self.assertEqual(dsn.get_param("report-type"), "delivery-status")
        self.assertEqual(dsn["To"], "<alice@localhost>")
        parts = dsn.get_payload()
        self.assertEqual(parts[1].get_content_type(),
                         "message/delivery-status")
        per_rcpt = parts[1].get_payload()[1]
        self.assertEqual(per_rcpt["Action"], "delayed")
        self.assertEqual(per_rcpt["Status"], "4.3.0")
        self.assertEqual(per_rcpt["Final-Recipient"],
                         "rfc822; someone@remote.example")
        self.assertIsNotNone(per_rcpt["Will-Retry-Until"])

        # Flagged in the file mode: neither the next retry nor one after
        # a restart sends another.
        retry()
        self.assertEqual(count_files(new), 1)
        self.assertEqual(self.mr.log().count("sender delay notification"), 1)
        self.assertEqual(os.stat(path).st_mode & 0o7777, 0o700)
        self.mr.stop()
        mrtest.wait_for(lambda: not self.mr.status(), what="stopped")
        self.mr.start()
        retry()
        self.assertEqual(count_files(new), 1)
        self.assertEqual(self.mr.log().count("sender delay notification"), 1)
        self.assertEqual(os.stat(path).st_mode & 0o7777, 0o700)

    def test_bounce_of_a_bounce_goes_to_postmaster(self):
        maildir = self.add_user("pm")
        with open(os.path.join(self.mr.dir, "aliases"), "w") as f:
            f.write("postmaster: pm\n")
        self.mr.mailroom("map", "build", "-a",
                         "hash:" + os.path.join(self.mr.dir, "aliases"),
                         check=True)
        # smtpd accepts any local recipient; local then bounces it.
        self.mr.configure(local_recipient_maps="")
        self.mr.start()
        self.send("", ["nosuchuser@localhost"], "from the null sender")
        new = os.path.join(maildir, "new")
        mrtest.wait_for(lambda: count_files(new) == 1,
                        what="postmaster notice")
        name = os.listdir(new)[0]
        with open(os.path.join(new, name), "rb") as f:
            msg = email.message_from_binary_file(f,
                                                 policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        report = [p for p in msg.walk()
                  if p.get_content_type() == "message/delivery-status"]
        self.assertEqual(len(report), 1)
        text = report[0].as_string()
        self.assertIn("nosuchuser@localhost", text)
        self.assertIn("Action: failed", text)
        self.assertIn("Status: 5.1.1", text)
        self.assertRegex(self.mr.log(),
                         r"\w{21}: postmaster non-delivery notification: "
                         r"\w{21}")
        # The notice itself is from the double-bounce sender and is never
        # bounced again: nothing more arrives.
        self.assertEqual(count_files(new), 1)

    def test_flush_retries_deferred_message(self):
        # Remote mail must stay queued: no smtp client.
        self.mr.drop_services(("smtp",))
        self.add_user("dave")
        self.mr.start()
        self.send("dave@localhost", ["x@remote.example"])
        deferred = self.queue_dir("deferred")
        mrtest.wait_for(lambda: count_files(deferred) == 1,
                        what="deferred file")
        before = self.mr.log().count("status=deferred (mail transport "
                                     "unavailable)")
        self.mr.mailroom("queue", "flush", check=True)
        mrtest.wait_for(
            lambda: self.mr.log().count("status=deferred (mail transport "
                                        "unavailable)") > before,
            what="second attempt")
        mrtest.wait_for(lambda: count_files(deferred) == 1,
                        what="deferred again")

    def test_kill_qmgr_during_delivery(self):
        maildir = self.add_user("erin")
        self.mr.start()
        total = 200
        self.send("x@example.org", ["erin@localhost"], "burst", total)
        new = os.path.join(maildir, "new")
        mrtest.wait_for(lambda: count_files(new) >= 20, what="deliveries")
        pids = self.mr.children("qmgr")
        self.assertEqual(len(pids), 1)
        os.kill(pids[0], signal.SIGKILL)
        mrtest.wait_for(lambda: self.mr.children("qmgr") not in ([], pids),
                        timeout=60, what="qmgr restarted")
        self.mr.remember_pids()
        mrtest.wait_for(lambda: count_files(self.queue_dir("active")) == 0
                        and count_files(self.queue_dir("deferred")) == 0,
                        timeout=120, what="empty queue")
        subjects = []
        for n in os.listdir(new):
            with open(os.path.join(new, n), "rb") as f:
                msg = email.message_from_binary_file(f)
                subjects.append(msg["Subject"])
        missing = set("burst %d" % i for i in range(total)) - set(subjects)
        self.assertEqual(missing, set())
        dups = len(subjects) - len(set(subjects))
        print("\nkill -9 qmgr: %d messages, %d duplicates" % (total, dups))


if __name__ == "__main__":
    unittest.main()
