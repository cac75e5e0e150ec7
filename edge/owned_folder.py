"""Writing edge's files into a folder that may also hold the user's own (app assets, web assets).

``edge export --android-assets DIR`` and ``--web-assets DIR`` write into folders people keep
their own files in (an Android app's ``assets/``, a site folder). The rule that keeps their files
safe: edge writes only under names it owns, and it owns a name only when its marker
``DIR/.edge-assets`` records that edge wrote that file and the file still holds the bytes edge
wrote. So edge:

- writes into a new or empty folder, or beside the user's files under names nothing uses yet;
- replaces or removes a file only if the marker lists it with its current hash (an earlier
  export's golden faces are removed; a face the user put into ``golden/`` stays);
- refuses, before writing anything, when a name it needs is taken by a file it did not write
  (or one the user changed since): one line naming the file and the fix.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from edge import schemas
from edge.errors import EdgeError
from edge.io import write_bytes_atomic, write_json_atomic

ASSETS_MARKER = ".edge-assets"
_MARKER_SCHEMA = schemas.OWNED_FOLDER


def _sha256(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


class OwnedFolder:
    """The files edge wrote into ``root`` (its marker), and the checked writing of new ones.

    Use: ``folder = OwnedFolder(root, "--web-assets")``; ``folder.check(names)`` before any slow work
    or writing; ``folder.write(files)`` with every file of this export, which also removes the files
    of an earlier export that are not written again (only if unchanged) and records the new set.
    """

    def __init__(self, root: Path, flag: str):
        self.root = Path(root)
        self.flag = flag
        self.owned = self._read_marker()

    def _read_marker(self) -> dict[str, str]:
        marker = self.root / ASSETS_MARKER
        if not marker.is_file():
            return {}
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            files = data["files"] if data.get("schema") == _MARKER_SCHEMA else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            files = None
        if not isinstance(files, dict):
            raise EdgeError(f"{marker} is damaged: edge cannot tell which files in {self.root} are its own; "
                            f"move your files out and delete the marker, or choose another {self.flag}")
        return {str(name): str(digest) for name, digest in files.items()}

    def is_edges(self, name: str) -> bool:
        """Whether ``root/name`` is a file edge wrote and nobody changed since."""
        path = self.root / name
        digest = self.owned.get(name)
        return digest is not None and path.is_file() and not path.is_symlink() and _sha256(path) == digest

    def check(self, names: list[str]) -> None:
        """Refuse (EdgeError, nothing written) if any of ``names`` is taken by something edge did not write."""
        if self.root.exists() and not self.root.is_dir():
            raise EdgeError(f"{self.flag} {self.root} is a file: choose a folder")
        for name in names:
            path = self.root / name
            for parent in list(reversed(Path(name).parents))[1:]:
                if (self.root / parent).exists() and not (self.root / parent).is_dir():
                    raise EdgeError(f"{self.flag}: {self.root / parent} is a file where edge needs a folder: "
                                    f"move it, or choose another {self.flag}")
            if (path.exists() or path.is_symlink()) and not self.is_edges(name):
                raise EdgeError(f"{self.flag}: {path} is not a file edge wrote (or it was changed since): edge never "
                                f"overwrites your files; move it away, or choose another {self.flag}")

    def write(self, files: dict[str, bytes]) -> None:
        """Write ``files`` (relative name -> bytes), drop edge's files of an earlier export, record the set."""
        self.check(sorted(files))
        self.root.mkdir(parents=True, exist_ok=True)
        for name in sorted(set(self.owned) - set(files)):
            if self.is_edges(name):  # an earlier export's file this one no longer has (e.g. its golden faces)
                (self.root / name).unlink()
                _remove_empty_parents(self.root, Path(name).parent)
        written = {}
        for name, data in sorted(files.items()):
            write_bytes_atomic(self.root / name, data)
            written[name] = hashlib.sha256(data).hexdigest()
        self.owned = written
        write_json_atomic(self.root / ASSETS_MARKER, {
            "schema": _MARKER_SCHEMA, "files": written,
            "note": "written by edge export: the files edge owns in this folder; it replaces only these"})


def _remove_empty_parents(root: Path, relative: Path) -> None:
    """Remove now-empty folders edge's files lived in, up to (not including) ``root``."""
    while relative.parts:
        folder = root / relative
        if not folder.is_dir() or any(folder.iterdir()):
            return
        folder.rmdir()
        relative = relative.parent


def read_tree(folder: Path, prefix: str) -> dict[str, bytes]:
    """Every file under ``folder`` as ``{prefix/relative: bytes}`` (to write it with ``OwnedFolder``)."""
    folder = Path(folder)
    return {f"{prefix}/{p.relative_to(folder).as_posix()}": p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def detector_files(name: str) -> dict[str, bytes]:
    """The face detector's two asset files (``edge.detect.write_detector_assets``) as bytes."""
    import tempfile

    from edge.detect import write_detector_assets

    with tempfile.TemporaryDirectory(prefix=".edge-detector-") as scratch:
        return {path.name: path.read_bytes() for path in write_detector_assets(Path(scratch), name)}


def check_asset_folder(dest: Path, flag: str, export_dir: Path, names: list[str]) -> None:
    """Before an export's slow work: ``dest`` is not inside the export, and edge may write ``names`` there."""
    from edge.io import check_output_dir

    target, export = Path(dest).resolve(), Path(export_dir).resolve()
    if target.is_relative_to(export):
        raise EdgeError(f"{flag} {dest} is the export folder itself (or inside it): the export replaces that folder; "
                        "choose the app's or site's own assets folder")
    OwnedFolder(dest, flag).check(names)
    check_output_dir(dest, f"{flag} folder")
