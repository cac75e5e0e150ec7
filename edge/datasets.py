"""The data layer: three real dataset sources behind one interface.

Every source yields ``FaceRecord``s: (image path, age in years and/or Adience group, gender,
fold/group id). Rows that cannot be used are counted in a ``SkipLog`` with their reason and a
few examples; a loader never crashes on bad rows.

Sources
-------
``utkface``  a directory of ``[age]_[gender]_[race]_[datetime].jpg.chip.jpg`` chips.
``adience``  a root with the original ``fold_{0..4}_data.txt`` files and ``aligned/`` (or
             ``faces/``) images; folds are kept (the benchmark is 5-fold by subject).
``csv``      a manifest ``path,age,gender`` (either label may be empty; age may be years or
             an Adience-style range), paths relative to the CSV file.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from edge.errors import EdgeError
from edge.labels import MAX_AGE_YEARS, parse_adience_age, parse_gender, plausible_age

KINDS = ("utkface", "adience", "csv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
AGE_OUT_OF_RANGE = f"age outside 0..{MAX_AGE_YEARS} years"
# accepted CSV header names per field (case-insensitive); the first one is the documented name
CSV_COLUMNS = {"path": ("path", "file", "filename", "image", "image_path"), "age": ("age", "age_years", "years"),
               "gender": ("gender", "sex")}
UTK_RACES = ("White", "Black", "Asian", "Indian", "Others")  # UTKFace's race code 0..4, as its README names them
CSV_GROUP_COLUMNS = ("race", "group")  # optional CSV columns edge validate --by reports accuracy by
_UTK_NAME = re.compile(r"^(\d{1,3})_([01])_([0-4])_(\d+)\.jpg\.chip\.jpg$")


@dataclass(frozen=True)
class FaceRecord:
    """One labelled face image.

    ``age_years``: age in years (UTKFace exact; Adience range midpoint), or None.
    ``adience_group``: the Adience 8-group index when the label was an Adience range, else None.
    ``gender``: 0 = male, 1 = female, None = unknown. ``fold``: fold id (Adience) or ``""``.
    ``subject``: identity key when the source has one (Adience user_id), else ``""``.
    ``attributes``: (name, value) group labels the source carries, for per-group accuracy only.
    """

    path: str
    age_years: float | None
    gender: int | None
    fold: str = ""
    subject: str = ""
    adience_group: int | None = None
    # groups to report accuracy by (``edge validate --by``): (("race", "Asian"),) from UTKFace's race code,
    # a CSV's race/group columns; never used for training
    attributes: tuple[tuple[str, str], ...] = ()


@dataclass
class SkipLog:
    """Counted reasons for skipped rows/files, with up to 3 examples per reason."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        bucket = self.examples.setdefault(reason, [])
        if len(bucket) < 3:
            bucket.append(example)

    def merge(self, other: "SkipLog") -> None:
        for reason, count in other.counts.items():
            self.counts[reason] += count
            for example in other.examples.get(reason, []):
                bucket = self.examples.setdefault(reason, [])
                if len(bucket) < 3:
                    bucket.append(example)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict:
        return {reason: {"count": count, "examples": self.examples.get(reason, [])}
                for reason, count in self.counts.most_common()}


@dataclass
class Dataset:
    """Records from one source plus what was skipped while listing them."""

    kind: str
    root: Path
    records: list[FaceRecord]
    skipped: SkipLog
    pre_aligned: bool  # faces already cropped/aligned: face detection is off by default

    @property
    def folds(self) -> list[str]:
        return sorted({r.fold for r in self.records if r.fold})


def default_label_scheme(kind: str, age_groups: str = "utk20") -> str:
    """The age scheme a dataset is trained in: adience8 for Adience (its labels are groups), else ``age_groups``
    (ages in years can be grouped any way; the model family chooses)."""
    return "adience8" if kind == "adience" else age_groups


