"""A raw SMTP client for conformance tests: sends exact bytes, reads
replies line by line, so a test can state every server line in full."""
import socket
import time

READ_TIMEOUT_S = 10


class Raw:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port),
                                             timeout=READ_TIMEOUT_S)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        """One reply line without CRLF; b"" at EOF."""
        deadline = time.monotonic() + READ_TIMEOUT_S
        while b"\r\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no complete line: %r" % self.buf)
            chunk = self.sock.recv(65536)
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One whole (possibly multi-line) reply as a list of lines."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return lines

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def cmd(self, text):
        """Send one command line, return the first line of its reply."""
        self.send(text + b"\r\n")
        return self.reply()[-1]

    def closed(self):
        """Whether the server closed the connection (EOF, nothing more)."""
        try:
            self.sock.settimeout(READ_TIMEOUT_S)
            return self.buf == b"" and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()
