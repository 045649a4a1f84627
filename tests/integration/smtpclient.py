"""A raw SMTP client for conformance tests: sends exact bytes, reads
replies line by line, so a test can state every server line in full."""
import mrtest

READ_TIMEOUT_S = 10


class Raw(mrtest.LineClient):
    def __init__(self, port, host="127.0.0.1"):
        super().__init__(port, host, READ_TIMEOUT_S)

    def line(self):
        """One reply line without CRLF; at EOF the rest of an
        unterminated line, or b""."""
        try:
            return super().line()
        except EOFError:
            rest, self.buf = self.buf, b""
            return rest

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
        """Send one command line, return the last line of its reply."""
        self.send(text + b"\r\n")
        return self.reply()[-1]
