#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Many TLS clients at once against ktlsh serve (selftests/serve/files.sh).

  clients.py many PORT CA N PATH SIZE   N connections at once, each GETs PATH
                                        and must get SIZE bytes: prints how
                                        many were served whole
  clients.py idle PORT CA N SECONDS     N handshakes finished and held open,
                                        "ready" once all are, then SECONDS
  clients.py slow PORT CA              a head one byte per 200 ms, never
                                        finished: prints the status and the
                                        seconds until the server closed
"""
import asyncio
import ssl
import sys
import time


def context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    return ctx


async def fetch(port, ctx, path, size):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = await r.read()
        w.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.startswith(b"HTTP/1.1 200") and len(body) == size
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        return False


async def many(port, ca, n, path, size):
    ctx = context(ca)
    ok = await asyncio.gather(*(fetch(port, ctx, path, size) for _ in range(n)))
    print(sum(ok))


async def idle(port, ca, n, seconds):
    ctx = context(ca)
    conns = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port, ssl=ctx)
                                   for _ in range(n)))
    print("ready", flush=True)
    await asyncio.sleep(seconds)
    for _, w in conns:
        w.close()


async def slow(port, ca):
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=context(ca))
    start = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: x\r\n"
    reply = b""
    for b in head * 100:
        w.write(bytes([b]))
        try:
            reply = await asyncio.wait_for(r.read(4096), 0.2)
        except asyncio.TimeoutError:
            continue
        except (OSError, ssl.SSLError):
            break
        if reply == b"" or reply:
            break
    status = reply.split(b" ")[1].decode() if reply.startswith(b"HTTP/") else "none"
    print(status, round(time.monotonic() - start, 1))


def main():
    mode, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "many":
        asyncio.run(many(port, ca, int(sys.argv[4]), sys.argv[5], int(sys.argv[6])))
    elif mode == "idle":
        asyncio.run(idle(port, ca, int(sys.argv[4]), float(sys.argv[5])))
    elif mode == "slow":
        asyncio.run(slow(port, ca))


main()
