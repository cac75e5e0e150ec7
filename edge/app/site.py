"""The browser page as a fixed set of URLs: what ``edge serve`` answers and what ``edge site`` writes.

One table (``Site.routes``) maps every URL the page uses to its bytes, content type and cache
policy. Nothing outside it is served: no directory listing, no other file of the assets folder,
no file reached through a symlink that leaves its folder. URLs are relative, so a static copy
works under any sub-path of any HTTPS host:

- ``index.html``                the page, generated: it names the versioned folders below
                                (``no-cache``: revalidated with its ETag, a few hundred bytes);
- ``sw.js``                     the service worker (offline use), generated with the site's version;
- ``manifest.webmanifest``      the web app manifest (installable), ``icons`` in the page folder;
- ``assets/web_assets.json``    the model manifest: the one ``no-store`` file;
- ``v/<hash>/page/...``         style.css, src/*.js, icons: immutable, the hash is their content's;
- ``v/<hash>/litert/...``       LiteRT.js (its JS and WebAssembly, from web_demo/node_modules);
- ``v/<hash>/assets/...``       the model, detector, golden faces and labels the manifest names (and, for
                                a flip-averaged export, the one-pass model of the page's "Faster" setting).

A new export changes the assets hash, hence the URLs, the service worker's version and its cache.

Compressible files go out as brotli when the browser takes it (``Content-Encoding: br``), gzip
otherwise: ``edge serve`` negotiates per request; ``edge site`` writes ``NAME.br`` and ``NAME.gz``
beside each such file for a host that serves precompressed files (nginx ``brotli_static`` /
``gzip_static``, Caddy ``file_server { precompressed br gzip }``). Brotli at its highest quality
takes ~30 s for the 9.4 MB runtime, so each result is kept in the edge cache by content hash.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from edge.errors import EdgeError
from edge.io import write_bytes_atomic

MODEL_MANIFEST = "web_assets.json"
IMMUTABLE = "public, max-age=31536000, immutable"  # the URL changes when the content does
REVALIDATE = "no-cache"  # kept, but asked again (ETag -> 304) on every use
NO_STORE = "no-store"
# cross-origin isolation lets LiteRT.js run its threaded WebAssembly (SharedArrayBuffer)
ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
                     "Cross-Origin-Resource-Policy": "same-origin", "X-Content-Type-Options": "nosniff"}
CONTENT_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
                 ".json": "application/json", ".tflite": "application/octet-stream", ".css": "text/css",
                 ".html": "text/html; charset=utf-8", ".png": "image/png", ".jpg": "image/jpeg",
                 ".txt": "text/plain; charset=utf-8", ".webmanifest": "application/manifest+json",
                 ".map": "application/json"}
COMPRESSIBLE = {".js", ".mjs", ".wasm", ".json", ".css", ".html", ".txt", ".webmanifest", ".tflite", ".map"}
PAGE_FILES = ("style.css",)
PAGE_FOLDERS = (("src", ".js"), ("icons", ".png"))
BENCH_ONLY = {"src/bench.js"}  # the benchmark harness: served only with bench=True
LITERT_FILES = {  # package folder -> files the page loads (the loader picks one WebAssembly variant), and the
    # source maps its modules name (sourceMappingURL): a browser's developer tools fetch them, never the page
    "@litertjs/core": ("dist/index.js", "dist/index.js.map"),
    "@litertjs/wasm-utils": ("dist/index.js", "dist/index.js.map"),
}
LITERT_WASM = Path("@litertjs") / "core" / "wasm"
# benchmarks/web_latency.mjs compares face-api.js in bench.html (served only with bench=True)
BENCH_PACKAGES = (("@vladmandic/face-api", "dist", (".js",)), ("@vladmandic/face-api", "model", (".json", ".bin")),
                  ("@tensorflow/tfjs-backend-wasm", "dist", (".wasm",)))
RUNTIME_PROBE = Path("node_modules") / LITERT_WASM  # what `npm ci` must have installed
BROTLI_QUALITY = 11  # the highest: the threaded runtime 9.4 MB -> 2.0 MB (gzip -9: 2.9 MB)
BROTLI_WINDOW = 24  # log2 of the window: the largest brotli allows
PRECOMPRESSED = {"br": ".br", "gzip": ".gz"}  # Content-Encoding -> the suffix `edge site` writes


def brotli_compress(raw: bytes) -> bytes:
    """``raw`` in brotli at the highest quality, kept in the edge cache (``$EDGE_CACHE_DIR/web-brotli``)
    by content hash: the runtime's WebAssembly takes ~30 s once, then a read."""
    import brotli  # a dependency (pyproject.toml); imported here so the rest of edge never needs it

    from edge.cache import cache_dir

    digest = hashlib.sha256(raw).hexdigest()
    path = cache_dir() / "web-brotli" / f"{digest}.q{BROTLI_QUALITY}.br"
    try:
        data = path.read_bytes()
        if hashlib.sha256(brotli.decompress(data)).hexdigest() == digest:
            return data
    except (OSError, brotli.error):
        pass
    data = brotli.compress(raw, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW)
    try:
        write_bytes_atomic(path, data)
    except OSError:
        pass  # a read-only cache: compress again next time
    return data


