"""A raw POP3 client for conformance tests: sends exact bytes, reads
reply lines and multi-line blocks, so a test can state every server line
in full. tls() puts TLS under it after STLS, or at connect for pop3s."""
import os
import shutil
import subprocess
import tempfile
import time

import mrtest

READ_TIMEOUT_S = 30
FETCHMAIL = shutil.which("fetchmail")


def fetchmail(test, port, user, password, options="", args=()):
    """Run fetchmail once (fetch and delete) for user on 127.0.0.1:port,
    with options added to its poll entry and args to its command line;
    what it fetched goes to an mbox. Returns (its output, the mbox)."""
    work = tempfile.mkdtemp(prefix="fetchmail-")
    test.addCleanup(shutil.rmtree, work, True)
    out = os.path.join(work, "mbox")
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        f.write('poll 127.0.0.1 protocol pop3 port %d\n'
                '  user "%s" password "%s"\n'
                '%s'
                '  mda "/bin/sh -c \'cat >> %s\'"\n'
                % (port, user, password, options, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
    r = subprocess.run([FETCHMAIL, "-f", rc, "--nosyslog", "-v",
                        "--nodetach"] + list(args),
                       capture_output=True, text=True, timeout=120, env=env)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)
    with open(out, "rb") as f:
        return r.stdout + r.stderr, f.read()


class Raw(mrtest.LineClient):
    """A raw POP3 client: exact bytes out, lines and multi-line blocks in."""

    def __init__(self, port, host="127.0.0.1"):
        super().__init__(port, host, READ_TIMEOUT_S)

    def tls(self, context, server_hostname=None):
        """TLS from the next byte on; nothing may be left unread."""
        assert self.buf == b"", "plaintext left over: %r" % self.buf
        self.sock = context.wrap_socket(self.sock,
                                        server_hostname=server_hostname)

    def block(self):
        """The rest of a multi-line answer, terminator included, raw.
        Byte-stuffing keeps CR LF "." CR LF out of the content, so its
        first occurrence ends the block."""
        deadline = time.monotonic() + READ_TIMEOUT_S
        while True:
            if self.buf.startswith(b".\r\n"):
                cut = 3
                break
            end = self.buf.find(b"\r\n.\r\n")
            if end >= 0:
                cut = end + 5
                break
            if time.monotonic() > deadline:
                raise TimeoutError(repr(self.buf[:200]))
            self._more()
        data, self.buf = self.buf[:cut], self.buf[cut:]
        return data

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.line()
