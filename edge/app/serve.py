"""``edge serve EXPORT_DIR``: the browser page and an export's web assets from this machine.

A stdlib ``http.server`` (no TensorFlow, no network at run time) serving two folders:

- ``/``         ``web_demo/`` (the page, its JS, and the npm packages it loads from
                ``web_demo/node_modules``, installed by ``npm ci``: LiteRT.js and its WASM);
- ``/assets/``  the web assets ``edge export --web-assets DIR`` wrote (``web_assets.json`` and
                the files it names).

It binds 127.0.0.1 unless told otherwise: ``--host 0.0.0.0`` exposes it on the local network
(a phone on the same Wi-Fi). Browsers open the camera only in a secure context (https, or
http://localhost), so ``--cert``/``--key`` serve HTTPS with the user's own certificate.
"""

from __future__ import annotations

import functools
import http.server
import socket
import ssl
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edge.errors import EdgeError

DEMO_DIR = Path(__file__).resolve().parents[2] / "web_demo"  # edge/app/serve.py -> the repository root
RUNTIME_PROBE = Path("node_modules") / "@litertjs" / "core" / "wasm"  # what `npm ci` must have installed
ASSETS_PREFIX = "/assets"
WEB_SUBDIR = "web"  # EXPORT_DIR/web: where the README's export command puts the web assets
DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"
CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                 ".json": "application/json", ".tflite": "application/octet-stream", ".css": "text/css",
                 ".html": "text/html", ".png": "image/png", ".jpg": "image/jpeg", ".txt": "text/plain"}


def find_web_assets(path: Path, log: Callable[[str], None] = print) -> Path:
    """The web-assets folder for ``path``: the folder itself or its ``web/``.

    An ``edge export`` directory without one gets it built now (``export.web``, no TensorFlow:
    seconds), so ``edge serve`` works on any int8 export. EdgeError otherwise.
    """
    from export.web import MANIFEST_NAME, write_web_assets

    path = Path(path)
    if not path.is_dir():
        raise EdgeError(f"{path} is not a directory: pass an `edge export` directory (or its web assets folder)")
    for candidate in (path, path / WEB_SUBDIR):
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    from edge.layout import is_export_dir

    if is_export_dir(path):
        log(f"{path} has no web assets yet: writing them to {path / WEB_SUBDIR}")
        write_web_assets(path, path / WEB_SUBDIR, log)
        return path / WEB_SUBDIR
    raise EdgeError(f"{path} is neither an `edge export` directory nor a web assets folder ({MANIFEST_NAME}): "
                    "run `edge export RUN --int8 --web-assets DIR` and serve DIR")


def find_demo_dir(demo_dir: Path | None = None) -> Path:
    """The page's folder (``web_demo/`` beside the ``edge`` package), with its npm packages installed."""
    demo = Path(demo_dir) if demo_dir else DEMO_DIR
    if not (demo / "index.html").is_file():
        raise EdgeError(f"the web page is not at {demo}: run edge from a clone of the repository (pip install -e .)")
    if not (demo / RUNTIME_PROBE).is_dir():
        raise EdgeError(f"LiteRT.js is not installed in {demo / 'node_modules'}: run `npm ci --prefix {demo}`")
    return demo


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the demo folder, and ``/assets/...`` from the web-assets folder."""

    def __init__(self, *args, demo: Path, assets: Path, quiet: bool, **kwargs):
        self.demo, self.assets, self.quiet = demo, assets, quiet
        super().__init__(*args, directory=str(demo), **kwargs)

    def translate_path(self, path: str) -> str:
        route = urllib.parse.urlsplit(path).path
        if route == ASSETS_PREFIX or route.startswith(ASSETS_PREFIX + "/"):
            root, rest = self.assets, route[len(ASSETS_PREFIX):] or "/"
        else:
            root, rest = self.demo, route
        saved = self.directory
        self.directory = str(root)  # the base class resolves (and confines) the path under it
        try:
            return super().translate_path(rest)
        finally:
            self.directory = saved

    def guess_type(self, path) -> str:
        return CONTENT_TYPES.get(Path(str(path)).suffix.lower()) or super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a new export is picked up on reload
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)


@dataclass
class WebServer:
    """A started (not yet serving) server: ``url`` to open, ``serve_forever()``, ``shutdown()``."""

    httpd: http.server.ThreadingHTTPServer
    url: str
    lan_urls: list[str]
    assets: Path
    demo: Path

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_server(export_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, cert: Path | None = None,
                key: Path | None = None, demo_dir: Path | None = None, quiet: bool = False,
                log: Callable[[str], None] = print) -> WebServer:
    """Bind the server (port 0 picks a free one) and return it with the URL to open."""
    assets = find_web_assets(export_dir, log)
    demo = find_demo_dir(demo_dir)
    handler = functools.partial(_Handler, demo=demo, assets=assets, quiet=quiet)
    try:
        httpd = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise EdgeError(f"cannot listen on {host}:{port} ({error.strerror}): pick another --port") from None
    httpd.daemon_threads = True
    scheme = "http"
    if cert or key:
        if not (cert and key):
            httpd.server_close()
            raise EdgeError("--cert and --key go together: pass both PEM files (see the README, 'In the browser')")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(str(cert), str(key))
        except (OSError, ssl.SSLError) as error:
            httpd.server_close()
            raise EdgeError(f"cannot use {cert} / {key} as a TLS certificate and key ({error}): "
                            "make a pair with the README's openssl command") from None
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    bound_port = httpd.server_address[1]
    shown_host = "localhost" if host in ("127.0.0.1", "localhost", "0.0.0.0", "::") else host
    lan = [f"{scheme}://{ip}:{bound_port}/" for ip in _lan_addresses()] if host in ("0.0.0.0", "::") else []
    return WebServer(httpd, f"{scheme}://{shown_host}:{bound_port}/", lan, assets, demo)


def _lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (from its own name; nothing is sent)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})


def serve(export_dir: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, cert: Path | None = None,
          key: Path | None = None, log: Callable[[str], None] = print) -> None:
    """Serve until interrupted, printing the URL(s) to open."""
    server = make_server(export_dir, host, port, cert, key, log=log)
    log(f"serving the page from {server.demo} and web assets from {server.assets}")
    log(f"open {server.url}")
    for url in server.lan_urls:
        log(f"on a phone on the same network: {url}"
            + ("" if url.startswith("https") else "  (photos work; the live camera needs https: --cert/--key)"))
    try:
        server.serve_forever()
    finally:
        server.shutdown()
