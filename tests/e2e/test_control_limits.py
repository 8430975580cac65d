"""The control socket's limits, through raw sockets beside vswitchctl: a reply
of any size arrives whole, a client that does not read keeps its replies and
holds back only itself, clients that hold a slot without using it are timed
out, a new client gets in when all 64 slots are taken, and every reply is
valid UTF-8 whatever bytes the request carried."""
import json
import select
import socket
import time

MACS = 20000
SLOTS = 64


def request(rid, *words, json_output=False):
    """One JSON-RPC request line; words are str or raw bytes."""
    argv = b",".join(b'"' + (w if isinstance(w, bytes) else w.encode()) + b'"' for w in words)
    flag = b"true" if json_output else b"false"
    return (b'{"jsonrpc":"2.0","id":%d,"method":"execute","params":{"argv":[%s],"json":%s}}\n'
            % (rid, argv, flag))


def connect(d, timeout=20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.socket)  # blocking: waits out a full listen backlog
    s.settimeout(timeout)
    return s


def read_lines(s, count):
    """Reads until `count` whole lines came or the daemon hung up."""
    data = b""
    while data.count(b"\n") < count:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n")[:count]


def read_to_end(s):
    """Everything until the daemon hangs up (or a reset, which also ends it)."""
    data = b""
    while True:
        try:
            chunk = s.recv(1 << 20)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def wait_for_log(d, text, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in d.log_text():
            return True
        time.sleep(0.1)
    return False


def mac(n):
    return "02:00:00:%02x:%02x:%02x" % (n >> 16, (n >> 8) & 0xff, n & 0xff)


def fdb_daemon(daemon_factory, env=None):
    """A switch with MACS static MACs, loaded from the startup file (one
    vswitchctl call per MAC would take minutes)."""
    lines = ["switch add sw0 fdb-capacity 32768", "port add sw0 p1 type pipe"]
    lines += ["fdb add sw0 vlan 1 mac %s port p1" % mac(n) for n in range(MACS)]
    return daemon_factory("\n".join(lines) + "\n", env=env)


def pipeline_until_held(d, s, limit=8 << 20):
    """Sends `help` requests on s without reading a reply until the daemon
    stops taking them: s is full, and stays full after the daemon has served
    another client. Returns (whole requests sent, the unsent rest of the
    last), or None if `limit` bytes went (the daemon reads on regardless)."""
    s.setblocking(False)
    sent = count = 0
    rest = b""
    while sent < limit:
        progressed = False
        while sent < limit:
            line = rest or request(count, "help")
            try:
                n = s.send(line)
            except BlockingIOError:
                break
            sent, rest, progressed = sent + n, line[n:], True
            count += not rest
        if not progressed:
            s.setblocking(True)
            s.settimeout(20)
            return count, rest
        assert d.ctl("show")  # the daemon went round its loop, serving others
    return None


def test_reply_over_1mb_arrives_whole_as_text_and_json(daemon_factory):
    d = fdb_daemon(daemon_factory)
    text = d.ctl("fdb", "show", "sw0")
    assert len(text) > 1_000_000
    listed = [line.split()[1] for line in text.splitlines() if line.strip().startswith("1 ")]
    assert len(listed) == MACS and set(listed) == {mac(n) for n in range(MACS)}
    assert text.endswith("%d entries\n" % MACS)  # the last line came too
    entries = d.json("fdb", "show", "sw0")
    assert len(entries) == MACS
    assert {e["mac"] for e in entries} == {mac(n) for n in range(MACS)}


def test_client_that_does_not_read_keeps_its_replies_while_others_are_served(daemon_factory):
    d = fdb_daemon(daemon_factory)
    s = connect(d)
    try:
        # Two requests, the first with a reply far larger than the socket
        # buffers; nothing is read until another client has been served.
        s.sendall(request(1, "fdb", "show", "sw0", json_output=True) + request(2, "show"))
        assert "switch sw0" in d.ctl("show")
        first, second = (json.loads(line) for line in read_lines(s, 2))
        assert first["id"] == 1 and len(json.loads(first["result"]["output"])) == MACS
        assert second["id"] == 2 and "switch sw0" in second["result"]["output"]
    finally:
        s.close()


def test_pipelining_client_is_held_back_and_gets_every_reply_in_order(daemon):
    s = connect(daemon)
    try:
        held = pipeline_until_held(daemon, s)
        assert held is not None, "the daemon read 8 MB of requests with replies unread"
        count, rest = held
        # Read the replies while sending what did not fit.
        got, data = [], b""
        while len(got) < count + (1 if rest else 0):
            readable, writable, _ = select.select([s], [s] if rest else [], [], 20)
            assert readable or writable, "no progress for 20 s"
            if writable:
                rest = rest[s.send(rest):]
            if readable:
                chunk = s.recv(1 << 20)
                assert chunk, "the daemon hung up"
                data += chunk
                *lines, data = data.split(b"\n")
                got += [json.loads(line)["id"] for line in lines]
        assert got == list(range(len(got)))
    finally:
        s.close()


def test_client_that_stops_reading_is_closed_after_the_reply_timeout(daemon_factory):
    d = fdb_daemon(daemon_factory, env={"VSWITCH_CONTROL_TIMEOUTS": "60,5,2"})
    s = connect(d)
    try:
        s.sendall(request(1, "fdb", "show", "sw0"))
        assert wait_for_log(d, "closed: did not read its reply for 2 s"), d.log_text()
        # What the socket held when the daemon gave up, then the end.
        data = read_to_end(s)
        assert 0 < len(data) < 1_000_000 and b"\n" not in data
        assert "switch sw0" in d.ctl("show")
    finally:
        s.close()


def test_idle_client_is_closed_after_the_idle_timeout(daemon_factory):
    d = daemon_factory("", env={"VSWITCH_CONTROL_TIMEOUTS": "2,5,30"})
    s = connect(d)
    try:
        assert read_to_end(s) == b""  # the socket timeout (20 s) would raise
        assert "closed: idle for 2 s" in d.log_text()
    finally:
        s.close()


def test_half_written_request_is_refused_and_closed_after_5_s(daemon):
    s = connect(daemon)
    try:
        s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')  # never finished
        data = read_to_end(s)
        assert json.loads(data)["error"]["message"] == "invalid request: not finished within 5 s"
        assert "closed: invalid request: not finished within 5 s" in daemon.log_text()
    finally:
        s.close()


def test_cli_gets_in_while_64_idle_clients_hold_every_slot(daemon):
    held = []
    try:
        # The oldest client has a request in progress, so it is not the one
        # to go; the next oldest, idle, is.
        busy = connect(daemon)
        held.append(busy)
        busy.sendall(b'{"jsonrpc":"2.0","id":5,')
        for _ in range(SLOTS - 1):
            held.append(connect(daemon))
        # A round trip on the newest: every slot is taken, and the daemon has
        # read the busy client's bytes (they were ready first).
        held[-1].sendall(request(1, "show"))
        assert read_lines(held[-1], 1)[0].startswith(b'{"jsonrpc":"2.0","id":1,"result"')
        r = daemon.run("show")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "no switches (add one: switch add NAME)\n"
        assert read_to_end(held[1]) == b""  # the longest-idle one went
        assert "its slot taken by a new client (all 64 in use)" in daemon.log_text()
        held[2].setblocking(False)
        try:
            assert held[2].recv(1) != b"", "a second idle client was closed"
        except BlockingIOError:
            pass  # still open, nothing to read: as it should be
        busy.sendall(b'"method":"execute","params":{"argv":["show"]}}\n')
        assert json.loads(read_lines(busy, 1)[0])["id"] == 5
    finally:
        for s in held:
            s.close()


def test_non_utf8_words_get_a_valid_utf8_reply_naming_the_object(daemon):
    raw = daemon.rpc(request(1, "switch", "show", b"\xff"))
    r = json.loads(raw.decode("utf-8"))  # strict: raises on an invalid byte
    assert r["error"]["message"] == "switch \\xff: no such switch"
    # Valid multi-byte text passes unchanged beside an invalid byte.
    raw = daemon.rpc(request(2, "switch", "show", b"caf\xc3\xa9\xfe"))
    message = json.loads(raw.decode("utf-8"))["error"]["message"]
    assert message == "switch caf\u00e9\\xfe: no such switch"
    raw = daemon.rpc(b'{"jsonrpc":"2.0","id":"a\xff","method":"execute","params":{"argv":[]}}\n')
    assert json.loads(raw.decode("utf-8"))["id"] == "a\\xff"
