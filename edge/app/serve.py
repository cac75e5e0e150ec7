"""``edge serve``: the browser page and a model's web assets from this machine.

The URLs and files are ``edge.app.site``'s table (the page, LiteRT.js, and exactly the files the
model manifest names); anything else is a 404, directory listings included. Responses carry the
table's cache policy, an ETag, brotli when the browser takes it (gzip when it takes only that),
and the cross-origin isolation headers that let LiteRT.js use threads. Brotli bodies come from the
edge cache (``edge.app.site.brotli_compress``); the server starts compressing every compressible
file in the background when it starts, so the first visit rarely waits for one.

It binds 127.0.0.1 unless told otherwise: ``--host 0.0.0.0`` exposes it on the local network
(a phone on the same Wi-Fi). Browsers open the camera only in a secure context (https, or
http://localhost), so ``--cert``/``--key`` serve HTTPS with the user's own certificate.

One thread per connection, at most ``MAX_CONNECTIONS`` at once: the TLS handshake happens in
that thread (never in the accept loop) and every socket read has a timeout, so a client that
connects and sends nothing holds one thread for at most ``CONNECTION_TIMEOUT_S`` and never
blocks another client.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import shutil
import socket
import socketserver
import ssl
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from edge.app.site import (ISOLATION_HEADERS, MODEL_MANIFEST, RUNTIME_PROBE, Entry, Site, build_site, choose_encoding,
                           compress)
from edge.errors import EdgeError

DEMO_DIR = Path(__file__).resolve().parents[2] / "web_demo"  # edge/app/serve.py -> the repository root
WEB_SUBDIR = "web"  # EXPORT_DIR/web: where the README's export command puts the web assets
APP_MODEL = "model.tflite"  # the model in an app's assets folder (edge export --android-assets)
DEFAULT_PORT = 8000
DEFAULT_HOST = "127.0.0.1"
MAX_CONNECTIONS = 64  # threads serving at once; further connections wait in the listen backlog
CONNECTION_TIMEOUT_S = 10.0  # TLS handshake and every read of a request: an idle client is dropped after this


def find_web_assets(path: Path, log: Callable[[str], None] = print, workdir: Path | None = None) -> Path:
    """The web-assets folder for ``path``.

    ``path`` is a web-assets folder, an ``edge export`` directory (its ``web/``, written now when
    missing: seconds, no TensorFlow), a ``.tflite`` with the edge spec, or an app's assets folder
    (its ``model.tflite``). A bare model's web assets are written to ``workdir`` (never beside the
    user's file). EdgeError otherwise.
    """
    from edge.export.web import write_web_assets, write_web_assets_for_model

    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".tflite":
        return write_web_assets_for_model(path, _workdir(workdir), log)
    if not path.is_dir():
        raise EdgeError(f"{path} is not a directory or a .tflite file: pass an `edge export` directory, its web assets "
                        "folder, an exported .tflite or an app's assets folder")
    for candidate in (path, path / WEB_SUBDIR):
        if (candidate / MODEL_MANIFEST).is_file():
            return candidate
    from edge.layout import is_export_dir

    if is_export_dir(path):
        log(f"{path} has no web assets yet: writing them to {path / WEB_SUBDIR}")
        write_web_assets(path, path / WEB_SUBDIR, log)
        return path / WEB_SUBDIR
    if (path / APP_MODEL).is_file():
        return write_web_assets_for_model(path / APP_MODEL, _workdir(workdir), log)
    raise EdgeError(f"{path} is neither an `edge export` directory, a web assets folder ({MODEL_MANIFEST}) nor an app's "
                    f"assets folder ({APP_MODEL}): run `edge export RUN --int8 --web-assets DIR` and serve DIR")


def _workdir(workdir: Path | None) -> Path:
    if workdir is None:
        raise EdgeError("a bare model needs a folder for its web assets (internal: pass workdir)")
    return Path(workdir)


def find_demo_dir(demo_dir: Path | None = None) -> Path:
    """The page's folder (``web_demo/`` beside the ``edge`` package), with its npm packages installed."""
    demo = Path(demo_dir) if demo_dir else DEMO_DIR
    if not (demo / "index.html").is_file():
        raise EdgeError(f"the web page is not at {demo}: run edge from a clone of the repository (pip install -e .)")
    if not (demo / RUNTIME_PROBE).is_dir():
        raise EdgeError(f"LiteRT.js is not installed in {demo / 'node_modules'}: run `npm ci --prefix {demo}`")
    return demo


