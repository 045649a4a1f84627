"""peers - the real programs mailroom's SMTP client talks to in tests.

Sink      Postfix's smtp-sink on 127.0.0.x:port, with its counters (-c)
          and optionally a dump directory (-d) of the messages it took.
Dnsmasq   a dnsmasq serving the test domains' records on 127.0.0.1:port.
Scripted  a scripted SMTP peer in a thread, for what no real server does on
          purpose: stall forever, or drop the connection in the middle of
          DATA.
Netns     a network namespace joined to this one by a veth pair (root
          only, see can_netns): a host with an address outside
          127.0.0.0/8, for a peer on a real port or a client that must not
          be on loopback.

Every process is started here and stopped by its PID in stop(); every
wait is bounded.
"""
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import mrtest

SMTP_SINK = "/usr/sbin/smtp-sink"
DNSMASQ = "/usr/sbin/dnsmasq"


# Claims on the ports free_port handed out, held for the life of the
# test process (see mrtest.claim_port).
_claims = []


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM):
    """A port free for TCP and UDP on host right now and claimed against
    the other test processes, from 2000-9999: below both the instances'
    ports and the kernel's ephemeral range."""
    for _ in range(200):
        port = random.randrange(2000, 10000)
        fd = mrtest.claim_port(port)
        if fd is None:
            continue
        ok = True
        for k in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, k)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            _claims.append(fd)
            return port
        os.close(fd)
    raise AssertionError("no free port")


def wait_listen(host, port, timeout=mrtest.WAIT_S):
    def up():
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            return False
    mrtest.wait_for(up, timeout, "listener on %s:%d" % (host, port))


def _stop_pid(proc):
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Sink:
    """smtp-sink listening on host:port; options are smtp-sink's."""

    def __init__(self, host, port, *options, dump=False):
        self.host, self.port = host, port
        self.dump_dir = None
        self.out = tempfile.TemporaryFile()
        args = [SMTP_SINK, "-c"]
        if os.geteuid() == 0:
            args += ["-u", "nobody"]
        if dump:
            self.dump_dir = tempfile.mkdtemp(prefix="mrsink-")
            os.chmod(self.dump_dir, 0o777)
            args += ["-d", os.path.join(self.dump_dir, "%H%M%S.")]
        where = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
        args += list(options) + [where, "100"]
        self.proc = subprocess.Popen(args, stdout=self.out,
                                     stderr=subprocess.STDOUT)
        wait_listen(host, port)

    def counters(self):
        """(sessions, messages) from the last counter line."""
        self.out.seek(0)
        text = self.out.read().decode(errors="replace")
        found = re.findall(r"sess=(\d+) quit=\d+ mesg=(\d+)", text)
        if not found:
            return 0, 0
        return int(found[-1][0]), int(found[-1][1])

    def wait_messages(self, n, timeout=mrtest.WAIT_S):
        mrtest.wait_for(lambda: self.counters()[1] >= n, timeout,
                        "%d messages at smtp-sink" % n)

    def dumps(self):
        """The dumped messages' bytes, oldest name first."""
        out = []
        for name in sorted(os.listdir(self.dump_dir)):
            with open(os.path.join(self.dump_dir, name), "rb") as f:
                out.append(f.read())
        return out

    def stop(self):
        _stop_pid(self.proc)
        self.out.close()
        if self.dump_dir is not None:
            subprocess.run(["rm", "-rf", self.dump_dir], check=False)


class Dnsmasq:
    """dnsmasq answering for the test domains only.

    records: dnsmasq option strings without the leading "--", such as
    "host-record=mx1.test,127.0.0.2", "mx-host=a.test,mx1.test,10",
    "cname=alias.test,mx1.test", "dns-rr=null.test,15,000000".
    """

    def __init__(self, records, ttl=300):
        self.port = free_port(kind=socket.SOCK_DGRAM)
        self.log = tempfile.TemporaryFile()
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv",
                "--no-hosts", "--no-poll", "--conf-file=/dev/null",
                "--pid-file=", "--bind-interfaces",
                "--listen-address=127.0.0.1", "--port=%d" % self.port,
                "--local-ttl=%d" % ttl, "--log-facility=-",
                # Authoritative for .test: unknown names are NXDOMAIN,
                # missing types NODATA, never "refused".
                "--local=/test/"]
        if os.geteuid() == 0:
            args.append("--user=nobody")
        args += ["--" + r for r in records]
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self._wait_up()

    def _wait_up(self):
        query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                 b"\x04test\x00\x00\x01\x00\x01")

        def answers():
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise AssertionError("dnsmasq exited: " +
                                     self.log.read().decode(errors="replace"))
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.5)
            try:
                s.sendto(query, ("127.0.0.1", self.port))
                s.recv(512)
                return True
            except OSError:
                return False
            finally:
                s.close()
        mrtest.wait_for(answers, mrtest.WAIT_S, "dnsmasq answering")

    @property
    def servers(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        _stop_pid(self.proc)
        self.log.close()


class Scripted:
    """A scripted SMTP peer on host:port in a thread.

    mode "stall": accept and never say anything.
    mode "drop_in_data": a normal dialogue up to 354, then read a few
    bytes of the message and close the connection.
    """

    def __init__(self, host, port, mode):
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A small window, inherited by accepted sockets: a large message
        # cannot vanish into the kernel's buffers at once.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.connections = 0
        self.held = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + 600
        while not self.stopping and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            if self.mode == "stall":
                self.held.append(conn)
                continue
            try:
                self._drop_in_data(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def _drop_in_data(self, conn):
        conn.settimeout(10)
        f = conn.makefile("rb")
        conn.sendall(b"220 scripted ESMTP\r\n")
        for _ in range(200):
            line = f.readline(1024)
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 scripted\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                f.read(10)
                return
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=10)
        for c in self.held:
            c.close()
        self.sock.close()


class Netns:
    """A network namespace with a veth link to this one: the test's own
    remote host, 10.253.PAIR.2 inside, 10.253.PAIR.1 here."""

    def __init__(self):
        self.name = "mrtest%d" % os.getpid()
        pair = os.getpid() % 250 + 1
        self.host_if, self.ns_if = "mrh%d" % pair, "mrn%d" % pair
        self.local = "10.253.%d.1" % pair
        self.remote = "10.253.%d.2" % pair
        self.procs = []
        self.run("ip", "netns", "add", self.name)
        try:
            self.run("ip", "link", "add", self.host_if, "type", "veth",
                     "peer", "name", self.ns_if)
            self.run("ip", "link", "set", self.ns_if, "netns", self.name)
            self.run("ip", "addr", "add", self.local + "/30", "dev",
                     self.host_if)
            self.run("ip", "link", "set", self.host_if, "up")
            self.exec("ip", "addr", "add", self.remote + "/30", "dev",
                      self.ns_if)
            self.exec("ip", "link", "set", self.ns_if, "up")
            self.exec("ip", "link", "set", "lo", "up")
        except Exception:
            self.stop()
            raise

    @staticmethod
    def run(*args):
        subprocess.run(args, check=True, capture_output=True, timeout=30)

    def exec(self, *args):
        self.run("ip", "netns", "exec", self.name, *args)

    def popen(self, *args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + list(args),
                             **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            _stop_pid(p)
        subprocess.run(["ip", "link", "del", self.host_if],
                       capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", self.name],
                       capture_output=True, timeout=30)


def can_netns():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = "mrprobe%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return r.returncode == 0
