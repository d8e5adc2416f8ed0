#!/usr/bin/env python3
"""Measures what one client can cost `latent serve`: peak memory for the worst valid
batches, and how slow or idle connections are closed.

Standard library only. Starts the server itself (port 0, short timeouts unless told
otherwise), sends batches of {"instances": [{"user_id": ..., "top_k": K} x N]} from C
threads for R rounds each, reads every answer (chunked or not) and reports the server's
VmHWM / VmRSS from /proc. Then, unless --no-timeouts, times how long the server takes to
close a connection with partial headers, a body shorter than its Content-Length, and an
idle keep-alive connection, and whether /ping answers with 4 x --max-connections idle
connections open.

  python3 scripts/serve_limits.py --latent target/release/latent --model /tmp/bench/out \
      --ids /tmp/bench/run/ids.json --batch 1000 --top-k 1000 --concurrency 4 --rounds 3
"""

import argparse
import http.client
import json
import socket
import subprocess
import threading
import time


def status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) // 1024
    return fields


def post(addr, body):
    conn = http.client.HTTPConnection(*addr, timeout=600)
    conn.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    size = 0
    while True:
        chunk = response.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
    conn.close()
    return response.status, size


def closed_after(addr, payload, limit=30.0):
    """Seconds until the server closes a connection that sent `payload` and waits."""
    s = socket.create_connection(addr)
    s.settimeout(limit)
    started = time.monotonic()
    if payload:
        s.sendall(payload)
    try:
        while s.recv(65536):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    return time.monotonic() - started


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--latent", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--ids", required=True, help="a run's ids.json")
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--top-k", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--timeouts", default="1", help="seconds for header, body and idle timeouts")
    p.add_argument("--max-connections", type=int, default=64)
    p.add_argument("--no-timeouts", action="store_true", help="old servers have no such flags")
    args = p.parse_args()

    cmd = [args.latent, "serve", "--model", args.model, "--port", "0"]
    if not args.no_timeouts:
        cmd += ["--header-timeout", args.timeouts, "--body-timeout", args.timeouts,
                "--idle-timeout", args.timeouts, "--max-connections", str(args.max_connections)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    for line in server.stdout:
        if line.startswith("listening on http://"):
            host, port = line.strip().removeprefix("listening on http://").rsplit(":", 1)
            addr = (host, int(port))
            break
    else:
        raise SystemExit("the server did not start")
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    try:
        print("idle:", status(server.pid))
        users = json.load(open(args.ids))["users"]
        body = json.dumps({"instances": [
            {"user_id": users[i % len(users)], "top_k": args.top_k} for i in range(args.batch)
        ]})
        results = []

        def client():
            for _ in range(args.rounds):
                results.append(post(addr, body))

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        codes = sorted({code for code, _ in results})
        size = max(s for _, s in results)
        print(f"{args.concurrency} x {args.rounds} batches of {args.batch} x top_k {args.top_k} "
              f"({len(body)} bytes): status {codes}, answer {size / 1e6:.1f} MB, {elapsed:.1f} s")
        print("after load:", status(server.pid))
        time.sleep(2)
        print("2 s later:", status(server.pid))
        if args.no_timeouts:
            return
        host = f"{addr[0]}:{addr[1]}".encode()
        partial = b"POST /invocations HTTP/1.1\r\nHost: " + host
        print(f"partial headers closed after {closed_after(addr, partial):.2f} s")
        short = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user"
        print(f"short body closed after {closed_after(addr, short):.2f} s")
        huge = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{"
        print(f"Content-Length 10^12 closed after {closed_after(addr, huge):.2f} s")
        ping = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
        s = socket.create_connection(addr)
        s.sendall(ping)
        s.recv(65536)
        started = time.monotonic()
        s.settimeout(30)
        try:
            while s.recv(65536):
                pass
        except (ConnectionResetError, socket.timeout):
            pass
        print(f"idle keep-alive closed after {time.monotonic() - started:.2f} s")
        idle = [socket.create_connection(addr) for _ in range(4 * args.max_connections)]
        started = time.monotonic()
        conn = http.client.HTTPConnection(*addr, timeout=30)
        conn.request("GET", "/ping")
        code = conn.getresponse().status
        print(f"/ping with {len(idle)} idle connections open (limit {args.max_connections}): "
              f"{code} in {time.monotonic() - started:.3f} s; server fds: "
              f"{len(__import__('os').listdir(f'/proc/{server.pid}/fd'))}")
        for s in idle:
            s.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
