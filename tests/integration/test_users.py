"""test_users - `mailroom user`, `mailroom map` and `newaliases` on a real
instance (no server needed): the users table, the Maildirs, the alias
tables, and the errors a user sees.
"""
import os
import pty
import select
import subprocess
import time
import unittest

import mrtest

NEWALIASES = os.path.join(mrtest.BUILD, "sbin", "newaliases")


class UserTest(mrtest.InstanceTest):

    def users(self):
        r = self.mr.mailroom("user", "list", check=True)
        return [line.split(" ", 1) for line in r.stdout.splitlines()]

    def query(self, spec, key):
        return self.mr.mailroom("map", "query", spec, key)

    def users_spec(self):
        return "hash:%s/users" % self.mr.dir

    def test_add_list_passwd_del(self):
        self.assertEqual(self.users(), [])
        r = self.mr.mailroom("user", "add", "alice", input="s3cret\n")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = self.mr.mailroom("user", "add", "Zed", input="pw\n",
                             check=True)
        r = self.mr.mailroom("user", "add", "bob", input="pw", check=True)

        # Duplicates are refused, whatever the case.
        r = self.mr.mailroom("user", "add", "ALICE", input="other\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "mailroom: user alice exists\n")

        # Name first, Maildir last, sorted by name.
        mail = os.path.join(self.mr.dir, "mail")
        self.assertEqual(self.users(), [
            ["alice", mail + "/alice/Maildir/"],
            ["bob", mail + "/bob/Maildir/"],
            ["zed", mail + "/zed/Maildir/"],
        ])
        for sub in ("", "cur", "new", "tmp"):
            path = os.path.join(mail, "alice", "Maildir", sub)
            self.assertTrue(os.path.isdir(path), path)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o700)

        # The table: version 1, a yescrypt hash, the Maildir.
        before = self.query(self.users_spec(), "alice")
        self.assertEqual(before.returncode, 0)
        version, hash1, maildir = before.stdout.rstrip("\n").split("\t")
        self.assertEqual(version, "1")
        self.assertTrue(hash1.startswith("$y$"), hash1)
        self.assertEqual(maildir, mail + "/alice/Maildir/")

        r = self.mr.mailroom("user", "passwd", "alice", input="n3w\n",
                             check=True)
        after = self.query(self.users_spec(), "alice")
        _, hash2, maildir2 = after.stdout.rstrip("\n").split("\t")
        self.assertNotEqual(hash1, hash2)
        self.assertEqual(maildir2, maildir)

        r = self.mr.mailroom("user", "passwd", "nobody", input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "mailroom: no such user: nobody\n")

        r = self.mr.mailroom("user", "del", "alice")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual([u[0] for u in self.users()], ["bob", "zed"])
        self.assertEqual(self.query(self.users_spec(), "alice").returncode,
                         1)
        # The mail stays.
        self.assertTrue(os.path.isdir(os.path.join(mail, "alice")))
        r = self.mr.mailroom("user", "del", "alice")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "mailroom: no such user: alice\n")

    def test_invalid_names_and_passwords(self):
        for name in ("../x", "a/b", ".hidden", "", "x" * 65, "a..b",
                     "-rf", "a b", "a@b@c", "a@-x.com", "a@b..c"):
            r = self.mr.mailroom("user", "add", name, input="pw\n")
            self.assertEqual(r.returncode, 1, name)
            self.assertIn("invalid user name", r.stderr, name)
        for pw in ("", "\n"):
            r = self.mr.mailroom("user", "add", "carol", input=pw)
            self.assertEqual(r.returncode, 1, repr(pw))
        r = self.mr.mailroom("user", "add", "carol", input="p" * 1025)
        self.assertEqual(r.returncode, 1)
        self.assertIn("too long", r.stderr)
        r = self.mr.mailroom("user", "add", "carol", input="p" * 600)
        self.assertEqual(r.returncode, 1)
        self.assertIn("password too long", r.stderr)
        self.assertEqual(self.users(), [])
        self.assertFalse(os.path.exists(
            os.path.join(self.mr.dir, "mail", "carol")))

        for args in (("user",), ("user", "add"), ("user", "list", "x"),
                     ("user", "frob", "x"), ("map",), ("map", "query", "x")):
            r = self.mr.mailroom(*args)
            self.assertEqual(r.returncode, 64, args)

    def test_virtual_domain(self):
        r = self.mr.mailroom("user", "add", "bob@example.com", input="pw\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr,
            "mailroom: example.com is not in virtual_mailbox_domains "
            "(virtual users need a virtual mailbox domain; a local user "
            "has no @DOMAIN)\n")
        self.mr.configure(virtual_mailbox_domains="example.com")
        self.mr.mailroom("user", "add", "Bob@Example.COM", input="pw\n",
                         check=True)
        mail = os.path.join(self.mr.dir, "mail")
        self.assertEqual(self.users(), [
            ["bob@example.com", mail + "/example.com/bob/Maildir/"]])
        self.assertTrue(os.path.isdir(
            os.path.join(mail, "example.com", "bob", "Maildir", "new")))

    def test_password_prompt(self):
        """On a terminal the password is typed twice, without echo."""
        def run(first, second):
            master, slave = pty.openpty()
            p = subprocess.Popen(
                [mrtest.MAILROOM, "-c", self.mr.dir, "user", "add",
                 "carol"],
                stdin=slave, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=self.mr.env)
            os.close(slave)
            err = b""
            try:
                for answer, prompt in ((first, b"Password: "),
                                       (second, b"Retype password: ")):
                    deadline = time.monotonic() + mrtest.WAIT_S
                    while not err.endswith(prompt):
                        self.assertLess(time.monotonic(), deadline, err)
                        ready, _, _ = select.select([p.stderr], [], [],
                                                    0.5)
                        if ready:
                            chunk = os.read(p.stderr.fileno(), 1024)
                            self.assertTrue(chunk, err)
                            err += chunk
                    os.write(master, answer + b"\n")
                out, rest = p.communicate(timeout=mrtest.WAIT_S)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                os.close(master)
            return p.returncode, (err + rest).decode()

        rc, err = run(b"one", b"two")
        self.assertEqual(rc, 1)
        self.assertIn("mailroom: passwords do not match", err)
        self.assertEqual(self.users(), [])
        rc, err = run(b"same", b"same")
        self.assertEqual(rc, 0, err)
        self.assertEqual([u[0] for u in self.users()], ["carol"])


