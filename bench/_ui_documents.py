"""公文 screens for the UI benchmark: `open_document_ms` (a document with 30 flow events and
10 attachments in the 100k profile), `open_sealed_document_ms` (a 公文 with its sealed 正式文件:
from opening until the first two pages of the seal's preview are drawn) and
`doc_list_filter_ms` (a filtered 收文 box: first page, and `doc_list_filter_all_ms` for the whole
id list), measured in a child process, offscreen."""

from __future__ import annotations

import sys
from pathlib import Path

from bench._ui_profile import LOGIN, SERVER, child_env, run_child

DOC_EVENTS = 30
DOC_ATTACHMENTS = 10


def _documents_fixture(root: Path, entries: dict[str, str]) -> tuple[str, str]:
    """Add to the profile a 公文 with 30 flow events (送审 / 退回 cycles) and 10 attachments."""
    from oa_client.services import documents as docs
    from oa_client.store.keys import MemoryKeyring
    from oa_client.store.local import open_store
    from ui.shell_session import profile_dir_for

    kr = MemoryKeyring()
    kr.entries.update({tuple(k.split("\x00", 1)): v for k, v in entries.items()})
    store = open_store(profile_dir_for(root / "profiles", SERVER, LOGIN), keyring_backend=kr,
                       server_url=SERVER, username=LOGIN)
    try:
        unit = {"id": "unit-bench", "name": "普宁市人民政府办公室"}
        store.records.write("units", [{**unit, "rev": 1, "doc_code": "普府办"}])
        store.records.write("users", [
            {"id": "u-bench", "rev": 1, "unit_id": unit["id"], "name": "王伟", "roles": ["drafter"]},
            {"id": "u-dir", "rev": 1, "unit_id": unit["id"], "name": "黄建华",
             "roles": ["office_director"]}])
        drafter = {"id": "u-bench", "name": "王伟", "unit": unit}
        director = {"id": "u-dir", "name": "黄建华", "unit": unit}
        doc_id, _ch = docs.compose(store, me=drafter, fields={
            "doc_kind": "通知", "title": "普宁市人民政府办公室关于做好防汛物资储备工作的通知（基准）",
            "body": "各镇人民政府（街道办事处）：\n" + "为切实做好防汛物资储备工作，现就有关事项通知如下。\n" * 40})
        for i in range(DOC_ATTACHMENTS):
            docs.attach_file(store, me=drafter, doc_id=doc_id, name=f"附件{i + 1}.xlsx",
                             data=bytes(range(256)) * (200 + 40 * i))
        docs.act(store, me=drafter, doc_id=doc_id, action="submit", step="draft", opinion="请审核。")
        while len(store.records.list("document_events", where={"document_id": doc_id},
                                     limit=1000)) < DOC_EVENTS:
            docs.act(store, me=director, doc_id=doc_id, action="return", step="review",
                     to_step="draft", opinion="请补充物资清单。")
            docs.act(store, me=drafter, doc_id=doc_id, action="submit", step="draft",
                     opinion="已补充，请审核。")
        return doc_id, _sealed_fixture(store, drafter)
    finally:
        store.close()


def _sealed_fixture(store, drafter: dict) -> str:
    """A 公文 whose 正式文件 came down with it: ~10 pages laid out per GB/T 9704, sealed with a
    time-stamp (as the server's 用印 does) and checked on arrival against the bench's root."""
    from bench.sign import _sample_pdf, make_signers
    from oa_client.services import documents as docs
    from oa_client.services import seals
    from ui.documents.official import seal_verdict

    signers = make_signers()
    pdf, anchor, _how = _sample_pdf(60)
    sealed = signers.long_term_stamp.sign_pdf(pdf, anchor=anchor, stamp_png=signers.seal_png,
                                              reason="用印", location=None, field_name=None,
                                              lock=True)
    doc_id, _ch = docs.compose(store, me=drafter, fields={
        "doc_kind": "通知", "title": "关于做好2026年度政务数据共享工作的通知（正式文件基准）",
        "body": "各镇人民政府，市直各单位：\n" + "现就有关事项通知如下。\n" * 40})
    docs.attach_file(store, me=drafter, doc_id=doc_id, name="正式文件.pdf", data=sealed)
    att_id = store.db.query("SELECT id FROM attachments WHERE owner_id = ?", (doc_id,))[0][0]
    doc = store.records.get("documents", doc_id)
    store.records.write("documents", [{**doc, "sealed_attachment_id": att_id,
                                       "seal_state": "sealed"}])
    seals.check_file(store, attachment_id=att_id,
                     check=lambda data: seal_verdict(data, trust_roots=signers.trust))
    return doc_id


