"""Benchmarks: `python -m bench <suite> [--quick] [--json]`; each suite is a module `bench.<suite>`.

A suite module exposes `run(quick: bool) -> dict`, measures against a baseline
in the same run, and returns its metrics; this runner prints them as JSON last.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path


def _suites() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_")
    )


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark suite and print its metrics (JSON last)."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=_suites())
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI and smoke runs")
    parser.add_argument("--json", action="store_true", help="print only the JSON metrics")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"bench.{args.suite}")
    metrics = module.run(quick=args.quick, verbose=not args.json)
    if "bench.corpus" in sys.modules:  # the text it measured on: runs on other text are no pair
        metrics.setdefault("corpus", sys.modules["bench.corpus"].source())
    print(json.dumps(metrics, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