class MapTest(mrtest.InstanceTest):

    def newaliases(self, *args, env=None):
        return subprocess.run([NEWALIASES] + list(args),
                              capture_output=True, text=True, timeout=60,
                              env=env or self.mr.env)

    def test_newaliases(self):
        aliases = os.path.join(self.mr.dir, "aliases")
        spec = "hash:" + aliases
        owner = "root" if os.geteuid() == 0 else mrtest.current_user()
        r = self.newaliases("-C", self.mr.dir)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = self.mr.mailroom("map", "query", spec, "postmaster")
        self.assertEqual((r.returncode, r.stdout), (0, owner + "\n"))
        r = self.mr.mailroom("map", "query", spec, "PostMaster")
        self.assertEqual(r.stdout, owner + "\n")
        r = self.mr.mailroom("map", "query", spec, "nobody")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", ""))

        # MAILROOM_CONFIG names the instance too.
        with open(aliases, "a") as f:
            f.write("abuse: postmaster\n")
        env = dict(self.mr.env, MAILROOM_CONFIG=self.mr.dir)
        r = self.newaliases(env=env)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = self.mr.mailroom("map", "query", spec, "abuse")
        self.assertEqual(r.stdout, "postmaster\n")

        # A syntax error names the file and the line; the old table stays.
        with open(aliases, "a") as f:
            f.write("# comment\nbroken line\n")
        r = self.newaliases("-C", self.mr.dir)
        self.assertEqual(r.returncode, 1)
        self.assertIn("newaliases: %s, line 5: " % aliases, r.stderr)
        os.utime(aliases + ".db")  # newer than the broken source
        r = self.mr.mailroom("map", "query", spec, "abuse")
        self.assertEqual(r.stdout, "postmaster\n")

        r = self.newaliases("-x")
        self.assertEqual(r.returncode, 64)
        r = self.newaliases("-C", os.path.join(self.mr.dir, "nonexistent"))
        self.assertEqual(r.returncode, 78)

    def test_map_build_and_query(self):
        src = os.path.join(self.mr.dir, "virtual")
        with open(src, "w") as f:
            f.write("# virtual\nInfo@Example.com  alice\n"
                    "sales@example.com bob, carol\n")
        r = self.mr.mailroom("map", "build", "hash:" + src)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        r = self.mr.mailroom("map", "query", "hash:" + src,
                             "info@example.COM")
        self.assertEqual((r.returncode, r.stdout), (0, "alice\n"))
        # A bare path is hash:PATH.
        r = self.mr.mailroom("map", "query", src, "sales@example.com")
        self.assertEqual(r.stdout, "bob, carol\n")

        with open(src, "a") as f:
            f.write("lonely\n")
        r = self.mr.mailroom("map", "build", src)
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s, line 4: missing value" % src, r.stderr)

        al = os.path.join(self.mr.dir, "more-aliases")
        with open(al, "w") as f:
            f.write("Team: alice,\n  bob\n")
        r = self.mr.mailroom("map", "build", "-a", "btree:" + al)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = self.mr.mailroom("map", "query", "btree:" + al, "team")
        self.assertEqual(r.stdout, "alice, bob\n")

        r = self.mr.mailroom("map", "query", "hash:" + al, "team")
        self.assertEqual(r.returncode, 75)
        self.assertIn("cannot open table", r.stderr)


if __name__ == "__main__":
    unittest.main()