def normalize_path(path: str | os.PathLike) -> Path:
    """Absolute path with ``..`` collapsed (symlinks kept): the one spelling of a dataset path."""
    return Path(os.path.abspath(path))


def detect_kind(path: Path) -> str:
    """Guess the source kind of ``path`` (utkface, adience or csv)."""
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() == ".csv":
            return "csv"
        raise EdgeError(f"{path} is a file but not a .csv manifest: pass a dataset directory or a CSV")
    if not path.is_dir():
        raise EdgeError(f"dataset not found: {path} (check the path: a UTKFace folder, an Adience root or a .csv manifest)")
    if list(path.glob("fold_*_data.txt")):
        return "adience"
    try:
        entries = [entry for _, entry in zip(range(200), os.scandir(path))]
    except PermissionError:
        raise EdgeError(f"cannot read directory {path}: check its permissions") from None
    # chips at the top, or one folder down (the public download's UTKFace/ and crop_part1/ layout)
    names = [e.name for e in entries] + [name for e in entries if e.is_dir() for name in _first_names(Path(e.path))]
    if any(_UTK_NAME.match(name) for name in names):
        return "utkface"
    csvs = sorted(path.glob("*.csv"))
    if len(csvs) == 1:
        return "csv"
    raise EdgeError(
        f"cannot tell what dataset {path} is: expected UTKFace chips, Adience fold_*_data.txt "
        "files or one manifest .csv; pass --kind utkface|adience|csv"
    )


def _first_names(folder: Path, count: int = 200) -> list[str]:
    try:
        return [entry.name for _, entry in zip(range(count), os.scandir(folder))]
    except OSError:
        return []


def load_dataset(path: Path, kind: str | None = None) -> Dataset:
    """List the labelled faces of a dataset (no decoding yet). ``kind`` auto-detected if None.

    Paths are made absolute so record paths (and so cache keys and split files) do not depend
    on the working directory.
    """
    path = normalize_path(path)
    kind = kind or detect_kind(path)
    if kind == "utkface":
        dataset = load_utkface(path)
    elif kind == "adience":
        dataset = load_adience(path)
    elif kind == "csv":
        if path.is_dir():
            csvs = sorted(path.glob("*.csv"))
            if len(csvs) != 1:
                raise EdgeError(f"{path} holds {len(csvs)} .csv files: pass the manifest file itself")
            path = csvs[0]
        dataset = load_csv(path)
    else:
        raise EdgeError(f"unknown dataset kind '{kind}': use one of {', '.join(KINDS)}")
    if not dataset.records:
        reasons = "; ".join(f"{r}: {c}" for r, c in dataset.skipped.counts.most_common(3)) or "no files"
        raise EdgeError(f"no usable labelled images in {path} ({reasons}): check the path and --kind")
    return dataset


def _walk_files(root: Path, skipped: SkipLog) -> list[Path]:
    files: list[Path] = []

    def on_error(error: OSError) -> None:
        skipped.add("unreadable directory", str(getattr(error, "filename", "") or error))

    for directory, _, names in os.walk(root, onerror=on_error):
        files.extend(Path(directory) / name for name in names)
    return sorted(files)


def load_utkface(root: Path) -> Dataset:
    """UTKFace chips: labels parsed from the file name; malformed names are skipped."""
    root = Path(root)
    if not root.is_dir():
        raise EdgeError(f"UTKFace directory not found: {root}")
    skipped = SkipLog()
    listed = []
    for file in _walk_files(root, skipped):
        match = _UTK_NAME.match(file.name)
        if not match:
            if file.name.lower().endswith(IMAGE_SUFFIXES):
                skipped.add("malformed UTKFace name", file.name)
            else:
                skipped.add("not an image file", file.name)
            continue
        if not plausible_age(float(match.group(1))):
            skipped.add(AGE_OUT_OF_RANGE, file.name)
            continue
        race = (("race", UTK_RACES[int(match.group(3))]),)
        listed.append((str(file.relative_to(root)),
                       FaceRecord(str(file), float(match.group(1)), int(match.group(2)), attributes=race)))
    # the public download ships the same chips in several folders (UTKFace/, crop_part1/): one image, one record
    return Dataset("utkface", root, merge_copies(listed, skipped), skipped, pre_aligned=True)