def compress(raw: bytes, encoding: str) -> bytes:
    """``raw`` as sent with Content-Encoding ``encoding`` (br, gzip or identity)."""
    if encoding == "br":
        return brotli_compress(raw)
    if encoding == "gzip":
        return gzip.compress(raw, compresslevel=9, mtime=0)
    return raw


def choose_encoding(accept_encoding: str) -> str:
    """br when the request's Accept-Encoding allows it, gzip when it allows that, identity otherwise
    (a coding listed with q=0 is refused; ``*`` allows any not listed)."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name.strip():
            allowed[name.strip()] = quality > 0
    for encoding in ("br", "gzip"):
        if allowed.get(encoding, allowed.get("*", False)):
            return encoding
    return "identity"


@dataclass(frozen=True)
class Entry:
    """One URL's content: a file (read when served) or generated bytes, and how it is cached."""

    content_type: str
    cache_control: str
    path: Path | None = None
    data: bytes | None = None

    def body(self) -> bytes:
        """The bytes as stored (uncompressed)."""
        return self.data if self.data is not None else self.path.read_bytes()

    @property
    def compressible(self) -> bool:
        """Worth gzip: text, WebAssembly and models (not PNG/JPEG)."""
        name = self.path.name if self.path is not None else ""
        return Path(name).suffix.lower() in COMPRESSIBLE or self.content_type.startswith(("text/", "application/j",
                                                                                           "application/m"))


@dataclass
class Site:
    """The page's URL table (relative URL -> Entry) and where its parts come from."""

    routes: dict[str, Entry]
    demo: Path
    assets: Path
    version: str


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _inside(path: Path, root: Path) -> bool:
    """``path`` is a regular file whose real location is inside ``root``'s (symlinks resolved)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return real.is_file() and real.is_relative_to(root.resolve())


def _group_hash(files: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].read_bytes()).digest())
    return digest.hexdigest()[:16]


def _page_files(demo: Path, bench: bool) -> dict[str, Path]:
    files = {name: demo / name for name in PAGE_FILES}
    for folder, suffix in PAGE_FOLDERS:
        for path in sorted((demo / folder).glob(f"*{suffix}")):
            name = f"{folder}/{path.name}"
            if bench or name not in BENCH_ONLY:
                files[name] = path
    return {name: path for name, path in files.items() if _inside(path, demo)}


def _litert_files(demo: Path, bench: bool) -> dict[str, Path]:
    modules = demo / "node_modules"
    files = {}
    for package, names in LITERT_FILES.items():
        for name in names:
            files[f"{package.split('/')[-1]}/{name}"] = modules / package / name
    for path in sorted((modules / LITERT_WASM).iterdir()):
        if path.suffix in (".js", ".wasm"):
            files[f"core/wasm/{path.name}"] = path
    if bench:
        for package, folder, suffixes in BENCH_PACKAGES:
            for path in sorted((modules / package / folder).iterdir()):
                if path.suffix in suffixes:
                    files[f"{package.split('/')[-1]}/{folder}/{path.name}"] = path
    return {name: path for name, path in files.items() if _inside(path, modules)}


def _asset_files(assets: Path) -> dict[str, Path]:
    """Exactly the files the model manifest names (and the detector config and golden.json name)."""
    def read_json(name: str) -> dict:
        path = assets / name
        if not _inside(path, assets):
            raise EdgeError(f"{path} is missing or leaves {assets} through a link: write the web assets again")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise EdgeError(f"{path} is not readable JSON ({error}): write the web assets again") from None

    manifest = read_json(MODEL_MANIFEST)
    looks = manifest.get("looks") if isinstance(manifest.get("looks"), dict) else {}
    goldens = [manifest.get("golden")] + [look.get("golden") for look in looks.values() if isinstance(look, dict)]
    names = [manifest.get("model"), manifest.get("detector"), manifest.get("labels"), *goldens,
             *(look.get("model") for look in looks.values() if isinstance(look, dict))]
    if manifest.get("detector"):
        names.append(read_json(manifest["detector"]).get("file"))
    for golden in dict.fromkeys(name for name in goldens if isinstance(name, str) and name):
        names += [face.get("image") for face in read_json(golden).get("faces", [])]
    files = {}
    for name in names:
        if isinstance(name, str) and name and not name.startswith("/") and ".." not in Path(name).parts:
            if _inside(assets / name, assets):
                files[name] = assets / name
    models = [manifest.get("model")] + [look.get("model") for look in looks.values() if isinstance(look, dict)]
    if any(model not in files for model in models):
        raise EdgeError(f"{assets / MODEL_MANIFEST} names a model that is not in {assets}: write the web assets again")
    return files


def _default_files(assets: Path, names) -> set[str]:
    """The asset files every visit loads (the service worker keeps them at install): not the golden
    faces, and not the models of the page's setting -- the page tells the worker which one it loaded
    (a first visit with "one look" remembered downloads that file only)."""
    manifest = json.loads((assets / MODEL_MANIFEST).read_text())
    looks = manifest.get("looks") if isinstance(manifest.get("looks"), dict) else {}
    chosen = {look.get("model") for look in looks.values() if isinstance(look, dict)}
    return {name for name in names if not name.startswith("golden") and name not in chosen}


def _render(template: Path, values: dict[str, str]) -> bytes:
    text = template.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def build_site(assets: Path, demo: Path, bench: bool = False) -> Site:
    """The URL table for the page in ``demo`` (web_demo/) and the web assets in ``assets``.

    ``bench`` adds benchmarks/web_latency.mjs's harness (bench.html and face-api.js).
    """
    assets, demo = Path(assets), Path(demo)
    page, litert, asset_files = _page_files(demo, bench), _litert_files(demo, bench), _asset_files(assets)
    folders = {"page": f"v/{_group_hash(page)}/page", "litert": f"v/{_group_hash(litert)}/litert",
               "assets": f"v/{_group_hash(asset_files)}/assets"}
    version = hashlib.sha256(json.dumps(folders, sort_keys=True).encode()
                             + (demo / "sw.js").read_bytes() + (demo / "index.html").read_bytes()).hexdigest()[:16]
    routes: dict[str, Entry] = {}
    for group, files in (("page", page), ("litert", litert), ("assets", asset_files)):
        for name, path in files.items():
            routes[f"{folders[group]}/{name}"] = Entry(_content_type(path), IMMUTABLE, path=path)
    routes[f"assets/{MODEL_MANIFEST}"] = Entry(CONTENT_TYPES[".json"], NO_STORE, path=assets / MODEL_MANIFEST)
    # what the service worker stores at install (the runtime: what the page reports it loaded)
    precache = ["./", "manifest.webmanifest", f"assets/{MODEL_MANIFEST}",
                *(f"{folders['page']}/{name}" for name in page if name not in BENCH_ONLY),
                *(f"{folders['assets']}/{name}" for name in sorted(_default_files(assets, asset_files)))]
    values = {**folders, "version": version, "precache": json.dumps(precache)}
    html = CONTENT_TYPES[".html"]
    routes["index.html"] = Entry(html, REVALIDATE, data=_render(demo / "index.html", values))
    routes["sw.js"] = Entry(CONTENT_TYPES[".js"], REVALIDATE, data=_render(demo / "sw.js", values))
    routes["manifest.webmanifest"] = Entry(CONTENT_TYPES[".webmanifest"], REVALIDATE,
                                           data=_render(demo / "manifest.webmanifest", values))
    if bench:
        routes["bench.html"] = Entry(html, REVALIDATE, data=_render(demo / "bench.html", values))
    return Site(routes, demo, assets, version)


def headers_file(site: Site) -> str:
    """``_headers`` (Netlify, Cloudflare Pages): isolation and the cache policy of ``site``'s URLs."""
    lines = ["/*"] + [f"  {name}: {value}" for name, value in ISOLATION_HEADERS.items()] + ["  Vary: Accept-Encoding"]
    for prefix, policy in (("/v/*", IMMUTABLE), ("/", REVALIDATE), ("/index.html", REVALIDATE), ("/sw.js", REVALIDATE),
                           ("/manifest.webmanifest", REVALIDATE), (f"/assets/{MODEL_MANIFEST}", NO_STORE)):
        lines += [prefix, f"  Cache-Control: {policy}"]
    return "\n".join(lines) + "\n"


