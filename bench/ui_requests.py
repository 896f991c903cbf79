"""Requests screen benchmark (part of `python -m bench ui`): `form_render_ms` — the largest
starter form (most fields) built from its schema, prefilled, checked and laid out offscreen,
median of several builds in a child process (the first build, which loads Qt's styles, is
reported apart as `form_render_first_ms`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 15

CHILD = r"""
import json, os, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from ui.app import make_app
app = make_app([], language="zh_CN")
from ui.qt import QApplication
from oa_client.domain.catalogue import STARTER_CATALOGUE
from oa_client.domain.catalogue_io import load_catalogue
from ui.requests.form_view import FormView
items = load_catalogue(STARTER_CATALOGUE).items
item = max(items, key=lambda i: len(i.form.fields))
values = {"applicant": "王伟", "department": "办公室", "phone": "13800138000", "start_date": "2026-11-23",
          "end_date": "2026-11-26", "transport_fee": "1326.00", "lodging_fee": "380.00"}
times = []
for _ in range(ROUNDS):
    t = time.perf_counter()
    view = FormView(item.form, values, people=[{"id": f"u{i}", "name": f"同事{i}"} for i in range(300)],
                    units=["办公室", "财务科"])
    view.resize(720, 900)
    view.show()
    QApplication.processEvents()
    view.grab()
    times.append((time.perf_counter() - t) * 1000)
    view.close()
    view.deleteLater()
    QApplication.processEvents()
print(json.dumps({"item": item.code, "fields": len(item.form.fields), "times": times}))
""".replace("ROUNDS", str(ROUNDS))


def requests_metrics() -> dict[str, float | int | str]:
    """`form_render_ms` (median after the first build), the first build, and which form."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    times = data["times"]
    return {"form_render_ms": round(statistics.median(times[1:]), 1),
            "form_render_first_ms": round(times[0], 1),
            "form_render_fields": data["fields"], "form_render_item": data["item"]}


if __name__ == "__main__":
    print(requests_metrics())
