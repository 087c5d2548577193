#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile TLS server for selftests/interop/hostile.sh.

    hostile_server.py MODE PORT_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE), takes one
connection, reads the ClientHello, then misbehaves as MODE says. Prints
what the client sent back after that, one line: "alert LEVEL DESCRIPTION"
for a plaintext alert record, "closed" if it closed without one, "bytes N"
for anything else, "silent" if it sent nothing while we waited.
"""
import socket
import struct
import sys
import time


def record(ctype, body, version=b"\x03\x03"):
    return bytes([ctype]) + version + struct.pack(">H", len(body)) + body


def handshake(mtype, body):
    return bytes([mtype]) + struct.pack(">I", len(body))[1:] + body


def server_hello_13(version=b"\x03\x04"):
    """a TLS 1.3 ServerHello the client cannot use (no key_share match)"""
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x13\x01" + b"\x00"
    exts = b"\x00\x2b\x00\x02" + version     # supported_versions
    return handshake(2, body + struct.pack(">H", len(exts)) + exts)


MODES = {
    # nothing after the ClientHello, the connection left open
    "stall": [],
    # half a record header, then nothing
    "stall_in_header": [b"\x16\x03"],
    # a record header promising 80 bytes, 10 of them, then nothing
    "stall_in_record": [b"\x16\x03\x03\x00\x50" + b"\x00" * 10],
    # part of a record, then the TCP close
    "truncated_then_close": [b"\x16\x03\x03\x00\x50" + b"\x02" * 10, None],
    # a plaintext record over 2^14 (RFC 8446 5.1): record_overflow
    "oversized_record": [b"\x16\x03\x03\x41\x00" + b"\x00" * 0x4100],
    # an unknown record type (RFC 8446 5): unexpected_message
    "unknown_record_type": [record(0x63, b"\x00" * 8)],
    # a Certificate where the ServerHello belongs: unexpected_message
    "certificate_first": [record(22, handshake(11, b"\x00" * 4 + b"\x00\x00\x00"))],
    # a ServerHello whose extensions run past its end: decode_error
    "server_hello_bad_length": [record(22, server_hello_13()[:-4] + b"\x00\x2b\x00\x09")],
    # supported_versions selecting TLS 1.2 (RFC 8446 4.2.1): illegal_parameter
    "supported_versions_names_tls12": [record(22, server_hello_13(b"\x03\x03"))],
    # a handshake record of length 0 (RFC 8446 5.1): unexpected_message
    "empty_handshake_record": [record(22, b"")],
    # a handshake message announced at 16 MiB: refused before it arrives
    "huge_handshake_message": [record(22, b"\x02\xff\xff\xff" + b"\x00" * 100)],
    # the server's own fatal alert: handshake_failure, nothing sent back
    "fatal_alert": [record(21, b"\x02\x28")],
}


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    mode, port_file = sys.argv[1], sys.argv[2]
    plan = MODES[mode]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    ls.settimeout(30)
    s, _ = ls.accept()
    s.settimeout(30)
    hdr = read_exact(s, 5)
    if len(hdr) == 5:
        read_exact(s, hdr[3] << 8 | hdr[4])
    for step in plan:
        if step is None:
            s.close()
            print("closed-by-us")
            return
        s.sendall(step)
    # what came back: wait as long as the client's deadline may take
    s.settimeout(25)
    try:
        got = s.recv(7)
    except socket.timeout:
        print("silent")
        return
    except ConnectionResetError:
        print("closed")
        return
    if not got:
        print("closed")
    elif len(got) >= 7 and got[0] == 21 and got[3:5] == b"\x00\x02":
        print(f"alert {got[5]} {got[6]}")
    else:
        print(f"bytes {len(got)}")
    sys.stdout.flush()
    time.sleep(0.2)


main()