DOC_CHILD = """
import statistics, sys, time
from bench.ui_child import start, until
from ui.qt import QApplication
from ui.documents.page import DocumentsPage
from ui.documents.window import DocumentWindow

child = start(sys.argv[1])
session = child.session

page = DocumentsPage("公文")
page.resize(1280, 800)
page.show()
page.set_session(session, "")
page.tabs.setCurrentIndex(4)  # 收文: two thirds of the profile
got = []
page.first_page.connect(lambda: got.append(1))
until(lambda: got)
filters = [("通知", "防汛"), ("通知", "会议"), ("", "工作"), ("通知", "")]
times, whole = [], []
complete = []
page.loaded.connect(lambda n: complete.append(n))
for kind, text in filters * 2:
    got.clear()
    complete.clear()
    page.kind.blockSignals(True); page.text.blockSignals(True)
    page.kind.setCurrentText(kind) if kind else page.kind.setCurrentIndex(0)
    page.text.setText(text)
    page.kind.blockSignals(False); page.text.blockSignals(False)
    t = time.perf_counter()
    page.reload()
    until(lambda: got)
    times.append((time.perf_counter() - t) * 1000)
    until(lambda: complete)
    whole.append((time.perf_counter() - t) * 1000)
print(f"doc_list_filter_ms {statistics.median(times):.2f}", flush=True)
print(f"doc_list_filter_all_ms {statistics.median(whole):.2f}", flush=True)
print(f"doc_list_rows {page.model.rowCount()}", flush=True)
opens = []
for _ in range(7):
    w = DocumentWindow(session, sys.argv[2])
    w.show()
    done = []
    w.loaded.connect(lambda: done.append(1))
    t = time.perf_counter()
    w.reload()
    until(lambda: done)
    QApplication.processEvents()
    opens.append((time.perf_counter() - t) * 1000)
    assert w.view is not None and len(w.view.timeline) >= 29 and w.attachments.count() == 10, w.problem.text()
    w.close()
    w.deleteLater()
print(f"open_document_ms {statistics.median(opens):.2f}", flush=True)
print(f"open_document_events {len(w.view.timeline) + 1}", flush=True)
sealed = []
for _ in range(7):
    w = DocumentWindow(session, sys.argv[3])
    w.show()
    pages = []
    shown = w.official.set_pages
    w.official.set_pages = lambda pngs, shown=shown: (pages.append(len(pngs)), shown(pngs))
    t = time.perf_counter()
    w.reload()
    until(lambda: any(pages))  # show_file clears the preview first: wait for the drawn pages
    QApplication.processEvents()
    sealed.append((time.perf_counter() - t) * 1000)
    assert max(pages) == 2 and w.view.official is not None and w.view.official.verdict["ok"], pages
    w.close()
    w.deleteLater()
print(f"open_sealed_document_ms {statistics.median(sealed):.2f}", flush=True)
"""


def documents_metrics(root: Path, entries: dict[str, str]) -> dict[str, float]:
    """open_document_ms (30 events, 10 attachments), open_sealed_document_ms (the 正式文件's
    preview drawn) and doc_list_filter_ms on the profile."""
    doc_id, sealed_id = _documents_fixture(root, entries)
    env = child_env(root, entries)
    seen = run_child([sys.executable, "-c", DOC_CHILD, str(root), doc_id, sealed_id], env,
                     ("doc_list_filter_ms", "doc_list_filter_all_ms", "doc_list_rows",
                      "open_document_ms", "open_document_events", "open_sealed_document_ms"))
    return {"open_document_ms": round(seen["open_document_ms"], 1),
            "open_sealed_document_ms": round(seen["open_sealed_document_ms"], 1),
            "doc_list_filter_ms": round(seen["doc_list_filter_ms"], 1),
            "doc_list_filter_all_ms": round(seen["doc_list_filter_all_ms"], 1),
            "open_document_events": int(seen["open_document_events"]),
            "open_document_attachments": DOC_ATTACHMENTS}
