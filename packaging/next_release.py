"""The newer client build the upgrade test installs over this one (`make test-dist`).

    python packaging/next_release.py --version 0.1.0.1 [--server-url URL] [--compress gzip]

A real next release brings new code and, often, one more step of the client's database
schema, which a profile must take on its first start after the upgrade. This stands in for
it: this checkout is copied to build/next-release/src, one schema step is appended to the
copy's oa_client/store/schema.py (a table recording the version and how many documents the
profile held when the step ran), and the copy is bundled and packed exactly as `make dist`
does it (its own PyInstaller work folder). The .deb lands in build/dist beside the others.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "next-release"
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "__pycache__", "*.egg-info",
                              ".ruff_cache", ".pytest_cache", ".hypothesis", "*.mo")
STEP = '''

# -- next-release stand-in (packaging/next_release.py, for the upgrade test only) ----------
MIGRATIONS.append("""
CREATE TABLE upgrade_check (schema INTEGER PRIMARY KEY, documents INTEGER NOT NULL);
INSERT INTO upgrade_check SELECT {version}, count(*) FROM documents WHERE deleted = 0;
""")
LATEST_VERSION = len(MIGRATIONS)
'''


def source_copy() -> Path:
    """build/next-release/src: this checkout with one more client schema step."""
    sys.path.insert(0, str(ROOT))
    from oa_client.store.schema import LATEST_VERSION

    src = WORK / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(ROOT, src, ignore=SKIP, symlinks=True)
    schema = src / "oa_client" / "store" / "schema.py"
    schema.write_text(schema.read_text(encoding="utf-8") + STEP.format(version=LATEST_VERSION + 1),
                      encoding="utf-8")
    return src


def main(argv: list[str] | None = None) -> int:
    """Build the next-release stand-in's client .deb into build/dist."""
    parser = argparse.ArgumentParser(prog="packaging/next_release.py")
    parser.add_argument("--version", required=True)
    parser.add_argument("--server-url", default="")
    parser.add_argument("--compress", default="xz", choices=("xz", "gzip", "zstd", "none"))
    args = parser.parse_args(argv)
    src = source_copy()
    build = [sys.executable, str(src / "packaging" / "build.py")]
    subprocess.run([*build, "bundle", "--target", "client", "--version", args.version], cwd=src,
                   check=True)
    subprocess.run([*build, "deb", "--target", "client", "--version", args.version,
                    "--server-url", args.server_url, "--compress", args.compress], cwd=src,
                   check=True)
    dist = ROOT / "build" / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    for deb in (src / "build" / "dist").glob("*.deb"):
        shutil.move(deb, dist / deb.name)
        print(f"build/dist/{deb.name}: the next-release stand-in (one more schema step)")
    shutil.rmtree(src / "build" / "deb-root", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
