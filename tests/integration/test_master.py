"""master supervision through the mailroom command: start, status, stop,
restarts after kill -9 with back-off, reload without dropping sessions, the
instance lock, config, and (as root) the privilege drop of the daemons."""
import os
import pwd
import signal
import smtplib
import socket
import subprocess
import time
import unittest

import mrtest
from mrtest import Instance, InstanceTest, wait_for, pid_alive


def proc_ids(pid):
    """(uids, gids, groups) of a process from /proc/PID/status."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return ([int(x) for x in fields["Uid"]], [int(x) for x in fields["Gid"]],
            [int(x) for x in fields.get("Groups", [])])


class MasterTest(InstanceTest):

    def test_start_status_stop(self):
        self.mr.start()
        status = self.mr.status()
        self.assertEqual(status[0][0], "master")
        names = [n for n, _ in status[1:]]
        self.assertIn("smtpd", names)
        pids = [pid for _, pid in status]
        self.assertTrue(all(pid_alive(p) for p in pids))
        # The SMTP listener is open when start returns.
        with socket.create_connection(("127.0.0.1", self.mr.port("smtp")),
                                      timeout=10) as c:
            self.assertTrue(c.recv(100).startswith(b"220 "))
        r = self.mr.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        # stop returns only once every process is gone.
        self.assertEqual([p for p in pids if pid_alive(p)], [])
        r = self.mr.mailroom("status")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not running", r.stderr)
        self.assertIn("terminating on signal 15", self.mr.log())

    def test_stop_when_not_running(self):
        r = self.mr.mailroom("stop")
        self.assertEqual(r.returncode, 1)
        self.assertIn("the mail system is not running", r.stderr)

    def test_second_start_refused(self):
        self.mr.start()
        master = self.mr.master_pid()
        r = self.mr.mailroom("start")
        self.assertEqual(r.returncode, 1)
        self.assertIn("already running", r.stderr)
        # A second master started directly hits the lock.
        r = subprocess.run([os.path.join(mrtest.LIBEXEC, "master"), "-c",
                            self.mr.dir], capture_output=True, text=True,
                           timeout=30, env=self.mr.env)
        self.assertEqual(r.returncode, 75)
        self.assertIn("already running", r.stderr)
        self.assertIn("master pid %d" % master, r.stderr)
        self.assertEqual(self.mr.master_pid(), master)

    def test_kill9_child_is_replaced(self):
        self.mr.start()
        # Every daemon up and configured: the kill is not mistaken for a
        # failed start (which is throttled), whatever the machine's load.
        self.mr.wait_configured()
        before = set(self.mr.children("smtpd"))
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        # Replaced at once (bounded by the usual wait on a loaded machine).
        wait_for(lambda: len(set(self.mr.children("smtpd")) - before) == 1,
                 what="a new smtpd")
        self.assertNotIn(victim, self.mr.children("smtpd"))
        self.mr.wait_log("pid %d killed by signal 9" % victim)
        self.mr.remember_pids()

    def test_crashing_service_is_throttled(self):
        self.mr.start()
        for _ in range(3):
            current = self.mr.children("smtpd")
            os.kill(current[0], signal.SIGKILL)
            wait_for(lambda: current[0] not in self.mr.children("smtpd"),
                     timeout=5, what="smtpd to die")
            time.sleep(0.2)
        self.mr.wait_log("bad command startup -- throttling")
        # The service comes back once the delay is over.
        n = len(self.mr.children("smtpd"))
        wait_for(lambda: len(self.mr.children("smtpd")) >= n and
                 len(self.mr.children("smtpd")) >= 1, timeout=10,
                 what="smtpd after throttling")
        self.mr.remember_pids()

    def test_reload_keeps_sessions_and_applies_config(self):
        self.mr.start()
        old = set(self.mr.children("smtpd"))
        session = smtplib.SMTP("127.0.0.1", self.mr.port("smtp"), timeout=10)
        self.assertEqual(session.ehlo()[0], 250)
        self.mr.configure(smtpd_banner="$myhostname ESMTP reloaded")
        r = self.mr.mailroom("reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.mr.wait_log("reload -- version")
        # New daemons run the new configuration ...
        wait_for(lambda: set(self.mr.children("smtpd")) - old, timeout=10,
                 what="new smtpd processes")
        self.mr.remember_pids()
        fresh = smtplib.SMTP(timeout=10)
        code, banner = fresh.connect("127.0.0.1", self.mr.port("smtp"))
        self.assertEqual((code, banner.split(b" ", 1)[1]),
                         (220, b"ESMTP reloaded"))
        fresh.quit()
        # ... while the session opened before the reload goes on.
        self.assertEqual(session.noop()[0], 250)
        self.assertEqual(session.quit()[0], 221)
        # The old daemons exit once their sessions are done.
        wait_for(lambda: not any(pid_alive(p) for p in old), timeout=10,
                 what="old smtpd processes to exit")

    def test_reload_with_bad_config_keeps_running(self):
        self.mr.start()
        # A daemon still starting would read the broken main.cf below.
        self.mr.wait_configured()
        children = set(self.mr.children())
        master = self.mr.master_pid()
        with open(self.mr.main_cf) as f:
            good = f.read()
        with open(self.mr.main_cf, "a") as f:
            f.write("this line is broken\n")
        # The command itself refuses, naming the problem ...
        r = self.mr.mailroom("reload")
        self.assertEqual(r.returncode, 78)
        self.assertIn("main.cf, line", r.stderr)
        # ... and a SIGHUP that reaches master anyway changes nothing.
        os.kill(master, signal.SIGHUP)
        self.mr.wait_log("keeping the running configuration")
        with open(self.mr.main_cf, "w") as f:
            f.write(good)
        self.assertEqual(set(self.mr.children()), children)
        with socket.create_connection(("127.0.0.1", self.mr.port("smtp")),
                                      timeout=10) as c:
            self.assertTrue(c.recv(100).startswith(b"220 "))

    def test_config_command(self):
        r = self.mr.mailroom("config", "queue_directory", "smtpd_timeout",
                             check=True)
        self.assertEqual(r.stdout, "queue_directory = %s/queue\n"
                         "smtpd_timeout = 300s\n" % os.path.realpath(
                             self.mr.dir))
        r = self.mr.mailroom("config", "-n", check=True)
        self.assertIn("mynetworks = 127.0.0.0/8\n", r.stdout)
        self.assertNotIn("smtpd_timeout", r.stdout)
        r = self.mr.mailroom("config", "no_such_parameter")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown parameter", r.stderr)
        self.mr.configure(myhostname="mx.example.com")
        r = self.mr.mailroom("config", "myorigin", "mydestination",
                             check=True)
        self.assertEqual(r.stdout, "myorigin = mx.example.com\n"
                         "mydestination = mx.example.com, "
                         "localhost.example.com, localhost\n")

    def test_unknown_parameter_warned(self):
        self.mr.configure(no_such_knob="1")
        r = self.mr.mailroom("config", "mail_name")
        self.assertIn('line', r.stderr)
        self.assertIn('unknown parameter "no_such_knob"', r.stderr)

    def test_start_foreground_logs_to_stderr(self):
        p = subprocess.Popen([mrtest.MAILROOM, "-c", self.mr.dir, "start",
                              "-f"], stderr=subprocess.PIPE, text=True,
                             env=self.mr.env)
        try:
            wait_for(lambda: len(self.mr.status()) > 1, what="foreground "
                     "master")
            self.mr.remember_pids()
            self.assertEqual(self.mr.master_pid(), p.pid)
            p.send_signal(signal.SIGINT)
            out = p.communicate(timeout=30)[1]
            self.assertEqual(p.returncode, 0)
            self.assertIn("daemon started", out)
            self.assertIn("terminating on signal 2", out)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


class InstallTest(unittest.TestCase):
    """`make install PREFIX=DIR` layout, and an instance run from it."""

    def test_installed_tree_runs(self):
        import shutil
        import tempfile
        prefix = tempfile.mkdtemp(prefix="mrtest-prefix-")
        self.addCleanup(shutil.rmtree, prefix, True)
        r = subprocess.run(["cmake", "--install", mrtest.BUILD, "--prefix",
                            prefix], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        for path in ["sbin/mailroom", "sbin/sendmail", "sbin/mailq",
                     "sbin/newaliases", "libexec/mailroom/master",
                     "libexec/mailroom/smtpd",
                     "share/doc/mailroom/configuration.md",
                     "share/doc/mailroom/README.md"]:
            self.assertTrue(os.path.exists(os.path.join(prefix, path)),
                            path)
        mr = Instance()
        self.addCleanup(mr.cleanup)
        env = dict(mr.env, MAILROOM_CONFIG=mr.dir)
        installed = os.path.join(prefix, "sbin", "mailroom")
        r = subprocess.run([installed, "config", "daemon_directory"],
                           capture_output=True, text=True, env=env,
                           timeout=30)
        self.assertEqual(r.stdout, "daemon_directory = %s\n" % os.path.join(
            os.path.realpath(prefix), "libexec", "mailroom"))
        # MAILROOM_CONFIG selects the instance, like -c.
        r = subprocess.run([installed, "start"], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        mr.remember_pids()
        r = subprocess.run([installed, "status"], capture_output=True,
                           text=True, env=env, timeout=30)
        self.assertEqual(r.stdout.splitlines()[0].split()[0], "master")
        exe = os.readlink("/proc/%s/exe" % r.stdout.split()[1])
        self.assertTrue(exe.startswith(os.path.realpath(prefix)), exe)
        r = subprocess.run([installed, "stop"], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)


@unittest.skipUnless(os.geteuid() == 0, "needs root")
class RootMasterTest(unittest.TestCase):
    """A root instance: master stays root, daemons run as mail_owner."""

    def setUp(self):
        self.mr = Instance()
        self.addCleanup(self.mr.cleanup)

    def test_daemons_drop_privileges(self):
        owner = pwd.getpwnam("mailroom")
        r = self.mr.mailroom("config", "mail_owner", check=True)
        self.assertEqual(r.stdout, "mail_owner = mailroom\n")
        self.mr.start()
        status = self.mr.status()
        uids, gids, _ = proc_ids(status[0][1])
        self.assertEqual(uids, [0, 0, 0, 0])
        for name, pid in status[1:]:
            uids, gids, groups = proc_ids(pid)
            if name == "local":
                # local keeps root to deliver as each recipient; it
                # drops in a child per delivery (test_local checks).
                self.assertEqual(uids, [0, 0, 0, 0])
                continue
            self.assertEqual(uids, [owner.pw_uid] * 4, name)
            self.assertEqual(gids, [owner.pw_gid] * 4, name)
            self.assertEqual(groups, [owner.pw_gid], name)
        # The queue belongs to mail_owner.
        st = os.stat(os.path.join(self.mr.dir, "queue", "active"))
        self.assertEqual(st.st_uid, owner.pw_uid)


if __name__ == "__main__":
    unittest.main()
