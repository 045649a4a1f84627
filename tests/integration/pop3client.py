"""A raw POP3 client for conformance tests: sends exact bytes, reads
reply lines and multi-line blocks, so a test can state every server line
in full. tls() puts TLS under it after STLS, or at connect for pop3s."""
import time

import mrtest

READ_TIMEOUT_S = 30


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
