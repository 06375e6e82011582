"""Which files make a corpus: a safe folder walk, mounted folders and metadata overrides.

A corpus is a root folder plus optional *mounts*: other folders whose files are indexed
under a prefix of their own (the web app mounts its data directory's ``uploads/`` as
``uploads/…``, so users' files never live in the source tree). The walk

* skips hidden entries, ``metadata.csv`` and ``*.meta.json`` sidecars (they are read as
  metadata overrides, see :meth:`Corpus.scan`);
* follows a symbolic link only when it resolves inside the corpus root, a mount, or a
  folder the caller lists in ``link_roots``; a link that leads elsewhere (``passwd.txt ->
  /etc/passwd``), a dangling link, a link loop, a FIFO, a socket or a device is
  *rejected with its reason*, never opened and never silently skipped.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..records import Rejection

SKIP_NAMES = {"metadata.csv"}
SIDECAR = ".meta.json"


@dataclass(frozen=True)
class CorpusFile:
    """One document file: its id (path relative to the corpus, with the mount prefix) and location."""

    doc_id: str
    path: Path


@dataclass
class Scan:
    """The outcome of walking a corpus: files in id order, rejected entries, overrides by id."""

    files: list[CorpusFile] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    overrides: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class Corpus:
    """A corpus root, folders mounted into it under a prefix, and where links may lead.

    Attributes:
        root: The corpus folder.
        mounts: ``(prefix, folder)`` pairs; ``folder/a.txt`` gets the id ``prefix/a.txt``.
        link_roots: Extra folders that symbolic links may lead into (none by default).
        metadata_file: A JSON file ``{doc_id: {field: value}}`` of metadata corrections kept
            outside the corpus (the web app's, in its data directory); it overrides sidecars.
    """

    root: Path
    mounts: tuple[tuple[str, Path], ...] = ()
    link_roots: tuple[Path, ...] = ()
    metadata_file: Path | None = None

    @classmethod
    def of(cls, corpus: str | Path | Corpus, mounts: Mapping[str, Path] | None = None,
           link_roots: Iterable[str | Path] = (), metadata_file: str | Path | None = None) -> Corpus:
        """``corpus`` itself when it is a :class:`Corpus`, else a new one over that folder."""
        if isinstance(corpus, Corpus):
            return corpus
        for prefix in mounts or {}:
            if not prefix or "/" in prefix or prefix.startswith("."):
                raise ValueError(f"a mount prefix is one plain folder name, not {prefix!r}")
        return cls(Path(corpus).resolve(), tuple((p, Path(f).resolve()) for p, f in (mounts or {}).items()),
                   tuple(Path(r).resolve() for r in link_roots),
                   Path(metadata_file).resolve() if metadata_file else None)

    def describe(self) -> dict:
        """JSON-ready description, kept in an index's ``meta.json``."""
        data = {"root": str(self.root), "mounts": {p: str(f) for p, f in self.mounts},
                "link_roots": [str(r) for r in self.link_roots]}
        if self.metadata_file:
            data["metadata_file"] = str(self.metadata_file)
        return data

    @classmethod
    def from_description(cls, data: dict | str) -> Corpus:
        """Inverse of :meth:`describe` (a plain string is an old index's corpus folder)."""
        if isinstance(data, str):
            return cls.of(data)
        return cls.of(data["root"], {p: Path(f) for p, f in data.get("mounts", {}).items()},
                      data.get("link_roots", ()), data.get("metadata_file"))

    def scan(self) -> Scan:
        """Walk the root and the mounts.

        Raises:
            FileNotFoundError: When the root is not a folder (a missing mount is empty).
        """
        if not self.root.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {self.root}")
        scan = Scan()
        mounted = {prefix for prefix, _ in self.mounts}
        sources = [("", self.root)] + [(p, f) for p, f in self.mounts if f.is_dir()]
        allowed = tuple(os.path.realpath(r) for r in [f for _, f in sources] + list(self.link_roots))
        for prefix, folder in sources:
            names: dict[str, list[str]] = {}
            for rel, path, reason in _walk(folder, allowed):
                doc_id = f"{prefix}/{rel}" if prefix else rel
                if not prefix and rel.split("/", 1)[0] in mounted:
                    reason = (f"hidden by the mounted folder {rel.split('/', 1)[0]}/ "
                              f"({dict(self.mounts)[rel.split('/', 1)[0]]}); move the file there")
                if reason:
                    scan.rejections.append(Rejection(doc_id, reason))
                    continue
                parent, _, name = rel.rpartition("/")
                names.setdefault(parent, []).append(name)
                if name not in SKIP_NAMES and not name.endswith(SIDECAR):
                    scan.files.append(CorpusFile(doc_id, path))
            scan.overrides.update(_overrides(folder, prefix, names))
        for doc_id, fields in read_metadata_file(self.metadata_file).items():
            scan.overrides.setdefault(doc_id, {}).update(fields)
        scan.files.sort(key=lambda f: f.doc_id)
        return scan


def read_metadata_file(path: Path | None) -> dict[str, dict]:
    """``{doc_id: {field: value}}`` from a metadata corrections file ({} when absent or empty)."""
    if path is None or not Path(path).is_file():
        return {}
    data = json.loads(Path(path).read_text(encoding="utf-8") or "{}")
    return {str(k): {f: str(v) for f, v in fields.items() if v not in (None, "")}
            for k, fields in data.items() if isinstance(fields, dict)}


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _special(mode: int) -> str | None:
    for test, kind in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return f"not a regular file: {kind}"
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "not a regular file"


def _walk(root: Path, allowed: tuple[str, ...]) -> Iterator[tuple[str, Path, str | None]]:
    """``(relative path, path, rejection reason or None)`` for every non-hidden file under ``root``."""
    seen = {os.path.realpath(root)}
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            yield rel or ".", folder, f"folder cannot be read: {exc.strerror or exc}"
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name, path = f"{rel}/{entry.name}" if rel else entry.name, Path(entry.path)
            try:
                mode = os.stat(entry.path).st_mode  # follows links
            except FileNotFoundError:
                target = os.readlink(entry.path)
                yield name, path, f"dangling symbolic link (its target {target} does not exist)"
                continue
            except OSError as exc:  # ELOOP: a link pointing at itself, directly or not
                yield name, path, f"symbolic link loop: {exc.strerror or exc}"
                continue
            real = os.path.realpath(entry.path)
            if entry.is_symlink() and not _inside(real, allowed):
                yield name, path, f"symbolic link to {real}, outside the corpus: not followed"
                continue
            if stat.S_ISDIR(mode):
                if real in seen:
                    yield name, path, f"symbolic link loop: {real} is already part of the corpus"
                    continue
                seen.add(real)
                stack.append((path, name))
                continue
            reason = _special(mode)
            yield name, path, reason


def _overrides(root: Path, prefix: str, names: dict[str, list[str]]) -> dict[str, dict]:
    """Metadata overrides by document id from ``metadata.csv`` (root only) and sidecars."""
    table: dict[str, dict] = {}

    def key(rel: str) -> str:
        return f"{prefix}/{rel}" if prefix else rel

    csv_path = root / "metadata.csv"
    if "metadata.csv" in names.get("", []):
        with open(csv_path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                name = (row.pop("file", "") or "").strip()
                if name:
                    table[key(name)] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
    for parent, files in names.items():
        for name in files:
            if not name.endswith(SIDECAR):
                continue
            rel = f"{parent}/{name}" if parent else name
            data = json.loads((root / rel).read_text(encoding="utf-8"))
            target = name[: -len(SIDECAR)]
            for candidate in files:
                if candidate != name and (candidate == target or Path(candidate).stem == target):
                    table.setdefault(key(f"{parent}/{candidate}" if parent else candidate), {}).update(data)
    return table
