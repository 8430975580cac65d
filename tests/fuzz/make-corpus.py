#!/usr/bin/env python3
"""Writes seed inputs for fuzz_engine (or, with a second argument
fuzz_config, startup files for fuzz_config; fuzz_etcd_json, etcd's answers;
fuzz_domain_schema, values of a domain's keys; fuzz_domain_counters,
counters/PORT values; fuzz_overlay, hosts/HOST values; fuzz_http, HTTP requests;
fuzz_lldp, LLDPDUs;
fuzz_parse, single frames with
one, two and service tags) into DIR: well-formed conversations
(broadcasts, learned unicast, tagged trunks, clock ticks, carrier flaps) so
the fuzzer starts deep in the pipeline instead of at the parser.

Input format (see fuzz_engine.c): [switch][records...], a record being
[port][op][len][bytes]; op 0/2 inject, 1/3 inject with the first two bytes
as a metadata tag, 4 ticks the clock, 5 flips the port's carrier."""
import os
import struct
import sys

BCAST = b"\xff" * 6


def mac(n):
    return bytes([2, 0, 0, 0, n >> 8, n & 0xFF])


def frame(dst, src, vid=None, ethertype=0x0800, payload=b"x" * 46):
    tag = struct.pack("!HH", 0x8100, vid) if vid is not None else b""
    return dst + src + tag + struct.pack("!H", ethertype) + payload


def inject(port, data, meta_tci=None):
    if meta_tci is not None:
        data = struct.pack("!H", meta_tci) + data
        return bytes([port, 1, len(data)]) + data
    return bytes([port, 0, len(data)]) + data


def tick(seconds_by_4):
    return bytes([0, 4, seconds_by_4])


def flap(port):
    return bytes([port, 5, 0])


def seeds():
    # ports: 0 access1(1) 1 access2(2, limit 4) 2 trunk(1+2,3) 3 uplink1(1+3)
    #        4 uplink2(1+2,3) 5 private(3) 6 hairpin(1+3)
    hello = b"".join(inject(p, frame(BCAST, mac(p + 1))) for p in range(7))
    yield b"\x00" + hello
    yield b"\x01" + hello
    talk = hello + inject(0, frame(mac(2), mac(1))) + inject(1, frame(mac(1), mac(2)))
    yield b"\x00" + talk + inject(2, frame(mac(7), mac(3), vid=3))
    yield b"\x01" + talk + inject(3, frame(mac(99), mac(4), vid=3))
    yield b"\x00" + hello + inject(2, frame(BCAST, mac(3)), meta_tci=3)
    yield b"\x00" + hello + tick(80) + inject(0, frame(mac(2), mac(1)))
    yield b"\x01" + hello + flap(3) + tick(1) + inject(0, frame(mac(50), mac(1)))
    limit = b"".join(inject(1, frame(BCAST, mac(100 + i))) for i in range(6))
    yield b"\x00" + limit
    yield b"\x00" + inject(6, frame(BCAST, mac(9))) + inject(6, frame(mac(9), mac(8), vid=3))
    yield b"\x00" + inject(5, frame(BCAST, mac(5), vid=3)) + inject(3, frame(mac(6), mac(7), vid=3))
    # stacked tags: C+C from the trunk, S+C on the guarded port (access2)
    cc = BCAST + mac(10) + struct.pack("!HHHH", 0x8100, 3, 0x8100, 100) + b"\x08\x00" + b"x" * 46
    sc = BCAST + mac(11) + struct.pack("!HHHH", 0x88A8, 3, 0x8100, 100) + b"\x08\x00" + b"x" * 46
    yield b"\x00" + hello + inject(2, cc) + inject(0, sc) + inject(1, sc) + inject(1, cc)


