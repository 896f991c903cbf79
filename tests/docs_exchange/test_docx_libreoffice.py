"""Our DOCX opened by LibreOffice paginates exactly like our PDF (page count, first line of every page)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from docs_exchange.docx_fonts import fontconfig_aliases
from docs_exchange.docx_writer import render_docx
from docs_exchange.fonts import resolve_fonts
from docs_exchange.importer import import_file
from docs_exchange.linebreak import HANGABLE
from docs_exchange.model import OfficialDocument
from docs_exchange.pdf import render_pdf
from tests.support.closing_pages import (
    NO_BODY_TEXT,
    body_ends_at_page_end,
    long_closing,
    pages_without_body,
)
from tests.support.pdf_pages import body_lines as _lines
from tests.support.pdf_pages import body_rows

pytestmark = pytest.mark.libreoffice
NAMES = ("puning", "huangyan", "huangyan-letter", "huangyan-upward", "page-end", "long-closing")


def _document(fixtures_dir: Path, name: str) -> tuple[OfficialDocument, str | None]:
    """The document called `name` and the format to lay it out in."""
    if name == "page-end":  # the body ends on a page's last row: its last line goes over
        return body_ends_at_page_end(), None
    if name == "long-closing":  # 附件说明 and 署名 longer than a page: 此页无正文
        return long_closing(), None
    base, _sep, variant = name.partition("-")
    doc = import_file(path=fixtures_dir / "documents" / f"{base}-digital-gov-plan.txt").document
    doc = doc.model_copy(update={
        "copy_no": "000123", "secrecy": "内部", "urgency": "特急", "cc_to": "区委办，区人大办",
        "printer": "台州市黄岩区人民政府办公室", "print_date": doc.date,
    }) if variant else doc
    if variant == "upward":
        doc = doc.model_copy(update={"kind": "请示", "signers": ["张三", "李四", "王五"],
                                     "attachments": []})
    return doc, "信函" if variant == "letter" else None


@pytest.fixture(scope="session")
def documents(fixtures_dir: Path) -> dict[str, OfficialDocument]:
    """name → the document converted under that name."""
    return {name: _document(fixtures_dir, name)[0] for name in NAMES}


@pytest.fixture(scope="session")
def converted(fixtures_dir: Path) -> dict[str, tuple[bytes, bytes]]:
    """name → (our PDF, LibreOffice's PDF of our DOCX), converted in one soffice run."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.fail("LibreOffice (soffice) is not installed; it is needed for the DOCX check")
    ours: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="oa-lo-") as tmp:
        work = Path(tmp)
        for name in NAMES:
            doc, fmt = _document(fixtures_dir, name)
            ours[name] = render_pdf(doc, format=fmt).pdf
            (work / f"{name}.docx").write_bytes(render_docx(doc, format=fmt))
        profile = (work / "profile").as_uri()
        # the DOCX names the office fonts; this machine has stand-ins, which LibreOffice is told
        # to use for them (it ignores w:altName) — the ones our PDF was drawn with
        conf = work / "fonts.conf"
        conf.write_text(fontconfig_aliases(resolve_fonts()), encoding="utf-8")
        subprocess.run(
            [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}",
             "--convert-to", "pdf", "--outdir", str(work / "out"),
             *(str(work / f"{n}.docx") for n in NAMES)],
            check=True, capture_output=True, timeout=240,
            env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        )
        return {n: (ours[n], (work / "out" / f"{n}.pdf").read_bytes()) for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_same_page_count(converted, name: str) -> None:
    ours, theirs = converted[name]
    assert len(_lines(ours)) == len(_lines(theirs))


def _same(ours: str, theirs: str) -> bool:
    # LibreOffice does not paint a hanging mark (标点溢出) into its PDF; compare without it
    return ours == theirs or (ours[-1:] in HANGABLE and ours[:-1] == theirs)


@pytest.mark.parametrize("name", NAMES)
def test_same_first_line_on_every_page(converted, name: str) -> None:
    ours, theirs = map(_lines, converted[name])
    firsts = [(i + 1, a[0], b[0]) for i, (a, b) in enumerate(zip(ours, theirs, strict=True))]
    assert len(firsts) > (20 if name in ("puning", "huangyan") else 0)
    assert [f for f in firsts if not _same(f[1], f[2])] == []


@pytest.mark.parametrize("name", NAMES)
def test_same_lines_everywhere(converted, name: str) -> None:
    ours, theirs = map(_lines, converted[name])
    differ = []
    for page, (a, b) in enumerate(zip(ours, theirs, strict=True), 1):
        assert len(a) == len(b), page
        differ.extend((page, x, y) for x, y in zip(a, b, strict=True) if not _same(x, y))
    assert differ == []


@pytest.mark.parametrize("name", NAMES)
def test_every_line_sits_where_ours_does(converted, name: str) -> None:
    ours, theirs = map(body_rows, converted[name])
    off = []
    for page, (a, b) in enumerate(zip(ours, theirs, strict=True), 1):
        for (text, y), (_t, y2) in zip(a, b, strict=True):
            # within about 2 mm (LibreOffice sets a line a little lower in its row); the big red
            # 发文机关标志 within 3.5 mm
            limit = 10.0 if len(text) <= 16 and page == 1 and y > 560 else 6.0
            if abs(y - y2) > limit:
                off.append((page, text, round(y - y2, 1)))
    assert off == []


@pytest.mark.parametrize("name", NAMES)
def test_no_page_holds_the_closing_without_body_text(converted, documents, name: str) -> None:
    ours, theirs = map(_lines, converted[name])
    doc = documents[name]
    assert pages_without_body(ours, doc) == []
    assert pages_without_body(theirs, doc) == []
    said = [i for i, lines in enumerate(theirs) if NO_BODY_TEXT in lines]
    assert said == ([i for i, lines in enumerate(ours) if NO_BODY_TEXT in lines])
    assert bool(said) == (name == "long-closing")