def _adience_image_dir(root: Path) -> tuple[Path, str]:
    for name, prefix in (("aligned", "landmark_aligned_face"), ("faces", "coarse_tilt_aligned_face")):
        if (root / name).is_dir():
            return root / name, prefix
    raise EdgeError(f"Adience root {root} has no aligned/ or faces/ image folder")


def load_adience(root: Path) -> Dataset:
    """Adience: original fold files + aligned images. Missing images and unknown labels are counted."""
    root = Path(root)
    image_dir, prefix = _adience_image_dir(root)
    skipped = SkipLog()
    records = []
    seen: set[Path] = set()
    fold_files = sorted(root.glob("fold_*_data.txt"))
    if not fold_files:
        raise EdgeError(f"no fold_*_data.txt files in {root}: is this an Adience root?")
    for fold_file in fold_files:
        fold = fold_file.name.replace("_data.txt", "")
        with open(fold_file, newline="", encoding="utf-8", errors="replace") as stream:
            reader = csv.DictReader(stream, delimiter="\t")
            required = {"user_id", "original_image", "face_id", "age", "gender"}
            if not required <= set(reader.fieldnames or ()):
                raise EdgeError(f"{fold_file} lacks columns {sorted(required - set(reader.fieldnames or ()))}")
            for line_number, row in enumerate(reader, start=2):
                where = f"{fold_file.name}:{line_number}"
                if row["user_id"] == "user_id":  # a repeated header inside the file
                    skipped.add("repeated header row", where)
                    continue
                image = image_dir / row["user_id"] / f"{prefix}.{row['face_id']}.{row['original_image']}"
                if not image.is_file():
                    skipped.add("image not present", where)
                    continue
                if image in seen:  # the original fold files list some faces twice
                    skipped.add("duplicate row (image already listed)", where)
                    continue
                seen.add(image)
                group, years = parse_adience_age(row["age"] or "")
                gender = parse_gender(row["gender"] or "")
                if group is None and gender is None:
                    skipped.add("no age and no gender label", where)
                    continue
                records.append(FaceRecord(str(image), years, gender, fold, row["user_id"], group))
    return Dataset("adience", root, records, skipped, pre_aligned=True)


def _csv_columns(csv_path: Path, fieldnames) -> dict[str, str]:
    """Map our fields to the manifest's header names; EdgeError naming what is missing."""
    header = {(name or "").strip().lower(): name for name in fieldnames or ()}
    found = {}
    for field_name, aliases in CSV_COLUMNS.items():
        match = next((header[a] for a in aliases if a in header), None)
        if match is not None:
            found[field_name] = match
    if "path" not in found:
        raise EdgeError(f"{csv_path} has no image-path column: name it one of {', '.join(CSV_COLUMNS['path'])} "
                        f"(header found: {', '.join(h for h in header if h) or 'none'})")
    if "age" not in found and "gender" not in found:
        raise EdgeError(f"{csv_path} has no label column: add an age column ({', '.join(CSV_COLUMNS['age'])}) "
                        f"and/or a gender column ({', '.join(CSV_COLUMNS['gender'])})")
    return found


def _parse_csv_age(text: str) -> tuple[float | None, int | None, str | None]:
    """(years, adience8 group, skip reason) for an age cell: years 0..120 or a range like (25, 32)."""
    try:
        years = float(text)
    except ValueError:
        group, years = parse_adience_age(text)
        if group is None:
            return None, None, "bad age value (want years 0..120 or a range like (25, 32))"
        return years, group, None
    if years != years or not plausible_age(years):  # NaN or outside 0..120
        return None, None, AGE_OUT_OF_RANGE
    return years, None, None