def write_site(site: Site, dest: Path, log: Callable[[str], None] = print) -> Path:
    """Write every URL of ``site`` as a file under ``dest`` (a new or empty folder, or one this wrote)."""
    dest = Path(dest)
    marker = dest / ".edge-site"
    if dest.exists() and any(dest.iterdir()) and not marker.is_file():
        raise EdgeError(f"{dest} is not empty and was not written by `edge site`: choose a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    marker.write_text("written by `edge site`; it may replace this folder's files\n")
    files = {url: entry for url, entry in site.routes.items()}
    wanted = set(files) | {url + suffix for url, entry in files.items() if entry.compressible
                           for suffix in PRECOMPRESSED.values()}
    for stale in [p for p in dest.rglob("*") if p.is_file() and p != marker]:  # an earlier version's files
        if stale.relative_to(dest).as_posix() not in wanted:
            stale.unlink()
    total = brotli_total = 0
    for url, entry in files.items():
        body = entry.body()
        write_bytes_atomic(dest / url, body)
        total += len(body)
        if entry.compressible:  # precompressed twins for hosts that serve them (module docstring)
            for encoding, suffix in PRECOMPRESSED.items():
                data = compress(body, encoding)
                write_bytes_atomic(dest / (url + suffix), data)
                brotli_total += len(data) if encoding == "br" else 0
        else:
            brotli_total += len(body)
    (dest / "_headers").write_text(headers_file(site))
    log(f"static site: {dest} ({len(site.routes)} files, {total / 1e6:.1f} MB, {brotli_total / 1e6:.1f} MB as brotli; "
        "NAME.br and NAME.gz beside each compressible file for hosts that serve precompressed files; _headers for "
        "the host's cache and isolation headers); serve the folder over HTTPS as it is")
    return dest
