"""Two bodies (正文) compared character by character, for the revisions view and the marked body."""

from __future__ import annotations

import difflib


def compare(old: str, new: str) -> list[tuple[str, str]]:
    """Two bodies compared character by character: [(op, text)] with op equal/insert/delete,
    in reading order (a replaced run shows its deletion before its insertion)."""
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old or "", b=new or "", autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(("equal", old[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", old[i1:i2]))
        if tag in ("insert", "replace"):
            out.append(("insert", new[j1:j2]))
    return out
