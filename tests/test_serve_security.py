"""``edge serve`` serves only the page's files and stays available (issue 24, rows N6 and N7).

Real HTTP(S) clients on 127.0.0.1 against a real server, on a fake page and fake web assets
(no browser, no model needed): bounded in count (a few dozen sockets) and time (seconds).

N6: an allow-list. The page's files, the runtime and exactly the files the model manifest names
are served; no directory listing, no other file of the assets folder (a user's taxes.pdf), no
file through a symlink that leaves its folder, no ``..``.
N7: one thread per connection with the TLS handshake in that thread and a per-connection
timeout: idle TCP clients never block an HTTPS or HTTP client, and are dropped; bounded threads.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from edge.app.serve import ServeOptions, make_server

TEMPLATE = ('<!doctype html><link rel="stylesheet" href="{{page}}/style.css"><script id="site" type="application/json">'
            '{"page": "{{page}}", "litert": "{{litert}}", "assets": "{{assets}}"}</script>')


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.fixture()
def served(tmp_path):
    """A fake page + runtime + web assets with a user's private file and escaping links beside them."""
    demo = tmp_path / "web_demo"
    _write(demo / "index.html", TEMPLATE)
    _write(demo / "sw.js", "const VERSION = '{{version}}'; const PRECACHE = {{precache}};")
    _write(demo / "manifest.webmanifest", '{"icons": [{"src": "{{page}}/icons/icon-192.png"}]}')
    _write(demo / "style.css", "body {}")
    _write(demo / "src" / "app.js", "// app")
    _write(demo / "icons" / "icon-192.png", b"\x89PNG fake")
    _write(demo / "notes.md", "a page folder file the page does not use")
    modules = demo / "node_modules" / "@litertjs"
    _write(modules / "core" / "dist" / "index.js", "export const x = 1;" * 200)
    _write(modules / "core" / "package.json", "{}")
    _write(modules / "wasm-utils" / "dist" / "index.js", "// utils")
    _write(modules / "core" / "wasm" / "litert_wasm_internal.js", "// loader")
    _write(modules / "core" / "wasm" / "litert_wasm_internal.wasm", b"\0asm" + bytes(4000))

    assets = tmp_path / "assets"
    _write(assets / "web_assets.json", json.dumps({"model": "model.tflite", "detector": "face_detector.json",
                                                   "golden": "golden.json", "labels": "labels.txt"}))
    _write(assets / "model.tflite", b"TFL3" * 100)
    _write(assets / "face_detector.json", json.dumps({"file": "face_detector.tflite"}))
    _write(assets / "face_detector.tflite", b"detector")
    _write(assets / "labels.txt", "male\nfemale\n")
    _write(assets / "golden.json", json.dumps({"faces": [{"image": "golden/a.jpg"}, {"image": "golden/escape.jpg"}]}))
    _write(assets / "golden" / "a.jpg", b"\xff\xd8 face")
    _write(assets / "taxes-2025.pdf", b"%PDF private")
    secret = _write(tmp_path / "secret.txt", "outside the served folders")
    (assets / "golden" / "escape.jpg").symlink_to(secret)  # named by golden.json, but a link leaving the folder
    (assets / "rootlink").symlink_to("/")
    (demo / "src" / "link.js").symlink_to(secret)
    server = make_server(assets, ServeOptions(port=0, demo_dir=demo, quiet=True, max_connections=4, connection_timeout=1.5),
                         log=lambda message: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()


def get(server, path: str, timeout: float = 5.0, context: ssl.SSLContext | None = None, headers=None):
    """(status, headers, body) of one GET on 127.0.0.1."""
    port = server.httpd.server_address[1]
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def site_folders(server) -> dict:
    status, _, body = get(server, "/")
    assert status == 200
    return json.loads(re.search(rb'<script id="site" type="application/json">(.*?)</script>', body).group(1))


# --- N6 -----------------------------------------------------------------------------------------

def test_nothing_outside_the_allow_list_is_served(served):
    forbidden = ["/assets/", "/assets", "/node_modules/", "/src/", "/assets/golden/", "/assets/taxes-2025.pdf",
                 "/assets/rootlink/etc/passwd", "/assets/golden/escape.jpg", "/assets/../../../../etc/passwd",
                 "/notes.md", "/src/link.js", "/node_modules/@litertjs/core/package.json", "/web_demo/index.html",
                 "/node_modules/@litertjs/core/dist/index.js", "/assets/model.tflite"]
    for path in forbidden:
        status, _, body = get(served, path)
        assert status == 404, (path, status, body[:80])
        assert b"PDF" not in body and b"root:" not in body and b"outside" not in body
    folders = site_folders(served)
    for folder in folders.values():
        for rest in ("", "/", "/taxes-2025.pdf", "/rootlink/etc/passwd", "/golden/escape.jpg", "/../notes.md",
                     "/src/link.js", "/package.json", "/core/package.json"):
            status, _, _ = get(served, f"/{folder}{rest}")
            assert status == 404, (folder, rest, status)


def test_the_page_and_every_file_it_needs_are_served(served):
    folders = site_folders(served)
    for path in ["/", "/index.html", "/sw.js", "/manifest.webmanifest", "/assets/web_assets.json",
                 f"/{folders['page']}/style.css", f"/{folders['page']}/src/app.js", f"/{folders['page']}/icons/icon-192.png",
                 f"/{folders['litert']}/core/dist/index.js", f"/{folders['litert']}/wasm-utils/dist/index.js",
                 f"/{folders['litert']}/core/wasm/litert_wasm_internal.wasm", f"/{folders['assets']}/model.tflite",
                 f"/{folders['assets']}/face_detector.json", f"/{folders['assets']}/face_detector.tflite",
                 f"/{folders['assets']}/golden.json", f"/{folders['assets']}/golden/a.jpg", f"/{folders['assets']}/labels.txt"]:
        status, headers, _ = get(served, path)
        assert status == 200, path
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
        if "/v/" in path:
            assert "immutable" in headers["Cache-Control"], path
        elif path == "/assets/web_assets.json":
            assert headers["Cache-Control"] == "no-store"
        else:
            assert headers["Cache-Control"] == "no-cache", path
    # brotli when the browser takes it, gzip when it takes only that (or refuses br), the same bytes
    # once decoded; identity otherwise; an ETag answers a repeat with 304 and no body
    import gzip

    import brotli

    wasm = f"/{folders['litert']}/core/wasm/litert_wasm_internal.wasm"
    original = b"\0asm" + bytes(4000)
    status, headers, body = get(served, wasm, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert headers["Content-Encoding"] == "br" and headers["Content-Type"] == "application/wasm"
    assert headers["Vary"] == "Accept-Encoding"
    assert brotli.decompress(body) == original and len(body) < 100
    for accept in ("gzip", "gzip, br;q=0", "deflate, gzip;q=0.5"):
        status, headers, body = get(served, wasm, headers={"Accept-Encoding": accept})
        assert headers["Content-Encoding"] == "gzip", accept
        assert gzip.decompress(body) == original and len(body) < 200
    for accept in ("", "identity", "br;q=0, gzip;q=0"):
        status, headers, body = get(served, wasm, headers={"Accept-Encoding": accept})
        assert "Content-Encoding" not in headers and body == original, accept
    status, headers, body = get(served, f"/{folders['page']}/icons/icon-192.png", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in headers  # PNG is compressed already
    status, headers, body = get(served, "/", headers={"If-None-Match": get(served, "/")[1]["ETag"]})
    assert status == 304 and body == b""


# --- N7 -----------------------------------------------------------------------------------------

def _idle(server, count: int) -> list[socket.socket]:
    """``count`` TCP connections that send nothing (or half a request line)."""
    port = server.httpd.server_address[1]
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if index % 2:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127")  # half-sent, never finished
        sockets.append(sock)
    return sockets


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def test_idle_clients_never_block_http_and_are_dropped(served):
    sockets = _idle(served, 6)  # more than the 4 threads this server may use
    try:
        started = time.monotonic()
        status, _, _ = get(served, "/sw.js", timeout=8)
        assert status == 200
        # waits at most for one idle connection's timeout (1.5 s here), never for the idle clients to leave
        assert time.monotonic() - started < 6
        # bounded: however many clients wait, at most max_connections threads serve
        workers = [t for t in threading.enumerate() if "process_request_thread" in t.name]
        assert len(workers) <= 4, [t.name for t in workers]
        assert all(_closed_by_server(sock, within=6) for sock in sockets), "an idle connection was never closed"
    finally:
        for sock in sockets:
            sock.close()


def test_an_idle_tcp_client_never_blocks_https(served, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=edge",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True,
                   capture_output=True, timeout=60)
    server = make_server(served.assets, ServeOptions(port=0, demo_dir=served.demo, cert=tmp_path / "cert.pem",
                                                     key=tmp_path / "key.pem", quiet=True, connection_timeout=1.5),
                         log=lambda message: None)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE  # self-signed on purpose
    try:
        sockets = _idle(server, 2)  # no TLS ClientHello ever comes
        try:
            started = time.monotonic()
            status, _, body = get(server, "/assets/web_assets.json", timeout=5, context=unverified)
            assert status == 200 and json.loads(body)["model"] == "model.tflite"
            assert time.monotonic() - started < 5
            assert all(_closed_by_server(sock, within=6) for sock in sockets), "the handshake never timed out"
        finally:
            for sock in sockets:
                sock.close()
    finally:
        server.shutdown()
