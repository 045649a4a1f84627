"""smtpd under load: Postfix's smtp-source (1,000 messages over 20
sessions, every one queued byte-exact) and kill -9 of smtpd during a load
(every message that got 250 is in the queue and complete; nothing
half-written is visible)."""
import os
import random
import re
import signal
import smtplib
import subprocess
import threading
import time
import unittest

from mrtest import InstanceTest, queued, body_of, wait_for


class SmtpSourceTest(InstanceTest):
    DROP_SERVICES = ("qmgr",)

    def test_smtp_source_1000_messages(self):
        self.mr.start()
        r = subprocess.run(["smtp-source", "-s", "20", "-m", "1000",
                            "-l", "4096", "-f", "sender@source.example",
                            "-t", "rcpt@relay.example",
                            "127.0.0.1:%d" % self.mr.port("smtp")],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        q = queued(self.mr)
        self.assertEqual(len(q), 1000)
        bodies = set()
        for qid, msg in q.items():
            self.assertTrue(msg["complete"], qid)
            self.assertEqual(msg["sender"], "sender@source.example")
            self.assertEqual(msg["rcpts"], ["rcpt@relay.example"])
            message = body_of(msg["content"])
            headers, body = message.split(b"\r\n\r\n", 1)
            self.assertIn(b"From: <sender@source.example>", headers)
            bodies.add(body)
        # smtp-source sends the same body every time: one body, exactly
        # the 4096-octet pattern it generates (numbered lines of X).
        self.assertEqual(len(bodies), 1)
        (body,) = bodies
        lines = body.split(b"\r\n")
        self.assertEqual(lines[-1], b"")
        for line in lines[:-1]:
            self.assertRegex(line, rb"^\d*X*$")
        self.assertGreaterEqual(len(body), 4096)


class CrashTest(InstanceTest):
    """kill -9 smtpd while clients deliver; count what got 250."""

    DROP_SERVICES = ("qmgr",)

    THREADS = 4
    PER_THREAD = 60
    KILLS = 8

    def sender(self, port, accepted, failures):
        body = (b"Subject: crash\r\n\r\n" + b"y" * 900 + b"\r\n") * 8
        sent = 0
        deadline = time.monotonic() + 120
        while sent < self.PER_THREAD and time.monotonic() < deadline:
            try:
                s = smtplib.SMTP("127.0.0.1", port, timeout=10)
                for _ in range(5):
                    s.mail("a@client.example")
                    s.rcpt("b@relay.example")
                    code, msg = s.data(body)
                    sent += 1
                    if code == 250:
                        qid = re.search(rb"queued as (\w+)", msg).group(1)
                        accepted.append((qid.decode(), body))
                s.quit()
            except (smtplib.SMTPException, OSError) as e:
                failures.append(repr(e))
                sent += 1

    def test_kill9_during_load(self):
        self.mr.start()
        accepted, failures = [], []
        threads = [threading.Thread(target=self.sender, args=(
            self.mr.port("smtp"), accepted, failures))
            for _ in range(self.THREADS)]
        for t in threads:
            t.start()
        rng = random.Random(4711)
        for _ in range(self.KILLS):
            time.sleep(rng.uniform(0.05, 0.4))
            victims = self.mr.children("smtpd")
            if victims:
                os.kill(rng.choice(victims), signal.SIGKILL)
        for t in threads:
            t.join(timeout=180)
        self.assertFalse(any(t.is_alive() for t in threads))
        self.assertIn("killed by signal 9", self.mr.log())
        q = queued(self.mr)
        # Every 250 is in the queue, complete and byte-exact.
        self.assertGreater(len(accepted), 0)
        for qid, body in accepted:
            self.assertIn(qid, q)
            self.assertTrue(q[qid]["complete"])
            self.assertEqual(body_of(q[qid]["content"]), body)
        # Nothing half-written is in the active queue.
        for qid, msg in q.items():
            self.assertTrue(msg["complete"], qid)
        self.mr.remember_pids()
        print("crash test: %d accepted, %d client errors, %d in queue" % (
            len(accepted), len(failures), len(q)))


if __name__ == "__main__":
    unittest.main()
