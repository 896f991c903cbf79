"""What changed in a PDF after a signature's revision: new signature fields, annotations, other updates.

Used to say why a seal that locks the document no longer holds: a civil servant
reads "新增了签名域 Signature3" or "第 1 页新增了 2 个批注", not a diff level.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields

from oa_client.i18n import _

_MAX_PAGES = 5000


def _pages(root: Any) -> list[Any]:
    """The page dictionaries of a catalog, in order (bounded walk of the page tree)."""
    out: list[Any] = []
    stack = [root["/Pages"]]
    seen = 0
    while stack and seen < _MAX_PAGES * 4:
        seen += 1
        node = stack.pop().get_object()
        if node.get("/Type") == "/Page" or "/Kids" not in node:
            out.append(node)
            continue
        stack.extend(reversed(list(node["/Kids"])))
    return out


def _annotation_kinds(root: Any) -> list[Counter[str]]:
    """Per page, how many annotations of each subtype (widgets included)."""
    kinds: list[Counter[str]] = []
    for page in _pages(root):
        counter: Counter[str] = Counter()
        for annot in page.get("/Annots", []) or []:
            try:
                counter[str(annot.get_object().get("/Subtype", "/Unknown")).lstrip("/")] += 1
            except Exception:
                counter["Unknown"] += 1
        kinds.append(counter)
    return kinds


def describe_later_changes(reader: PdfFileReader, signed_revision: int) -> list[str]:
    """Readable findings about every revision after `signed_revision` (empty when there is none)."""
    later = reader.total_revisions - 1 - signed_revision
    if later <= 0:
        return []
    findings: list[str] = []
    try:
        before = reader.get_historical_resolver(signed_revision)
        old_fields = {name for name, *_rest in fields.enumerate_sig_fields(before)}
        new_fields = [
            name for name, *_rest in fields.enumerate_sig_fields(reader) if name not in old_fields
        ]
        if new_fields:
            findings.append(
                _("新增了签名域：{names}").format(names="、".join(sorted(new_fields)))
            )
        old_annots = _annotation_kinds(before.root)
        new_annots = _annotation_kinds(reader.root)
        for index, after in enumerate(new_annots):
            prior = old_annots[index] if index < len(old_annots) else Counter()
            added = {k: n - prior.get(k, 0) for k, n in after.items() if n > prior.get(k, 0)}
            added.pop("Widget", None)  # a new field's widget is reported as the field
            if added:
                findings.append(
                    _("第 {page} 页新增了 {n} 个批注（{kinds}）").format(
                        page=index + 1, n=sum(added.values()), kinds="、".join(sorted(added))
                    )
                )
        if len(new_annots) != len(old_annots):
            findings.append(
                _("页数由 {old} 页变为 {new} 页").format(old=len(old_annots), new=len(new_annots))
            )
    except Exception:
        findings.append(_("文件结构被改动，无法读取改动的内容"))
    findings.append(_("签名之后文件被追加修改了 {n} 次（增量更新）").format(n=later))
    return findings
