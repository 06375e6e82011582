r"""Readers for the archive's other formats: old Word ``.doc``, ``.rtf``, ``.odt`` and saved web pages.

Each returns the document's text, paragraphs separated by a blank line (as the ``.docx``
reader gives them: a single line break is a hard wrap to :mod:`rag.ingest.layout`), or raises
:class:`~rag.ingest.reading.ReadError` with a reason a person can act on:

* ``.doc`` (Word 97–2003) through Debian's ``antiword`` (UTF-8 output), else ``catdoc``;
  without either, the reason names the package to install;
* ``.rtf`` through ``striprtf`` (``\uN`` escapes and code-page bytes, cp1258 by default:
  Vietnamese Windows);
* ``.odt`` from its ``content.xml`` (paragraphs, headings, list items, spaces and tabs),
  after the same ZIP checks as ``.docx``;
* ``.html``/``.htm`` through ``trafilatura``, which keeps the article and drops the page
  furniture (menus, headers, footers, share links).
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from ..limits import Limits

DOC_TIMEOUT = 60  # seconds antiword or catdoc may take on one file
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file signature every Word 97-2003 file opens with
# A saved page whose article has less text than this is a menu or an index page, not a document.
MIN_ARTICLE_CHARS = 100
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _error(message: str):
    from .reading import ReadError

    return ReadError(message)


def read_doc(path: Path) -> str:
    """Text of a Word 97–2003 ``.doc`` file (antiword, else catdoc).

    Raises:
        ReadError: Neither tool is installed, or the file is not a readable ``.doc``.
    """
    with open(path, "rb") as fh:
        if fh.read(len(OLE2)) != OLE2:
            raise _error("not a readable Word 97-2003 .doc (no OLE2 compound-file header)")
    commands = []
    if shutil.which("antiword"):
        commands.append(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)])
    if shutil.which("catdoc"):
        commands.append(["catdoc", "-d", "utf-8", "-w", str(path)])
    if not commands:
        raise _error("reading .doc needs antiword or catdoc (Debian: apt install antiword catdoc)")
    reasons = []
    for command in commands:
        try:
            done = subprocess.run(command, capture_output=True, timeout=DOC_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            reasons.append(f"{command[0]}: no result within {DOC_TIMEOUT} s")
            continue
        text = done.stdout.decode("utf-8", errors="replace")
        if done.returncode == 0 and text.strip():
            return text
        reason = done.stderr.decode("utf-8", "replace").strip()[:200] or "no text"
        reasons.append(f"{command[0]}: {reason}")
        if "not a Word Document" in reason:
            break  # catdoc would print the bytes of a file antiword knows is no Word file
    raise _error(f"not a readable Word 97-2003 .doc ({'; '.join(reasons)})")


def read_rtf(path: Path) -> str:
    """Text of an ``.rtf`` file.

    Raises:
        ReadError: Not RTF.
    """
    from striprtf.striprtf import rtf_to_text

    data = path.read_bytes()
    if not data.lstrip().startswith(b"{\\rtf"):
        raise _error("not an RTF file (it does not start with {\\rtf)")
    # RTF is 7-bit: code-page bytes arrive as \'xx escapes, which striprtf decodes itself.
    return paragraphs(rtf_to_text(data.decode("latin-1"), encoding="cp1258", errors="replace"))


def read_odt(path: Path, limits: Limits) -> str:
    """Text of an OpenDocument text file, one paragraph, heading or list item per line.

    Raises:
        ReadError: A bad or oversized ZIP container, or no ``content.xml``.
    """
    from .reading import check_zip

    check_zip(path, limits)
    try:
        with zipfile.ZipFile(path) as archive:
            content = archive.read("content.xml")
    except KeyError:
        raise _error("corrupt ODT: no content.xml") from None
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise _error(f"corrupt ODT: {exc}") from exc
    lines = []
    for element in root.iter():
        # Footnotes' paragraphs come after their paragraph, on lines of their own.
        if element.tag in (f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h"):
            lines.append(_odt_text(element))
    return "\n\n".join(lines)


def _odt_text(element) -> str:
    """A paragraph's text: ``text:s`` is that many spaces, ``text:tab`` a tab, a line break a space."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "s":
            parts.append(" " * int(child.get(f"{{{_TEXT_NS}}}c", "1")))
        elif tag == "tab":
            parts.append("\t")
        elif tag == "line-break":
            parts.append(" ")
        elif tag not in ("note", "annotation"):
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def read_html(path: Path, decode) -> str:
    """The article of a saved web page, without its furniture.

    Args:
        path: The ``.html``/``.htm`` file.
        decode: The text decoder of :mod:`rag.ingest.reading` (BOMs, UTF-8, cp1258…).

    Raises:
        ReadError: No article text found.
    """
    import trafilatura

    html = decode(path.read_bytes())
    text = trafilatura.extract(html, output_format="txt", include_tables=True, include_comments=False,
                               include_links=False, include_images=False, favor_recall=True,
                               deduplicate=False, with_metadata=False)
    if not text or len(text.strip()) < MIN_ARTICLE_CHARS:
        chars = len((text or "").strip())
        raise _error(f"no article text found in the web page (only {chars} characters outside its menus)")
    return paragraphs(text)


def paragraphs(text: str) -> str:
    """One paragraph per line → paragraphs separated by a blank line."""
    return "\n\n".join(line for line in text.splitlines() if line.strip())
