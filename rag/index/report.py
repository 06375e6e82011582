"""What a build or an update of the index did (printed by ``rag index`` and the app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BuildReport:
    """What a build or update did."""

    index: Path
    version: Path | None = None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    chars_read: int = 0
    read_seconds: float = 0.0
    embed_seconds: float = 0.0
    seconds: float = 0.0
    full_rebuild: bool = False
    reason: str = ""
    cache_hits: int = 0  # passages (clauses and sentences) whose vectors came from the embedding cache
    cache_misses: int = 0  # passages the encoder embedded (and the cache then stored)
    segment_seconds: float = 0.0  # underthesea word segmentation of the new chunks (BM25 tokens)
    write_seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        """True when files were added, changed or deleted (or the index was rebuilt)."""
        return bool(self.added or self.changed or self.deleted or self.full_rebuild)

    def summary(self) -> str:
        """One paragraph for people."""
        head = "Rebuilt" if self.full_rebuild else "Updated"
        if not self.changed_anything:
            head = "Index already up to date"
        lines = [f"{head}: {self.documents} documents, {self.chunks} chunks "
                 f"({self.embedded} embedded) in {self.seconds:.1f} s -> {self.version or self.index}"]
        if self.reason:
            lines.append(f"  full rebuild because {self.reason}")
        if self.cache_hits or self.cache_misses:
            share = self.cache_hits / (self.cache_hits + self.cache_misses)
            lines.append(f"  embedding cache: {self.cache_hits:,} vectors reused, {self.cache_misses:,} "
                         f"embedded ({share:.1%} reused)")
        lines.append(f"  time: read {self.read_seconds:.1f} s, embed {self.embed_seconds:.1f} s, "
                     f"segment {self.segment_seconds:.1f} s, write {self.write_seconds:.1f} s")
        for label, items in (("added", self.added), ("changed", self.changed), ("deleted", self.deleted)):
            if items:
                lines.append(f"  {label} ({len(items)}): " + ", ".join(items[:10])
                             + (" …" if len(items) > 10 else ""))
        if self.unchanged:
            lines.append(f"  unchanged: {len(self.unchanged)} files reused")
        for source, reason in self.rejected:
            lines.append(f"  rejected {source}: {reason}")
        return "\n".join(lines)


STAGES = ("reading", "embedding", "writing", "done")


@dataclass(frozen=True)
class BuildProgress:
    """Where a running build is, for a progress display (``build_index(on_progress=…)``).

    Attributes:
        stage: One of :data:`STAGES`.
        done: Items of this stage finished (files read, clauses embedded).
        total: Items of this stage in all (0 when it has none, e.g. writing).
        stage_seconds: Seconds spent in this stage so far.
    """

    stage: str
    done: int = 0
    total: int = 0
    stage_seconds: float = 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Seconds this stage still needs at its rate so far (``None`` before anything is done)."""
        if not self.done or not self.total:
            return None
        return self.stage_seconds / self.done * (self.total - self.done)