CONFIGS = [
    b"switch add hv mode authoritative ageing 120\n"
    b"port add hv lpar1 type pipe vids 3,5-7 mac-limit 4\n"
    b"port add hv vios type pipe depth=64 vids 3 uplink on trunk-priority 1\n"
    b"fdb add hv vlan 3 mac 02:00:00:00:01:03 port lpar1\n",
    b"# comment\nswitch add a\nswitch add b mtu 9000 fdb-capacity 100\n"
    b"port add a p type patch peer=q pvid 7\nport add b q type patch peer=p pvid 7\n"
    b"port set p mode private learning off hairpin on stacked-tags drop\n"
    b"switch set a mode learning\n",
    b"switch add s\nport add s x type pcap tx=/dev/null mode passthrough\n",
    b"switch add t\nport add t trunk type pipe pvid none vids 10-12\n",
    b"switch add vios\nport add vios ent0 type afpacket\n"
    b"port add vios trk type vnic dev=trA netns=hyp vids 3\n"
    b"port add vios trk2 type internal pvid 5\n"
    b"port add vios ctl type vnic dev=ctA pvid 99\n"
    b"sea add sea0 vios real ent0 trunks trk,trk2 ctl ctl priority 2 ha-mode sharing "
    b"failback off failback-delay 500 hello 50 dead 150 netaddr 10.1.2.3 "
    b"netaddr-interval 50 netaddr-retries 4 pvid 3\n"
    b"sea set sea0 ha-mode standby\n",
    # A dev= too long for an interface next to a short one: the
    # one-port-per-interface check must not compare what it never wrote.
    b"switch add v\nport add v a type internal dev=" + b"x" * 110 + b"\n"
    b"port add v b type internal dev=y\n",
    b"switch add ps\nport add ps vm1 type pipe mac 52:54:00:00:00:01,10.0.0.5,fd00::/64 "
    b"allowed-addresses 52:54:00:00:00:02,10.1.0.0/16 52:54:00:00:00:03 trusted off\n"
    b"port set vm1 promiscuous accept mac-changes default forged-transmits reject\n",
    b"switch add m\nport add m a type pipe vids 10\nport add m b type pipe\n"
    b"port add m o type pipe\nmirror add m span source a,b direction rx vlan 10 output o\n"
    b"mirror add m er source a output erspan remote 10.0.0.9 local 10.0.0.1 session-id 7 "
    b"version 3\nmirror del span\n",
    # the security groups' rule parser (acl add) and their port settings
    b"switch add g\nacl add web priority 10 direction ingress ethertype ipv4 proto tcp "
    b"port 80-443 remote 10.0.0.0/8\nacl add web direction egress\n"
    b"acl add web id 7 direction ingress proto icmpv6 remote fd00::/64\n"
    b"port add g vm1 type pipe security-group web conntrack-max 64\n",
    # rate limits with their suffixes
    b"switch add r\nport add r vm1 type pipe ingress-rate 100M ingress-burst 64k "
    b"egress-rate 1G egress-peak 2G egress-burst 1M storm-broadcast 1k storm-multicast 5000 "
    b"storm-unknown 10\nport set vm1 ingress-rate 2G\n",
    # port profiles: inheritance, settings of several words, a bound port's overrides
    b"profile add base learning off mac-limit 5\n"
    b"profile add web inherit base system-vlans 10 pvid 10 allowed-addresses "
    b"02:00:00:00:00:01,10.0.0.1 02:00:00:00:00:02 vids 20\n"
    b"switch add h\nport add h vm1 type pipe profile web mac-limit 9\n"
    b"port add h vm2 type pipe pvid 3\nport bind vm2 profile base hairpin on\n"
    b"profile set web inherit none pvid 11\nport set vm1 pvid 12\n",
]


def parse_seeds():
    """[flags][tci][frame] for fuzz_parse: bit 0 a kernel-stripped tag,
    bit 1 MTU 1500."""
    def tags(*pairs):
        return b"".join(struct.pack("!HH", tpid, tci) for tpid, tci in pairs)
    yield b"\x02\x00\x00" + frame(BCAST, mac(1))
    yield b"\x02\x00\x00" + BCAST + mac(1) + tags((0x8100, 3)) + b"\x08\x00" + b"x" * 46
    for outer, inner in ((0x8100, 0x8100), (0x8100, 0x88A8), (0x88A8, 0x8100), (0x9100, 0x8100)):
        yield b"\x02\x00\x00" + BCAST + mac(1) + tags((outer, 3), (inner, 100)) + b"\x08\x00"
    yield b"\x03\x00\x03" + BCAST + mac(1) + tags((0x8100, 100)) + b"\x08\x00" + b"x" * 46
    yield b"\x03\x00\x03" + BCAST + mac(1) + tags((0x88A8, 100)) + b"\x08\x00"


