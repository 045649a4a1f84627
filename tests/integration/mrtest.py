"""mrtest - helpers for mailroom's integration tests.

Each test gets a real instance in a fresh temporary directory, made with
`mailroom init` on a free port base, started with `mailroom start` and
stopped by `mailroom stop`; every process it started is also stopped by its
PID at the end, whatever happened. Everything listens on 127.0.0.1.

Sanitizer builds: daemons write AddressSanitizer/UBSan reports into the
instance's asan/ directory; a test fails when any report appears there.
"""
import fcntl
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("MR_BUILD_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
BUILD = os.path.abspath(BUILD)
SOURCE = os.path.abspath(os.environ.get("MR_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", ".."))
MAILROOM = os.path.join(BUILD, "sbin", "mailroom")
LIBEXEC = os.path.join(BUILD, "libexec", "mailroom")

# Port offsets of `mailroom init --base-port P`.
PORTS = {"smtp": 25, "submission": 587, "smtps": 465, "pop3": 110,
         "imap": 143, "pop3s": 995, "imaps": 993}

# What a sanitizer report on stderr contains.
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer",
                   "UndefinedBehaviorSanitizer")

# Bounds on every wait in these tests.
WAIT_S = 20
POLL_S = 0.05


def port_free(port):
    """Whether 127.0.0.1:port can be bound right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


# A port that is free now may be picked by a test running beside this one
# a moment later, before either has bound it. Every port handed out is
# therefore claimed across the test processes: an flock on a file per
# port, held until released or the process ends (the kernel drops it).
# One directory per user, so that no run trips over another user's files.
CLAIM_DIR = os.path.join(tempfile.gettempdir(),
                         "mrtest-ports-%d" % os.getuid())


def claim_port(port):
    """An open descriptor holding an exclusive claim on port, or None
    when another test (or an earlier instance of this one) holds it."""
    os.makedirs(CLAIM_DIR, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(CLAIM_DIR, str(port)),
                 os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def release_claims(fds):
    for fd in fds:
        os.close(fd)
    del fds[:]


# Instance ports stay below the kernel's ephemeral range (32768 and up by
# default), where outgoing connections take their local ports: a client
# socket could otherwise hold a port an instance is about to bind.
BASE_MIN, BASE_MAX = 10000, 31000
_next_base = [BASE_MIN + (os.getpid() % 200) * 100]


def pick_base(claims):
    """A port base whose instance ports are all free and claimed into
    the list claims (bounded search)."""
    for _ in range(400):
        base = _next_base[0]
        _next_base[0] += 1000
        if _next_base[0] > BASE_MAX:
            _next_base[0] = BASE_MIN + (_next_base[0] % 1000) + 1
        for off in PORTS.values():
            fd = claim_port(base + off)
            if fd is None:
                break
            claims.append(fd)
        else:
            if all(port_free(base + off) for off in PORTS.values()):
                return base
        release_claims(claims)
    raise RuntimeError("no free port base")


def wait_for(predicate, timeout=WAIT_S, what="condition"):
    """Poll predicate until true or timeout (then AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(POLL_S)
    raise AssertionError("timed out waiting for " + what)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is as good as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class LineClient:
    """A raw client of a line protocol (SMTP, POP3, IMAP) for conformance
    tests: exact bytes out, CR LF lines and counted octets in, every read
    bounded by timeout_s. The protocol clients add their own commands."""

    def __init__(self, port, host="127.0.0.1", timeout_s=30):
        self.timeout_s = timeout_s
        self.sock = socket.create_connection((host, port),
                                             timeout=timeout_s)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _more(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("server closed: %r" % self.buf[-300:])
        self.buf += chunk

    def line(self):
        """One line without CR LF."""
        deadline = time.monotonic() + self.timeout_s
        while b"\r\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError(repr(self.buf))
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        """The next n octets."""
        deadline = time.monotonic() + self.timeout_s
        while len(self.buf) < n:
            if time.monotonic() > deadline:
                raise TimeoutError("%d octets, have %d" % (n, len(self.buf)))
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def closed(self):
        """Whether the server closed the connection (nothing more)."""
        try:
            if self.buf:
                return False
            self.sock.settimeout(self.timeout_s)
            return self.sock.recv(1) == b""
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Instance:
    """A mailroom instance in a temporary directory."""

    def __init__(self, base=None, root_dir=None, drop_services=()):
        self.dir = tempfile.mkdtemp(prefix="mrtest-", dir=root_dir)
        os.chmod(self.dir, 0o755)
        self.claims = []
        self.base = base or pick_base(self.claims)
        self.pids = set()
        self.asan_dir = os.path.join(self.dir, "asan")
        os.mkdir(self.asan_dir)
        os.chmod(self.asan_dir, 0o1777)
        self.env = dict(os.environ)
        self.env["ASAN_OPTIONS"] = (
            "detect_leaks=0:abort_on_error=1:log_path=%s/asan"
            % self.asan_dir)
        self.env["UBSAN_OPTIONS"] = (
            "print_stacktrace=1:halt_on_error=1:log_path=%s/ubsan"
            % self.asan_dir)
        # UBSan reports go to stderr whatever log_path says: master
        # sends the daemons' stderr here (an empty file is no report).
        self.env["MAILROOM_CHILD_STDERR"] = os.path.join(self.asan_dir,
                                                         "stderr")
        r = self.mailroom("init", "--base-port", str(self.base))
        if r.returncode != 0:
            raise AssertionError("init failed: " + r.stderr)
        if drop_services:
            self.drop_services(drop_services)

    def drop_services(self, names):
        """Remove services (by master.cf name) from the instance."""
        path = os.path.join(self.dir, "master.cf")
        with open(path) as f:
            lines = f.read().splitlines()
        with open(path, "w") as f:
            for line in lines:
                fields = line.split()
                if fields and not line.startswith("#") and fields[0] in names:
                    continue
                f.write(line + "\n")

    @property
    def main_cf(self):
        return os.path.join(self.dir, "main.cf")

    def port(self, name):
        return self.base + PORTS[name]

    def mailroom(self, *args, input=None, timeout=60, check=False):
        """Run the mailroom command on this instance."""
        r = subprocess.run([MAILROOM, "-c", self.dir] + list(args),
                           input=input, capture_output=True, text=True,
                           timeout=timeout, env=self.env)
        if check and r.returncode != 0:
            raise AssertionError("mailroom %s failed (%d): %s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def configure(self, **params):
        """Append name = value lines to main.cf."""
        with open(self.main_cf, "a") as f:
            for k, v in params.items():
                f.write("%s = %s\n" % (k, v))

    def start(self):
        self.mailroom("start", check=True)
        self.remember_pids()

    def renew_certificate(self, name):
        """Replace the instance's certificate and key in DIR/tls/ (as a
        renewal tool would: new files renamed into place), the key owned
        by mail_owner with mode 0600; return the new certificate (DER).
        The daemons use it after the next reload."""
        tmp = tempfile.mkdtemp(dir=self.dir)
        cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "30", "-subj", "/CN=" + name,
                        "-addext", "subjectAltName=DNS:" + name,
                        "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=60)
        owner = self.mailroom("config", "mail_owner",
                              check=True).stdout.split()[-1]
        pw = pwd.getpwnam(owner)
        os.chown(key, pw.pw_uid, pw.pw_gid)
        os.chmod(key, 0o600)
        tls_dir = os.path.join(self.dir, "tls")
        os.replace(key, os.path.join(tls_dir, "key.pem"))
        os.replace(cert, os.path.join(tls_dir, "cert.pem"))
        os.rmdir(tmp)
        with open(os.path.join(tls_dir, "cert.pem")) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    def status(self):
        """[(name, pid)] from `mailroom status`, master first; [] if down."""
        r = self.mailroom("status")
        if r.returncode != 0:
            return []
        out = []
        for line in r.stdout.splitlines():
            name, pid = line.split()
            out.append((name, int(pid)))
        return out

    def remember_pids(self):
        for _, pid in self.status():
            self.pids.add(pid)

    def master_pid(self):
        st = self.status()
        return st[0][1] if st else None

    def children(self, name=None):
        return [pid for n, pid in self.status()[1:]
                if name is None or n == name]

    def wait_configured(self, timeout=WAIT_S):
        """Wait until every daemon has read the configuration: each opens
        maillog_file right after loading main.cf (master closes its own
        descriptors before exec, so an open log is the daemon's). A test
        that breaks main.cf must not race a daemon still starting."""
        log = os.path.realpath(os.path.join(self.dir, "log", "maillog"))

        def has_log(pid):
            try:
                fds = os.listdir("/proc/%d/fd" % pid)
            except OSError:
                return True         # gone: nothing left to race
            for fd in fds:
                try:
                    if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == log:
                        return True
                except OSError:
                    pass
            return False

        # A child not yet exec'd still shows as master, with master's log.
        wait_for(lambda: all(name != "master" and has_log(pid)
                             for name, pid in self.status()[1:]), timeout,
                 "every daemon to load its configuration")

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "maillog")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, timeout=WAIT_S):
        return wait_for(lambda: text in self.log(), timeout,
                        "log line containing %r" % text)

    def stop(self):
        self.remember_pids()
        r = self.mailroom("stop")
        return r

    def instance_pids(self):
        """Every process whose command line names this instance (found
        even when main.cf is broken and `mailroom status` cannot run)."""
        found = set()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % name, "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if self.dir.encode() in argv:
                found.add(int(name))
        return found

    def sanitizer_reports(self):
        out = []
        for name in sorted(os.listdir(self.asan_dir)):
            with open(os.path.join(self.asan_dir, name),
                      errors="replace") as f:
                text = f.read()
            # The daemons' stderr also holds ordinary log lines written
            # before logging is set up: only sanitizer output counts.
            if name == "stderr" and not any(
                    mark in text for mark in SANITIZER_MARKS):
                continue
            if text.strip():
                out.append(name + ":\n" + text)
        return out

    def cleanup(self):
        """Stop everything this instance ran, by PID, and remove it."""
        try:
            if self.status():
                self.stop()
        finally:
            self.remember_pids()
            self.pids.update(self.instance_pids())
            for pid in self.pids:
                if pid_alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        release_claims(self.claims)
        reports = self.sanitizer_reports()
        if os.environ.get("MR_KEEP_TMP") is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports))