class _SiteSource:
    """The URL table, rebuilt when the model manifest changes (a new export is picked up on reload),
    and each file's brotli and gzip, made once per file version (a request for a body being made
    waits for it rather than making it again)."""

    def __init__(self, assets: Path, demo: Path, bench: bool):
        self.assets, self.demo, self.bench = assets, demo, bench
        self.lock = threading.Lock()
        self.signature = self._signature()
        self.site = build_site(assets, demo, bench)
        self.bodies: dict[tuple, tuple[bytes, str]] = {}
        self.making: dict[tuple, threading.Lock] = {}
        self.stopped = threading.Event()

    def precompress(self) -> None:
        """Make every compressible file's brotli now (a background thread at start, until the server stops):
        the largest first, the runtime builds a browser rarely picks (compat, JSPI) last."""
        site = self.current()
        routes = [(url, entry) for url, entry in site.routes.items() if entry.compressible]
        routes.sort(key=lambda item: ("_compat_" in item[0] or "_jspi_" in item[0],
                                      -(item[1].path.stat().st_size if item[1].path is not None else len(item[1].data))))
        for url, entry in routes:
            if self.stopped.is_set():
                return
            try:
                self.body(url, entry, "br")
            except OSError:
                pass

    def _signature(self) -> tuple:
        stat = (self.assets / MODEL_MANIFEST).stat()
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> Site:
        with self.lock:
            try:
                signature = self._signature()
            except OSError:
                return self.site
            if signature != self.signature:
                try:
                    self.site, self.signature = build_site(self.assets, self.demo, self.bench), signature
                except EdgeError:
                    pass  # half-written assets: keep the last good table
            return self.site

    def body(self, url: str, entry: Entry, encoding: str) -> tuple[bytes, str]:
        """The response body (br, gzip or identity) and its ETag; each made once per file version."""
        if entry.path is not None:
            stat = entry.path.stat()
            key = (url, encoding, stat.st_mtime_ns, stat.st_size)
        else:
            key = (url, encoding, hash(entry.data))
        with self.lock:
            made = self.bodies.get(key)
            making = self.making.setdefault(key, threading.Lock()) if made is None else None
        if made is None:
            with making:  # one thread makes it; the others wait here, then find it made
                with self.lock:
                    made = self.bodies.get(key)
                if made is None:
                    raw = entry.body()
                    made = compress(raw, encoding), f'"{hashlib.sha256(raw).hexdigest()[:24]}-{encoding}"'
                    with self.lock:
                        self.bodies[key] = made
                        self.making.pop(key, None)
        return made


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD for the URLs of the site table; 404 for everything else."""

    server: "_Server"
    server_version = "edge-serve"
    sys_version = ""

    def setup(self) -> None:
        self.timeout = self.server.connection_timeout  # every read of the request line and headers
        super().setup()

    def do_HEAD(self) -> None:  # noqa: N802 (the base class's naming)
        self._respond(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        source = self.server.source
        site = source.current()
        route = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/") or "index.html"
        entry = site.routes.get(route)
        if entry is None:
            self._plain(404, "Not found: edge serve answers only the page's own files.\n", head)
            return
        encoding = choose_encoding(self.headers.get("Accept-Encoding", "")) if entry.compressible else "identity"
        try:
            body, etag = source.body(route, entry, encoding)
        except OSError:
            self._plain(404, "Not found (the file went away; restart edge serve).\n", head)
            return
        if etag in [tag.strip() for tag in self.headers.get("If-None-Match", "").split(",")]:
            self.send_response(304)
            self._common_headers(entry, etag)
            self.end_headers()
            return
        self.send_response(200)
        self._common_headers(entry, etag)
        self.send_header("Content-Type", entry.content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding != "identity":
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        if not head:
            self.wfile.write(body)
            self.server.count(len(body))

    def _common_headers(self, entry: Entry, etag: str) -> None:
        self.send_header("Cache-Control", entry.cache_control)
        self.send_header("ETag", etag)
        self.send_header("Vary", "Accept-Encoding")
        for name, value in ISOLATION_HEADERS.items():
            self.send_header(name, value)

    def _plain(self, code: int, text: str, head: bool) -> None:
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)
            self.server.count(len(body))

    def end_headers(self) -> None:
        self.server.count(sum(len(line) for line in getattr(self, "_headers_buffer", [])) + 2)
        super().end_headers()

    def date_time_string(self, timestamp=None) -> str:
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        if not self.server.quiet:
            super().log_message(format, *args)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One thread per connection (at most MAX_CONNECTIONS); TLS handshakes in that thread, with a timeout."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address, source: _SiteSource, tls: ssl.SSLContext | None, quiet: bool,
                 max_connections: int = MAX_CONNECTIONS, connection_timeout: float = CONNECTION_TIMEOUT_S):
        self.source, self.tls, self.quiet, self.connection_timeout = source, tls, quiet, connection_timeout
        self.slots = threading.BoundedSemaphore(max_connections)
        self.bytes_lock = threading.Lock()
        self.bytes_sent = 0
        super().__init__(address, _Handler)

    def count(self, size: int) -> None:
        with self.bytes_lock:
            self.bytes_sent += size

    def process_request(self, request, client_address) -> None:
        # waits (in the accept loop) only while MAX_CONNECTIONS threads are busy, each for at most
        # CONNECTION_TIMEOUT_S per read: later connections queue in the backlog instead of spawning threads
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            request.settimeout(self.connection_timeout)
            if self.tls is not None:
                request = self.tls.wrap_socket(request, server_side=True)  # the handshake, here in the worker
            self.finish_request(request, client_address)
        except (OSError, ssl.SSLError):
            pass  # a client that went away, timed out or spoke no TLS: nothing to answer
        except Exception:  # noqa: BLE001 (one bad request never stops the server)
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        if not self.quiet:
            super().handle_error(request, client_address)


@dataclass
class WebServer:
    """A started (not yet serving) server: ``url`` to open, ``serve_forever()``, ``shutdown()``."""

    httpd: _Server
    url: str
    lan_urls: list[str]
    assets: Path
    demo: Path
    workdir: Path | None = field(default=None)

    @property
    def bytes_sent(self) -> int:
        """Bytes written to clients so far (headers and bodies, as sent: compressed when br or gzip)."""
        return self.httpd.bytes_sent

    def serve_forever(self) -> None:
        threading.Thread(target=self.httpd.source.precompress, name="edge-serve-brotli", daemon=True).start()
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        self.httpd.source.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


@dataclass(frozen=True)
class ServeOptions:
    """Where and how ``edge serve`` listens.

    ``port`` 0 picks a free one; ``cert`` + ``key`` (PEM) serve https (a phone's camera needs it);
    ``demo_dir`` is the page's folder (default: the installed one); ``bench`` also serves
    benchmarks/web_latency.mjs's harness page (face-api.js); ``max_connections`` threads serve at
    once; a connection silent for ``connection_timeout`` seconds (TLS handshake or request) is closed.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    cert: Path | None = None
    key: Path | None = None
    demo_dir: Path | None = None
    quiet: bool = False
    bench: bool = False
    max_connections: int = MAX_CONNECTIONS
    connection_timeout: float = CONNECTION_TIMEOUT_S


def make_server(export_dir: Path, options: ServeOptions = ServeOptions(),
                log: Callable[[str], None] = print) -> WebServer:
    """Bind the server and return it with the URL to open. ``export_dir``: anything ``find_web_assets`` takes."""
    tls = _tls_context(options.cert, options.key)
    demo = find_demo_dir(options.demo_dir)
    workdir = Path(tempfile.mkdtemp(prefix="edge-serve-"))
    try:
        assets = find_web_assets(export_dir, log, workdir)
        source = _SiteSource(assets, demo, options.bench)
        try:
            httpd = _Server((options.host, options.port), source, tls, options.quiet, options.max_connections,
                            options.connection_timeout)
        except OSError as error:
            raise EdgeError(f"cannot listen on {options.host}:{options.port} ({error.strerror}): pick another --port") from None
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    scheme, host = ("https" if tls else "http"), options.host
    bound_port = httpd.server_address[1]
    shown_host = "localhost" if host in ("127.0.0.1", "localhost", "0.0.0.0", "::") else host
    lan = [f"{scheme}://{ip}:{bound_port}/" for ip in _lan_addresses()] if host in ("0.0.0.0", "::") else []
    return WebServer(httpd, f"{scheme}://{shown_host}:{bound_port}/", lan, assets, demo, workdir)


def _tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The https context for a certificate + key pair (None: plain http)."""
    if not (cert or key):
        return None
    if not (cert and key):
        raise EdgeError("--cert and --key go together: pass both PEM files (see the README, 'In the browser')")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        tls.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as error:
        raise EdgeError(f"cannot use {cert} / {key} as a TLS certificate and key ({error}): "
                        "make a pair with the README's openssl command") from None
    return tls


def _lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (from its own name; nothing is sent)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos if not info[4][0].startswith("127.")})


def serve(export_dir: Path, options: ServeOptions = ServeOptions(), log: Callable[[str], None] = print) -> None:
    """Serve until interrupted, printing the URL(s) to open."""
    server = make_server(export_dir, options, log)
    log(f"serving the page from {server.demo} and web assets from {server.assets}")
    log(f"open {server.url}")
    for url in server.lan_urls:
        log(f"on a phone on the same network: {url}"
            + ("" if url.startswith("https") else "  (photos work; the live camera needs https: --cert/--key)"))
    try:
        server.serve_forever()
    finally:
        server.shutdown()


def write_static_site(source: Path, dest: Path, log: Callable[[str], None] = print) -> Path:
    """``edge site``: the page, LiteRT.js, the model's web assets, service worker and ``_headers`` in ``dest``,
    ready for any HTTPS static host. ``source``: anything ``find_web_assets`` takes."""
    from edge.app.site import write_site

    demo = find_demo_dir()
    workdir = Path(tempfile.mkdtemp(prefix="edge-site-"))
    try:
        return write_site(build_site(find_web_assets(source, log, workdir), demo), dest, log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