# Answers of etcd 3.4's gateway for fuzz_etcd_json (watch lines, a range).
ETCD_HEADER = b'"header":{"cluster_id":"7801","member_id":"1345","revision":"7","raft_term":"2"}'
ETCD_ANSWERS = [
    b'{"result":{' + ETCD_HEADER + b',"created":true}}',
    b'{"result":{' + ETCD_HEADER + b',"events":[{"kv":{"key":"L2E=","create_revision":"2",'
    b'"mod_revision":"2","version":"1","value":"MQ==","lease":"99"}},{"type":"DELETE",'
    b'"kv":{"key":"L2E=","mod_revision":"3"}}]}}',
    b'{"result":{"header":{"raft_term":"2"},"canceled":true,"compact_revision":"5"}}',
    b'{"result":{' + ETCD_HEADER + b',"canceled":true,"cancel_reason":"invalid auth token"}}',
    b'{' + ETCD_HEADER + b',"kvs":[{"key":"L2E=","create_revision":"2","mod_revision":"2",'
    b'"version":"1","value":"MQ=="}],"count":"1"}',
    b'{"error":"etcdserver: requested lease not found","message":"etcdserver: requested '
    b'lease not found","code":5}',
    b"Zm9vYmFy",
]

# Values of a domain's keys for fuzz_domain_schema: the first byte picks the
# kind (0 profile, 1 binding, 2 host, 3 host-state and MAC, 4 a whole
# domain as KEY NUL VALUE NUL ..., 5 the version).
# Values of counters/PORT for fuzz_domain_counters (a VM move's carried
# counters, src/control/domain_move.c).
COUNTERS_VALUES = [
    b'{"host":"h1","released":true,"time":1,"rx_packets":5,"rx_bytes":300,"tx_packets":4,'
    b'"tx_bytes":240,"mac_moves":0,"consumed":0,"drops":{"policed":2},'
    b'"macs":[{"mac":"02:00:00:00:00:01","vid":10}]}',
    b'{"host":"h2","released":false,"rx_packets":1e30,"drops":[],"macs":{}}',
]
DOMAIN_VALUES = [
    b'\x00{"inherit":"base","system-vlans":"10,20","settings":{"pvid":"30","vids":"31-33"}}',
    b'\x01{"host":"h1","switch":"sw","profile":"web","overrides":{"mac":"02:00:00:00:00:01"}}',
    b'\x02{"vtep":"10.0.0.1","version":"0.1.0","started":1700000000,"ports":["vm1","vm2"]}',
    b'\x03{"host":"h2","port":"vm3","registered":5,"down-since":9,"allocated":7}',
    b'\x04version\x001\x00hosts/h1\x00{"ports":["vm1"]}\x00profiles/web\x00{"settings":'
    b'{"pvid":"10"}}\x00bindings/vm1\x00{"host":"h1","profile":"web"}\x00macs/02:00:00:00:00:01'
    b'\x00{"host":"h1"}',
    b"\x051.2",
]


# hosts/HOST values with the overlay's fields for fuzz_overlay (the bytes
# are also tried as a vni= spec).
OVERLAY_VALUES = [
    b'{"vtep":"192.0.2.1","vnis":[5000,5020],"vni-macs":{"5000":["02:00:00:00:00:01"],'
    b'"5020":["02:00:00:00:00:02","02:00:00:00:00:03"]}}',
    b'{"vtep":"[2001:db8::1]:4789","vnis":[],"vni-macs":{}}',
    b"5000,20:5020,100-199:10100",
]


def vxlan_seeds():
    """UDP payloads for fuzz_vxlan: a good header and an inner frame, then
    each way a header is refused (short, no I flag, reserved bits)."""
    inner = frame(BCAST, mac(1))
    yield b"\x08\x00\x00\x00\x00\x13\x88\x00" + inner
    yield b"\x08\x00\x00\x00\xff\xff\xff\x00"
    yield b"\x08\x00\x00"
    yield b"\x00\x00\x00\x00\x00\x13\x88\x00" + inner
    yield b"\x0c\x00\x00\x00\x00\x13\x88\x00" + inner
    yield b"\x08\x00\x00\x00\x00\x13\x88\x01" + inner


HTTP_REQUESTS = [
    b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nAccept: text/plain\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    b"GET /api/ports?switch=sw0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET /a%2Fb%20c HTTP/1.1\r\nHost: a\r\n\r\nGET /two HTTP/1.1\r\nHost: a\r\n\r\n",
    b"GET /../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    b"GET / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n",
    b"GET / HTTP/1.1\r\nHost: [::1]:9100\r\n\r\nGET / HTTP/1.1\r\nHost: LocalHost\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: evil.example:9100\r\n\r\n",
]


def tlv(t, value):
    return struct.pack("!H", t << 9 | len(value)) + value


