"""Replay a corpus of hostile and broken files through ingestion; print what happened to each.

Usage:
    python -m eval.attack [--work DIR] [--out eval/reports] [--keep]

Builds ~25 kinds of bad input in a scratch folder (zip bombs, a 500 MB-inside .docx,
too many clauses or characters, symbolic links out of the corpus, a link loop, a FIFO,
broken PDFs, binary and mis-encoded text…), runs ``rag ingest`` on it in a child process
under ``/usr/bin/time -v`` (peak memory), and prints a table: file → accepted/rejected →
reason. Also times query planning for questions of growing length (it must grow
linearly). Writes ``attack-DATE.json`` and ``.md`` to ``--out``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD = ("KẾT LUẬN\n\nTại Hội nghị ngày 11/10/2024, Ban Chấp hành đã thống nhất.\n\n"
        "1. Tăng cường chống khai thác hải sản bất hợp pháp.\n")


def _docx_parts() -> dict[str, bytes]:
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {i.filename: archive.read(i.filename) for i in archive.infolist()}


def _write_docx(path: Path, body_chunks, repeat: int = 1) -> None:
    """A .docx whose document.xml is the Word header, ``body_chunks`` × ``repeat``, the footer."""
    parts = _docx_parts()
    head = parts.pop("word/document.xml").decode().split("<w:body>")[0] + "<w:body>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
        with out.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(head.encode())
            for _ in range(repeat):
                for chunk in body_chunks:
                    xml.write(chunk)
            xml.write(b"</w:body></w:document>")


def _pdf(path: Path, *, password: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def make_bad_corpus(folder: Path) -> list[str]:
    """Write the bad-input corpus into ``folder`` (created); returns the entry names."""
    folder.mkdir(parents=True, exist_ok=True)
    para = "<w:p><w:r><w:t>1. Nội dung lặp lại của văn bản.</w:t></w:r></w:p>".encode()
    _write_docx(folder / "zip-bomb-ratio.docx", [para], repeat=300_000)  # ~16 MB XML in ~60 KB
    _write_docx(folder / "zip-bomb-500mb.docx", [para * 10_000], repeat=1_000)  # ~530 MB inside
    rng = random.Random(7)
    words = "đảng ủy nghị quyết kinh tế xã hội quốc phòng an ninh cán bộ chi bộ đảng viên".split()
    lines = [f"<w:p><w:r><w:t>{i}. {' '.join(rng.choices(words, k=14))}</w:t></w:r></w:p>".encode()
             for i in range(20_000)]
    _write_docx(folder / "xml-47mb-low-ratio.docx", lines, repeat=20)  # 47 MB of XML, ratio < 100
    _write_docx(folder / "xml-21mb-6m-chars.docx", lines, repeat=9)  # under the XML limit: parsed, then
    _write_docx(folder / "xml-2mb-5k-clauses.docx", lines[:5000])  # refused for its characters; this is read
    with zipfile.ZipFile(folder / "many-parts.docx", "w") as archive:
        for i in range(6_000):
            archive.writestr(f"word/media/p{i}.xml", "<x/>")
    (folder / "not-a-zip.docx").write_text("Đây không phải tệp Word", "utf-8")
    (folder / "truncated.docx").write_bytes((folder / "zip-bomb-ratio.docx").read_bytes()[:2000])
    (folder / "clauses-25k.txt").write_text(GOOD + "".join(f"\n{i}. Mục {i}.\n" for i in range(2, 25_002)),
                                            "utf-8")
    (folder / "chars-6m.txt").write_text(GOOD + ("Nội dung dài không xuống dòng. " * 200_000), "utf-8")
    with open(folder / "oversize-51mb.txt", "wb") as handle:
        handle.truncate(51 * 1024 * 1024)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "random-bytes.txt").write_bytes(os.urandom(8192))
    (folder / "latin1.txt").write_bytes("Nghị quyết".encode("cp1258", errors="replace") + b"\xff\xfe\xe9")
    (folder / "utf16-no-bom.txt").write_bytes(GOOD.encode("utf-16-le"))
    (folder / "nul-bytes.md").write_bytes(b"# Ngh\x00\x00\x00" * 100)
    (folder / "control-chars.txt").write_bytes(bytes(range(1, 9)) * 200)
    _pdf(folder / "scanned.pdf")
    _pdf(folder / "encrypted.pdf", password="mật-khẩu")
    (folder / "truncated.pdf").write_bytes(_pdf(folder / "tmp.pdf")[:300])
    (folder / "tmp.pdf").unlink()
    (folder / "program.exe").write_bytes(b"MZ" + os.urandom(100))
    (folder / "hostile-markup.txt").write_text(
        GOOD + "\n2. <img src=x onerror=alert(1)> [bấm](javascript:alert(1)) <script>alert(2)</script>\n",
        "utf-8")
    (folder / "good.txt").write_text(GOOD, "utf-8")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc")
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "fifo.txt")
    return sorted(os.listdir(folder))


def run_ingest(folder: Path, report: Path) -> dict:
    """``rag ingest`` on ``folder`` in a child process; exit code, seconds, peak RSS and the report."""
    command = [sys.executable, "-m", "rag", "ingest", str(folder), "--report", str(report), "--json"]
    timer = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    result = subprocess.run(timer + command, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    seconds = time.perf_counter() - start
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return {"exit_code": result.returncode, "seconds": round(seconds, 1),
            "peak_rss_mb": round(int(peak.group(1)) / 1024, 1) if peak else None,
            "report": json.loads(report.read_text("utf-8")) if report.exists() else None,
            "stderr_tail": result.stderr[-2000:] if result.returncode not in (0, 3) else ""}


def planning_scaling() -> list[dict]:
    """Query planning time for questions of growing length (the app refuses over 2,000 chars)."""
    from rag.search.glossary import load_glossary, load_lexicon

    glossary, lexicon = load_glossary(), load_lexicon()
    base = "which tasks concern illegal fishing IUU and the OCOP programme of Đức Phổ "
    rows = []
    for chars in (500, 1000, 2000, 4000, 8000, 16000):
        text = (base * (chars // len(base) + 1))[:chars]
        start = time.perf_counter()
        lexicon.expand(glossary.expand(text))
        rows.append({"chars": chars, "ms": round((time.perf_counter() - start) * 1000, 2)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None,
                        help="Scratch folder for the bad files (default: a new temp folder, removed after).")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports",
                        help="Where attack-DATE.json and .md are written (default: eval/reports).")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch folder.")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="rag-attack-"))
    try:
        names = make_bad_corpus(work / "corpus")
        run = run_ingest(work / "corpus", work / "report.json")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report = run.pop("report") or {"documents": [], "rejections": []}
    outcome = {d["source"]: ("accepted", f"{d.get('clause_count', '?')} clauses")
               for d in report["documents"]}
    outcome.update({r["source"]: ("rejected", r["reason"]) for r in report["rejections"]})
    rows = [{"file": n, "outcome": outcome.get(n, ("missing", "not reported"))[0],
             "reason": outcome.get(n, ("", "not reported"))[1]} for n in names]
    result = {"date": time.strftime("%Y-%m-%d"), "kinds": len(rows), **run, "files": rows,
              "planning": planning_scaling()}
    lines = [f"# Bad-input replay ({result['date']})", "",
             f"{len(rows)} entries; `rag ingest` exit code {run['exit_code']}, {run['seconds']} s, "
             f"peak RSS {run['peak_rss_mb']} MB (/usr/bin/time -v).", "",
             "| file | outcome | reason |", "|---|---|---|"]
    lines += [f"| {r['file']} | {r['outcome']} | {r['reason'].replace('|', '/')} |" for r in rows]
    lines += ["", "Query planning (glossary + English lexicon expansion) by question length:", "",
              "| chars | ms |", "|---|---|"] + [f"| {p['chars']} | {p['ms']} |" for p in result["planning"]]
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    (args.out / f"attack-{result['date']}.json").write_text(payload, "utf-8")
    (args.out / f"attack-{result['date']}.md").write_text(text, "utf-8")
    sys.stdout.write(text)
    return 0 if all(r["outcome"] != "missing" for r in rows) and run["exit_code"] in (0, 3) else 1


if __name__ == "__main__":
    sys.exit(main())
