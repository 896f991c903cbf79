"""Compile the gettext catalogs (.po → .mo) under resources/translations: build output made by
set-up (scripts/bootstrap.sh), `make translations` and the installer builds, never committed."""

from __future__ import annotations

from pathlib import Path

from oa_client.i18n import TRANSLATIONS_DIR


def compile_catalog(po_path: Path) -> bytes:
    """Return the .mo bytes for one .po catalog (uses Babel, installed from the lock by set-up)."""
    import datetime
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    # Babel stamps "now" into headers the .po lacks: pin them so builds are reproducible.
    fixed = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    catalog.creation_date = fixed
    catalog.revision_date = fixed
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main() -> int:
    """Compile every catalog whose .mo is missing or differs; say how many were written."""
    written = 0
    for po in sorted(TRANSLATIONS_DIR.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        data = compile_catalog(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
            written += 1
    if written:
        print(f"编译翻译目录 {written} 个 / compiled {written} translation catalogs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