def lldp_seeds():
    """LLDPDUs for fuzz_lldp: lldpd's usual one (MAC chassis, ifname port,
    names, capabilities, both address families, 802.1 PVID and VLAN
    names), a shutdown, and each way a PDU is refused."""
    first = tlv(1, b"\x04" + mac(1)) + tlv(2, b"\x05eth0") + tlv(3, b"\x00\x79")
    mgmt4 = tlv(8, b"\x05\x01\xc0\x00\x02\x01\x02\x00\x00\x00\x03\x00")
    mgmt6 = tlv(8, b"\x11\x02" + b"\x20\x01\x0d\xb8" + b"\x00" * 11 + b"\x01"
                + b"\x02\x00\x00\x00\x00\x00")
    dot1 = (tlv(127, b"\x00\x80\xc2\x01\x00\x0a")
            + tlv(127, b"\x00\x80\xc2\x03\x00\x0a\x06vlan10")
            + tlv(127, b"\x00\x12\x0f\x01\x03\x6c\x03\x00\x10"))
    yield (first + tlv(4, b"uplink") + tlv(5, b"tor1") + tlv(6, b"Debian") +
           tlv(7, b"\x00\x14\x00\x04") + mgmt4 + mgmt6 + dot1 + tlv(0, b""))
    yield tlv(1, b"\x04" + mac(1)) + tlv(2, b"\x05eth0") + tlv(3, b"\x00\x00") + tlv(0, b"")
    yield first[:10]
    yield tlv(2, b"\x05eth0") + tlv(1, b"\x04" + mac(1)) + tlv(3, b"\x00\x79")
    yield first + tlv(1, b"\x04" + mac(2)) + tlv(0, b"")
    yield tlv(1, b"\x04") + tlv(2, b"\x05eth0") + tlv(3, b"\x00\x79")


def mcast_seeds():
    """Inputs for fuzz_mcast: a byte choosing IPv4 (even) or IPv6 (odd) and
    the port, then the IP packet: IGMPv2 report and leave, an IGMPv3 report
    of two records, a query; MLDv1 report, an MLDv2 report, both behind a
    hop-by-hop router alert; UDP data to a group."""
    def ip4(proto, dst, payload):
        return (bytes([0x45, 0, 0, 20 + len(payload)]) + b"\0\0\0\0\x01" +
                bytes([proto]) + b"\0\0" + bytes([10, 0, 0, 1]) + bytes(dst) + payload)

    def ip6(dst, icmp):
        hbh = bytes([58, 0, 5, 2, 0, 0, 1, 0])
        return (bytes([0x60, 0, 0, 0, 0, 8 + len(icmp), 0, 1]) + b"\xfe\x80" + b"\0" * 13 +
                b"\x01" + bytes(dst) + hbh + icmp)
    group4 = [239, 1, 1, 1]
    group6 = [0xff, 0x0e] + [0] * 12 + [1, 2]
    yield b"\x00" + ip4(2, group4, bytes([0x16, 0, 0, 0] + group4))
    yield b"\x02" + ip4(2, [224, 0, 0, 2], bytes([0x17, 0, 0, 0] + group4))
    yield b"\x04" + ip4(2, [224, 0, 0, 22], bytes([0x22, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 0] +
                                                 group4 + [1, 0, 0, 1] + group4 + [10, 0, 0, 2]))
    yield b"\x80" + ip4(2, [224, 0, 0, 1], bytes([0x11, 100, 0, 0, 0, 0, 0, 0]))
    yield b"\x01" + ip6(group6, bytes([131, 0, 0, 0, 0, 0, 0, 0] + group6))
    yield b"\x03" + ip6([0xff, 2] + [0] * 13 + [0x16],
                         bytes([143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0] + group6))
    yield b"\x00" + ip4(17, group4, b"\x0f\xa0\x13\x88\x00\x08\x00\x00")


def main():
    target = sys.argv[2] if len(sys.argv) > 2 else "fuzz_engine"
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    chosen = {"fuzz_config": CONFIGS, "fuzz_parse": parse_seeds(),
              "fuzz_etcd_json": ETCD_ANSWERS,
              "fuzz_vxlan": vxlan_seeds(),
              "fuzz_domain_schema": DOMAIN_VALUES,
              "fuzz_domain_counters": COUNTERS_VALUES,
              "fuzz_overlay": OVERLAY_VALUES,
              "fuzz_http": HTTP_REQUESTS,
              "fuzz_lldp": lldp_seeds(),
              "fuzz_mcast": mcast_seeds()}.get(target, seeds())
    for i, seed in enumerate(chosen):
        with open(os.path.join(out, "seed-%02d" % i), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