DUPLICATE_IMAGE = "duplicate image (same bytes as one already listed)"
CONFLICTING_LABELS = "conflicting labels for one image (listed with different labels)"


def content_key(path: str | os.PathLike) -> str:
    """The identity of an image: a hash of its bytes (the same face through any path, copy or link).

    An unreadable file keys on its resolved path; decoding reports it later.
    """
    import hashlib

    try:
        with open(path, "rb") as stream:
            return hashlib.file_digest(stream, "sha1").hexdigest()  # streamed: a huge stray file is not read whole
    except OSError:
        return os.path.realpath(path)


def merge_copies(listed: list[tuple[str, FaceRecord]], skipped: SkipLog,
                 duplicate_reason: str = DUPLICATE_IMAGE) -> list[FaceRecord]:
    """One record per image: rows whose files hold the same bytes are one image.

    ``listed`` is (where, record) in priority order. Copies whose labels agree are merged into the
    first (counted as duplicates); copies with different labels are all dropped (counted as
    conflicting), so no image sits on both sides of a split or trains with two labels.
    """
    groups: dict[str, list[tuple[str, FaceRecord]]] = {}
    for entry in listed:
        groups.setdefault(content_key(entry[1].path), []).append(entry)
    records = []
    for copies in groups.values():
        if len({(r.age_years, r.gender, r.adience_group) for _, r in copies}) > 1:
            for where, _ in copies:
                skipped.add(CONFLICTING_LABELS, where)
            continue
        records.append(copies[0][1])
        for where, _ in copies[1:]:
            skipped.add(duplicate_reason, where)
    return records


def load_csv(csv_path: Path) -> Dataset:
    """A manifest with an image-path column and age and/or gender columns (common names accepted).

    Paths are relative to the CSV. Bad rows are counted. One image is one record: rows naming the
    same file (by resolved path, or by identical bytes) are merged when their labels agree and
    all dropped as "conflicting labels" when they do not, so no image can sit on both sides of a
    split or be trained on with two labels.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise EdgeError(f"CSV manifest not found: {csv_path}")
    skipped = SkipLog()
    listed: list[tuple[str, FaceRecord]] = []
    with open(csv_path, newline="", encoding="utf-8-sig", errors="replace") as stream:
        reader = csv.DictReader(stream)
        columns = _csv_columns(csv_path, reader.fieldnames)
        for line_number, raw_row in enumerate(reader, start=2):
            row = {field_name: (raw_row.get(name) or "").strip() for field_name, name in columns.items()}
            extra = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items() if isinstance(v, str)}
            where = f"{csv_path.name}:{line_number}"
            if not row.get("path"):
                skipped.add("row without a path", where)
                continue
            age_years, group, reason = _parse_csv_age(row["age"]) if row.get("age") else (None, None, None)
            if reason:
                skipped.add(reason, where)
                continue
            gender_text = row.get("gender", "")
            gender = parse_gender(gender_text) if gender_text else None
            if gender_text and gender is None:
                skipped.add("bad gender value (want 0/1, m/f or male/female)", where)
                continue
            if age_years is None and gender is None:
                skipped.add("no age and no gender label", where)
                continue
            image = (csv_path.parent / row["path"]).resolve()
            if not image.is_file():
                skipped.add("image not present", where)
                continue
            attributes = tuple((name, extra[name]) for name in CSV_GROUP_COLUMNS if extra.get(name))
            record = FaceRecord(str(image), age_years, gender, extra.get("fold", ""), extra.get("subject", ""), group,
                                attributes)
            listed.append((where, record))
    records = merge_copies(listed, skipped, duplicate_reason="duplicate row (image already listed)")
    return Dataset("csv", csv_path, records, skipped, pre_aligned=True)
