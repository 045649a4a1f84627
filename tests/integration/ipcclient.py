"""ipcclient - a small, independent client of mailroom's IPC framing
(docs/ipc.md), for tests that play qmgr against a delivery agent.

Frame: length u32 (whole frame), type u16, version u8 (1), flags u8,
request id u32, then attributes: tag u16, value length u32, value. All
integers big-endian. A RESULT attribute is a group: its value is itself a
list of attributes.
"""
import socket
import struct

VERSION = 1
HEADER = struct.Struct(">IHBBI")
ATTR = struct.Struct(">HI")

# Message types and tags (lib/ipc.h).
IPC_DELIVER_REQUEST = 4
IPC_DELIVER_RESULT = 5
TAG_QUEUE_ID = 10
TAG_NEXTHOP = 11
TAG_RCPT_INDEX = 12
TAG_RESULT = 13
TAG_STATUS = 14
TAG_DSN = 15
TAG_TEXT = 16
TAG_RELAY = 17

STATUS_NAMES = {0: "sent", 1: "deferred", 2: "bounced"}


def attr(tag, value):
    if isinstance(value, str):
        value = value.encode()
    return ATTR.pack(tag, len(value)) + value


def frame(msg_type, request_id, payload, flags=0, version=VERSION):
    return HEADER.pack(HEADER.size + len(payload), msg_type, version,
                       flags, request_id) + payload


def deliver_request(queue_id, indexes, nexthop="localhost", request_id=1):
    """The bytes of an IPC_DELIVER_REQUEST frame."""
    payload = attr(TAG_QUEUE_ID, queue_id) + attr(TAG_NEXTHOP, nexthop)
    for i in indexes:
        payload += attr(TAG_RCPT_INDEX, struct.pack(">I", i))
    return frame(IPC_DELIVER_REQUEST, request_id, payload)


def parse_attrs(payload):
    """[(tag, value bytes)] of an attribute list."""
    out, pos = [], 0
    while pos < len(payload):
        tag, n = ATTR.unpack_from(payload, pos)
        pos += ATTR.size
        if pos + n > len(payload):
            raise ValueError("attribute overruns the frame")
        out.append((tag, payload[pos:pos + n]))
        pos += n
    return out


def parse_result(data):
    """A result frame -> (request id, queue id, [result dicts])."""
    length, msg_type, version, flags, request_id = HEADER.unpack_from(data)
    if msg_type != IPC_DELIVER_RESULT or version != VERSION:
        raise ValueError("not a result frame: type %d" % msg_type)
    if length != len(data):
        raise ValueError("bad length")
    queue_id, results = None, []
    for tag, value in parse_attrs(data[HEADER.size:]):
        if tag == TAG_QUEUE_ID:
            queue_id = value.decode()
        elif tag == TAG_RESULT:
            r = {}
            for t, v in parse_attrs(value):
                if t == TAG_RCPT_INDEX:
                    r["index"] = struct.unpack(">I", v)[0]
                elif t == TAG_STATUS:
                    r["status"] = STATUS_NAMES[struct.unpack(">I", v)[0]]
                elif t == TAG_DSN:
                    r["dsn"] = v.decode()
                elif t == TAG_TEXT:
                    r["text"] = v.decode()
                elif t == TAG_RELAY:
                    r["relay"] = v.decode()
            results.append(r)
    return request_id, queue_id, results


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return data
        data += chunk
    return data


def recv_frame(sock):
    """One whole frame, or b"" at EOF."""
    head = recv_exact(sock, HEADER.size)
    if len(head) < HEADER.size:
        return b""
    length = HEADER.unpack(head)[0]
    body = recv_exact(sock, length - HEADER.size)
    return head + body


class AgentClient:
    """A connection to a delivery agent's socket, acting as qmgr."""

    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.next_id = 1

    def deliver(self, queue_id, indexes, nexthop="localhost"):
        """Send one request, return [result dicts] in order."""
        rid = self.next_id
        self.next_id += 1
        self.sock.sendall(deliver_request(queue_id, indexes, nexthop, rid))
        data = recv_frame(self.sock)
        if not data:
            raise EOFError("agent closed the connection")
        got_id, got_qid, results = parse_result(data)
        if got_id != rid or got_qid != queue_id:
            raise ValueError("result for another request")
        return results

    def close(self):
        self.sock.close()