class InstanceTest(unittest.TestCase):
    """A test case with self.mr, a fresh (not yet started) instance.

    DROP_SERVICES lists master.cf services the test runs without; tests
    that inspect queue/active leave qmgr out so mail stays there.
    """

    DROP_SERVICES = ()

    def setUp(self):
        self.mr = Instance(drop_services=self.DROP_SERVICES)
        self.addCleanup(self.mr.cleanup)


def maildir_arrival(path):
    """Sort key of a Maildir file: (seconds, microseconds) of its name.

    The microseconds are not zero-padded, so the names do not sort as
    text."""
    m = re.match(r"(\d+)\.M(\d+)", os.path.basename(path))
    if m is None:
        return (float("inf"), 0, path)
    return (int(m.group(1)), int(m.group(2)), path)


def current_user():
    return pwd.getpwuid(os.geteuid()).pw_name


# Queue file records (docs/queue-format.md, version 1).
QUEUE_MAGIC = b"MRQF\x01\x00\x00\x00"


def read_queue_file(path):
    """Parse a queue file: {"sender", "rcpts", "content", "complete"}.

    An independent reader, so the tests do not trust the one under test.
    """
    import struct
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(QUEUE_MAGIC):
        raise ValueError("bad magic in " + path)
    pos, out = len(QUEUE_MAGIC), {"sender": None, "rcpts": [],
                                   "content": b"", "complete": False}
    while pos < len(data):
        rtype = data[pos]
        (length,) = struct.unpack(">I", data[pos + 1:pos + 5])
        value = data[pos + 5:pos + 5 + length]
        if len(value) != length:
            raise ValueError("truncated record in " + path)
        pos += 5 + length
        if rtype == ord("S"):
            out["sender"] = value.decode()
        elif rtype == ord("t"):
            (alen,) = struct.unpack(">H", value[2:4])
            out["rcpts"].append(value[7:7 + alen].decode())
        elif rtype == ord("M"):
            out["content"] += value
        elif rtype == ord("Z"):
            out["complete"] = True
    return out


def queued(instance, state="active"):
    """{queue id: parsed file} for every file in a queue state."""
    d = os.path.join(instance.dir, "queue", state)
    return {name: read_queue_file(os.path.join(d, name))
            for name in sorted(os.listdir(d)) if not name.startswith(".")}


def body_of(content):
    """The message after the Received: header smtpd adds."""
    assert content.startswith(b"Received: "), content[:80]
    pos = 0
    while True:
        end = content.index(b"\r\n", pos)
        if content[end + 2:end + 3] not in (b"\t", b" "):
            return content[end + 2:]
        pos = end + 2
