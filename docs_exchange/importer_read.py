"""Reading what the importer takes: a file's bytes, a text file's encoding, a DOCX body's lines.

Every failure is a ValidationError that says what to do: a missing path, a folder, an
old binary Word file (.doc, or a DOCX with an opening password, both OLE2 containers),
a text file in no encoding we know, a damaged DOCX or a damaged table in one.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from oa_client.domain.archives import check_archive, check_file_size
from oa_client.errors import ValidationError
from oa_client.i18n import _

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of Word 97–2003 (and of encrypted OOXML)
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted DOCX keeps its package in
_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls but tab and the line breaks str.splitlines knows (\n \v \f \r \x1c–\x1e), DEL,
# zero-width characters, byte order marks, noncharacters and lone surrogates
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f\u200b-\u200d\u2060\ufeff\ufffe\uffff\ud800-\udfff]")


def read_file(path: Path) -> bytes:
    """The bytes of the file to import; a missing path, a folder or an unreadable file is refused."""
    try:
        if not path.exists():
            raise ValidationError(_("文件不存在：{path}").format(path=path), field="file")
        if not path.is_file():
            raise ValidationError(
                _("不是文件：{path}，请选择要导入的 .txt 或 .docx 文件").format(path=path), field="file"
            )
        check_file_size(path.stat().st_size, kind="DOCX" if path.suffix.lower() == ".docx" else "TXT")
        return path.read_bytes()
    except (OSError, ValueError) as exc:  # no permission, a NUL in the name …
        raise ValidationError(
            _("无法读取文件：{path}").format(path=path), field="file", reason=str(exc)
        ) from None


def refuse_binary_word(data: bytes) -> None:
    """Refuse an old binary Word file (.doc) or a password-protected DOCX, each with its own message."""
    if not data.startswith(_OLE2):
        return
    if _ENCRYPTED in data:
        raise ValidationError(
            _("该 Word 文件设有打开密码，请在 Word 或 WPS 中取消密码并另存为 .docx 后再导入"), field="file"
        )
    raise ValidationError(
        _("不支持旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后再导入"), field="file"
    )


def decode_text(data: bytes) -> str:
    """A text file's text: UTF-16/UTF-32 by their byte order mark, else UTF-8 or GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("无法识别文本文件的编码，请另存为 UTF-8 后再导入"), field="file")


def strip_invisible(text: str) -> str:
    """`text` without control characters, zero-width characters, BOMs and lone surrogates."""
    return _INVISIBLE.sub("", text)


def docx_lines(data: bytes, *, keep_together: Callable[[list[str], bool], bool]) -> list[str]:
    """The lines of a DOCX body in document order: each paragraph split at its soft line breaks
    (unless `keep_together(pieces, centred)` says they wrap one title), each table row as
    “cell | cell”."""
    from docx import table as docx_table

    document = _open_docx(data)
    lines: list[str] = []
    tables = 0
    try:
        for block in document.iter_inner_content():
            if isinstance(block, docx_table.Table):
                tables += 1
                lines.extend(_table_lines(block, tables))
            else:
                lines.extend(_paragraph_lines(block, keep_together))
    except ValidationError:
        raise
    except Exception as exc:  # python-docx meets XML it cannot read: a damaged document
        raise _damaged(exc) from None
    return lines


def _damaged(exc: Exception) -> ValidationError:
    return ValidationError(
        _("无法读取 DOCX 文件：文件已损坏或不是 Word 文档"), field="file", reason=str(exc)
    )


def _open_docx(data: bytes) -> Document:
    import docx

    check_file_size(len(data), kind="DOCX")
    refuse_binary_word(data)
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _damaged(exc) from None
    with package:
        check_archive(package, kind="DOCX")  # before python-docx unpacks anything
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # a missing part, lxml syntax errors and friends from a damaged package
        raise _damaged(exc) from None


def _paragraph_lines(paragraph: Paragraph, keep_together: Callable[[list[str], bool], bool]) -> list[str]:
    pieces = paragraph.text.split("\n")  # python-docx writes a soft line break (w:br) as "\n"
    if len(pieces) > 1 and keep_together(pieces, _centred(paragraph)):
        return ["".join(pieces)]
    return pieces


def _centred(paragraph: Paragraph) -> bool:
    """Centred by the paragraph's own w:jc (read as text: an unknown value is no error here)."""
    return paragraph._p.xpath("string(w:pPr/w:jc/@w:val)") == "center"


def _table_lines(table: Table, number: int) -> list[str]:
    try:
        return [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
    except Exception as exc:  # a w:vMerge with no cell above, a w:gridSpan that is no number …
        raise ValidationError(
            _("无法读取 DOCX 文件中的第 {n} 个表格：表格结构已损坏，请在 Word 或 WPS 中打开并另存后再导入").format(
                n=number
            ),
            field="file", reason=str(exc),
        ) from None
