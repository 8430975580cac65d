"""The control socket and the daemon's life cycle: bad requests get JSON-RPC
errors and the daemon keeps serving, a saved configuration restores the same
state after a restart, a bad file is refused at start and on reload with
FILE:LINE while the old state stays, and SIGTERM shuts down cleanly."""
import json
import os
import signal
import subprocess

SEED = """\
# the seed scenario of DESIGN section 3 on in-process ports
switch add hv mode authoritative
port add hv lpar1 type pipe vids 3
port add hv lpar2 type pipe
port add hv lpar3 type pipe pvid 2 vids 3
port add hv lpar4 type pipe pvid 2
port add hv vios type pipe vids 3 uplink on trunk-priority 1
"""


def answer(raw):
    return json.loads(raw.decode())


def test_garbage_requests_get_errors_and_daemon_keeps_serving(daemon):
    assert answer(daemon.rpc(b"this is not json\n"))["error"]["code"] == -32700
    assert answer(daemon.rpc(b"[1,2,3]\n"))["error"]["code"] == -32700
    r = answer(daemon.rpc(b'{"jsonrpc":"2.0","id":7,"method":"reboot"}\n'))
    assert r["error"]["code"] == -32601 and r["id"] == 7
    r = answer(daemon.rpc(b'{"jsonrpc":"2.0","id":8,"method":"execute","params":{"argv":[1]}}\n'))
    assert r["error"]["code"] == -32602
    r = answer(daemon.rpc(b'{"jsonrpc":"2.0","id":9,"method":"execute"}\n'))
    assert r["error"]["code"] == -32602
    r = answer(daemon.rpc(b"\x00\xff\xfe binary\n"))
    assert "error" in r
    assert daemon.ctl("show") == "no switches (add one: switch add NAME)\n"


def test_oversized_request_is_refused_and_daemon_keeps_serving(daemon):
    r = answer(daemon.rpc(b"x" * 200000))
    assert "larger than 64 KiB" in r["error"]["message"]
    daemon.ctl("switch", "add", "sw0")
    assert "switch sw0" in daemon.ctl("show")


def test_half_open_client_does_not_block_others(daemon):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.socket)
    s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')  # never finished
    try:
        daemon.ctl("switch", "add", "sw1")
        assert "sw1" in daemon.ctl("switch", "show")
    finally:
        s.close()


def test_cli_errors_name_the_object_and_exit_nonzero(daemon):
    daemon.ctl("switch", "add", "sw0")
    daemon.ctl("port", "add", "sw0", "vm1", "type", "pipe")
    r = daemon.run("port", "set", "vm1", "pvid", "5000")
    assert r.returncode == 1
    assert r.stderr == "vswitchctl: port vm1: pvid '5000' is not a number in range 1-4094\n"
    r = daemon.run("port", "set", "vm9", "pvid", "5")
    assert r.returncode == 1 and "port vm9: no such port" in r.stderr
    r = daemon.run("--socket", "/nonexistent/sock", "show")
    assert r.returncode == 2 and "is vswitchd running?" in r.stderr


def test_restart_from_saved_config_restores_the_same_state(daemon_factory):
    d = daemon_factory("")
    for line in SEED.splitlines():
        if line and not line.startswith("#"):
            d.ctl(*line.split())
    d.ctl("fdb", "add", "hv", "vlan", "3", "mac", "02:00:00:00:01:03", "port", "lpar1")
    d.ctl("port", "set", "lpar2", "mac-limit", "4", "hairpin", "on")
    before = d.ctl("show", "running-config")
    vlans = d.json("vlan", "show")
    d.ctl("save")
    assert d.stop() == 0
    d.start()
    assert d.ctl("show", "running-config") == before
    assert d.json("vlan", "show") == vlans
    ports = {p["name"]: p for p in d.json("port", "show")}
    assert ports["lpar2"]["mac_limit"] == 4 and ports["lpar2"]["hairpin"] is True
    assert ports["vios"]["active_uplink"] is True


def test_bad_startup_file_is_refused_with_file_and_line(daemon_factory, workdir):
    d = daemon_factory(SEED + "port add hv lpar5 type pipe vids 1-4095\n", start=False)
    d.start(wait=False)
    assert d.proc.wait(10) == 1
    assert "vswitch.conf:8: vids '1-4095': 1-4095 is outside 1-4094" in d.log_text()


def test_bad_reload_keeps_the_old_state(daemon_factory):
    d = daemon_factory(SEED)
    before = d.ctl("show", "running-config")
    with open(d.config, "a") as f:
        f.write("port set lpar1 mode sideways\n")
    r = d.run("reload")
    assert r.returncode == 1
    assert "vswitch.conf:8: port lpar1: mode 'sideways' must be veb" in r.stderr
    d.proc.send_signal(signal.SIGHUP)
    assert d.ctl("show", "running-config") == before
    assert "SIGHUP reload failed, old configuration kept" in d.log_text()
    # a good change to the file is applied by reload
    with open(d.config, "w") as f:
        f.write(SEED.replace("port add hv lpar4 type pipe pvid 2\n", ""))
    d.ctl("reload")
    assert "lpar4" not in d.ctl("show")


def test_sigterm_shuts_down_cleanly_and_removes_the_socket(daemon):
    daemon.ctl("switch", "add", "sw0")
    assert daemon.stop(signal.SIGTERM) == 0
    assert not os.path.exists(daemon.socket)
    assert "stopped" in daemon.log_text()


def test_second_daemon_on_same_socket_is_refused(daemon_factory):
    d = daemon_factory("")
    other = subprocess.run([d.proc.args[0], "--socket", d.socket], capture_output=True, text=True,
                           timeout=10)
    assert other.returncode == 1
    assert "another vswitchd is already listening" in other.stderr
    assert d.ctl("show")
