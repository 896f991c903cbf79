"""Screens of the 公文 module for `python -m ui.screenshots`, and `Actor`: another demo user
acting through their own client (profile, sync) so a document has a real flow behind it.

Nothing here runs in the normal client; the screenshot run and the UI tests use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oa_client.services import documents as svc

PASSWORD = "Demo@2026"  # noqa: S105 (the published demo password)
SHOT_TITLE = "洪阳镇人民政府关于拨付榕江堤防抢险加固资金的请示"


class Actor:
    """A demo user on their own device: a local profile, the org cache, sync."""

    def __init__(self, server_url: str, root: Path, login: str) -> None:
        from oa_client.store.keys import MemoryKeyring
        from oa_client.store.local import open_store
        from sync.engine import SyncEngine
        from sync.org import fetch_org
        from sync.transport import MemoryTokenStore, Transport

        self.login = login
        self.store = open_store(root / f"actor-{login}", keyring_backend=MemoryKeyring(),
                                server_url=server_url, username=login)
        self.transport = Transport(server_url, device_id=self.store.device_id(),
                                   tokens=MemoryTokenStore())
        self.transport.login(login, PASSWORD)
        self.engine = SyncEngine(self.store, self.transport)
        fetch_org(self.store, self.transport)
        self.me: dict[str, Any] = dict(self.transport.user or {})
        self.engine.sync()

    @property
    def user_id(self) -> str:
        """This user's id."""
        return str(self.me.get("id") or "")

    def unit_id(self, name: str) -> str:
        """A unit's id by name from the org cache."""
        return next(u["id"] for u in self.store.records.list("units", limit=1000)
                    if u.get("name") == name)

    def sync(self):
        """Push and pull once."""
        return self.engine.sync()

    def act(self, doc_id: str, action: str, step: str | None, **kwargs: Any):
        """Pull, take an action through the documents service, push."""
        self.engine.sync()
        svc.act(self.store, me=self.me, doc_id=doc_id, action=action, step=step, **kwargs)
        return self.engine.sync()

    def close(self) -> None:
        """Close the profile."""
        self.store.close()


def wave(n: int = 40, *, x0: float = 30, y0: float = 90, width: float = 300) -> dict:
    """A plausible signature as stored strokes (for the timeline in screenshots and tests)."""
    pts = [[x0 + width * i / n, y0 + 22 * math.sin(i / 3.0) - 10 * math.cos(i / 1.7), 0.5, i * 12]
           for i in range(n)]
    tail = [[x0 + width * 0.6 + 6 * i, y0 + 30 - 3 * i, 0.7, i * 12] for i in range(12)]
    return {"format": 1, "width": 420, "height": 180,
            "strokes": [{"device": "pen", "points": pts}, {"device": "pen", "points": tail}]}


def signature(strokes: dict | None = None) -> dict:
    """A {strokes, png} signature as the pad produces it."""
    import json

    from ui.documents.signature_pad import image_png, render_strokes

    strokes = strokes or wave()
    return {"strokes": json.dumps(strokes), "png": image_png(render_strokes(strokes, 120))}


def issue_document(server_url: str, root: Path, *, title: str = SHOT_TITLE,
                   attachments: int = 2, stop_after: str = "dispatch", receive: bool = True,
                   actors: dict[str, Actor] | None = None,
                   issuer_name: str | None = "洪阳镇人民政府") -> tuple[str, dict[str, Actor]]:
    """A 请示 of 洪阳镇 drafted by the clerk 黄晓梅 and taken through 核稿 → 签发 (镇长) → 复核 →
    编号 → 用印 → 分发 by the demo users (opinions with handwritten signatures), up to
    `stop_after`; after 分发 the city (普府办 handles it) signs for it and 财政局 returns it.
    `issuer_name=None` drafts it without its 发文机关署名 (it then stops at 编号)."""
    actors = actors if actors is not None else {}
    for login in ("huangxiaomei", "chenweijie", "lianghaitao"):
        if login not in actors:
            actors[login] = Actor(server_url, root, login)
    drafter = actors["huangxiaomei"]
    fields = {"doc_kind": "请示", "title": title, "urgency": "加急",
              "main_to": [drafter.unit_id("普宁市人民政府")],
              "cc_to": [drafter.unit_id(n) for n in ("普宁市财政局", "普宁市政务服务数据管理局")],
              "body": "市人民政府：\n今年入汛以来，我镇遭受多轮强降雨袭击，榕江洪阳段堤防多处出现渗漏险情。"
                      "为确保安全度汛，现将有关事项请示如下：\n一、险情基本情况\n堤防渗漏点共7处，总长约1.2公里。\n"
                      "二、资金需求\n抢险加固工程概算80万元，我镇已自筹20万元。\n妥否，请批示。",
              "issuer_name": issuer_name, "note": "联系人：黄晓梅，电话：0663-2811234"}
    if issuer_name is None:
        del fields["issuer_name"]
    doc_id, _changes = svc.compose(drafter.store, me=drafter.me, fields=fields)
    for i in range(attachments):
        svc.attach_file(drafter.store, me=drafter.me, doc_id=doc_id,
                        name=f"附件{i + 1}：堤防险情统计表{i + 1}.csv",
                        data=("地点,长度（米）,险情\n宝镜院段,180,渗漏\n" * (20 + i)).encode())
    svc.save_body(drafter.store, me=drafter.me, doc_id=doc_id,
                  body=fields["body"].replace("80万元", "86万元").replace("7处", "9处"))
    drafter.sync()
    drafter.act(doc_id, "submit", "draft", opinion="请审核。", signature=signature())
    steps = [("chenweijie", "review", "文字已核，同意报签。"),
             ("lianghaitao", "sign_off", "同意上报。"),
             ("chenweijie", "recheck", "已复核。"),
             ("huangxiaomei", "number", ""),
             ("huangxiaomei", "seal", ""),
             ("huangxiaomei", "dispatch", "")]
    for n, (login, step, opinion) in enumerate(steps if stop_after != "draft" else []):
        sig = signature(wave(30 + 4 * n, y0=80 + 3 * n)) if opinion else None
        actors[login].act(doc_id, "approve", step, opinion=opinion, signature=sig)
        if step == stop_after:
            break
    if stop_after == "dispatch" and receive:
        for login in ("wuqiong", "huangli"):
            if login not in actors:
                actors[login] = Actor(server_url, root, login)
        city, finance = actors["wuqiong"], actors["huangli"]
        for actor, action, opinion in ((city, "approve", "已签收。"),
                                       (finance, "return", "本局非主送机关，请按程序报送市政府。")):
            incoming = next(d for d in actor.store.records.list("documents", limit=1000)
                            if d.get("direction") == "incoming" and d.get("title") == title)
            actor.act(incoming["id"], action, "receive", opinion=opinion)
            if actor is city:  # 登记, 初审: on to the office director's 拟办
                actor.act(incoming["id"], "approve", "register", opinion="已登记。")
                actor.act(incoming["id"], "approve", "vet", opinion="要素齐全，符合行文规则。",
                          signature=signature(wave(28, y0=70)))
    for a in actors.values():
        a.sync()
    return doc_id, actors


def show_box(page, wait: Callable, index: int, *, kind: str = "", urgency: str = "") -> None:
    """Switch to a box with filters, wait for the whole list, select its first row."""
    done: list[int] = []

    def loaded(n: int) -> None:
        done.append(n)

    page.loaded.connect(loaded)
    for w in (page.tabs, page.kind, page.urgency):
        w.blockSignals(True)
    page.tabs.setCurrentIndex(index)
    page.kind.setCurrentIndex(max(0, page.kind.findData(kind)))
    page.urgency.setCurrentIndex(max(0, page.urgency.findData(urgency)))
    for w in (page.tabs, page.kind, page.urgency):
        w.blockSignals(False)
    from ui.documents.data import BOXES

    page.box = BOXES[index][0]
    page.current = None
    page.reload()
    wait(lambda: bool(done))
    page.loaded.disconnect(loaded)
    if page.model.rowCount():
        page.model.load_block(0)
        wait(lambda: page.model.record(0) is not None)
        page.table.selectRow(0)
        wait(lambda: page.current is not None)


def actor_session(actor: Actor):
    """What a DocumentWindow needs of a session, from an Actor's profile."""
    from types import SimpleNamespace

    unit = actor.me.get("unit") or {}
    return SimpleNamespace(store=actor.store, me=actor.me, transport=actor.transport,
                           user_id=actor.user_id, unit_id=str(unit.get("id") or ""),
                           unit_name=str(unit.get("name") or ""), names={})


def routing_window(server_url: str, root: Path, actors: dict[str, Actor], shot: Callable,
                   wait: Callable) -> None:
    """The 收文 at 批办 for the 分管领导: the routing panel with 秘书科 to 主办, a reader and
    督办 ticked (the office director proposed 林副市长 at 拟办)."""
    from ui.documents.window import DocumentWindow
    from ui.qt import Qt

    for login in ("huangjianhua", "linhuimin"):
        if login not in actors:
            actors[login] = Actor(server_url, root, login)
    director, deputy = actors["huangjianhua"], actors["linhuimin"]
    incoming = next(d for d in director.store.records.list("documents", limit=1000)
                    if d.get("direction") == "incoming" and d.get("title") == SHOT_TITLE)
    director.act(incoming["id"], "approve", "propose", opinion="拟请林副市长阅示。",
                 values={"leader": "deputy_leader"})
    deputy.sync()
    w = DocumentWindow(actor_session(deputy), incoming["id"])
    w.resize(1360, 900)
    w.show()
    w.reload()
    wait(lambda: w.view is not None and w.routing.isVisible())
    panel = w.routing
    panel.lead.setCurrentIndex(1)
    for lst, rows in ((panel.assist, (5,)), (panel.readers, (0, 2))):
        for r in rows:
            if r < lst.count():
                lst.item(r).setCheckState(Qt.CheckState.Checked)
    panel.supervise.setChecked(True)
    w.opinion.setPlainText("请秘书科抓紧办理，财务科协办，按期报结果。")
    shot(w, "04h-document-routing")
    w.close()


def minutes_distribution_window(server_url: str, root: Path, actors: dict[str, Actor],
                                shot: Callable, wait: Callable) -> None:
    """Shoot 04i-minutes-distribution: the drafter's 分送 editor with an unsaved change."""
    from oa_client.services import meetings_minutes as minutes
    from ui.documents.window import DocumentWindow

    if "xiefang" not in actors:
        actors["xiefang"] = Actor(server_url, root, "xiefang")
    drafter = actors["xiefang"]
    meeting = next(m for m in drafter.store.records.list("meetings", limit=100)
                   if m.get("title") == "全市防汛工作会议")
    draft = minutes.draft_minutes(drafter.store, meeting["id"], {})
    doc_id, _c = minutes.save_minutes(drafter.store, me=drafter.me, meeting_id=meeting["id"],
                                      title=draft.title, body=draft.body)
    drafter.sync()
    w = DocumentWindow(actor_session(drafter), doc_id)
    w.resize(1360, 900)
    w.show()
    w.reload()
    panel = w.distribution
    wait(lambda: w.view is not None and panel.view is not None and panel.units.count() > 0)
    panel.units.setCurrentRow(0)
    panel.remove_selected()
    finance = next((i, n) for i, n in panel.view.choices if n == "普宁市财政局")
    panel._fill([*zip(panel.unit_ids(), panel.unit_names(), strict=True), finance])
    panel.units.setCurrentRow(panel.units.count() - 1)
    panel._changed()
    shot(w, "04i-minutes-distribution")
    w.close()


def drive(page, shot: Callable, window, wait: Callable) -> None:
    """List, filtered list, document window (timeline, receipts), the 收文 with its sealed
    正式文件 and verdict, compose form with an error, signature pad, marked revisions."""
    import tempfile

    from ui.documents.signature_pad import SignatureDialog
    from ui.documents.window import DocumentWindow
    from ui.qt import QPoint, Qt, QTest

    server_url = window.session.transport.base_url if window.session.transport else ""
    root = Path(tempfile.mkdtemp(prefix="oa-doc-shots-"))
    doc_id, actors = issue_document(server_url, root)
    window.sync_now()
    wait(lambda: not window.sync.running)
    show_box(page, wait, 0)
    shot(window, "04-documents-list")
    if page.current is not None:  # the signed-in user's own to-do: the action bar for them
        w = page.open_document(page.current["id"])
        w.resize(1360, 900)
        wait(lambda: w.view is not None)
        w.opinion.setPlainText("拟同意，请陈市长审定。")
        w.set_signature(signature())
        shot(w, "04f-document-action-bar")
        w.close()
    show_box(page, wait, 4, kind="请示", urgency="加急")  # 收文
    shot(window, "04a-documents-filtered")
    page.clear_filters()
    w = DocumentWindow(actor_session(actors["huangxiaomei"]), doc_id)
    w.resize(1360, 900)
    w.show()
    w.reload()
    wait(lambda: w.view is not None)
    shot(w, "04b-document-window")
    w.body.show_mode("marked")
    wait(lambda: bool(w.body.segments))
    shot(w, "04e-document-revisions")
    w.close()
    city = actors["wuqiong"]  # the 收文 at the city: the sealed 正式文件, its seal checked
    incoming = next(d for d in city.store.records.list("documents", limit=1000)
                    if d.get("direction") == "incoming" and d.get("title") == SHOT_TITLE)
    w = DocumentWindow(actor_session(city), incoming["id"])
    w.resize(1360, 900)
    w.show()
    w.reload()
    wait(lambda: w.view is not None and w.view.official is not None
         and w.view.official.verdict is not None and w.official.page_count() > 0)
    shot(w, "04g-document-official-file")
    w.close()
    routing_window(server_url, root, actors, shot, wait)
    minutes_distribution_window(server_url, root, actors, shot, wait)
    compose = page.compose()
    form = compose.form
    form.kind.setCurrentText("请示")
    form.title.setText("普宁市人民政府办公室关于申请防汛物资储备资金的请示")
    form.main_to.setText("普宁市人民政府、普宁市财政局")
    form.body.setPlainText("市人民政府：\n为做好今年防汛物资储备工作，拟申请专项资金80万元。\n妥否，请批示。")
    wait(lambda: form.departments is not None)  # 会签: the unit's departments, one ticked
    if form.countersign.count() > 5:
        form.countersign.item(5).setCheckState(Qt.CheckState.Checked)  # 财务科
    form.request(submit=True)
    shot(compose, "04c-document-compose")
    compose.close()
    dialog = SignatureDialog(window)
    dialog.show()
    pad = dialog.pad
    wait(lambda: pad.isVisible())
    QTest.mousePress(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(40, 110))
    for i in range(1, 40):
        QTest.mouseMove(pad, QPoint(40 + i * 8, int(110 + 30 * math.sin(i / 3))))
    QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(360, 100))
    shot(dialog, "04d-signature-pad")
    dialog.close()
    from ui.ops import db_pool

    db_pool().waitForDone(10_000)
    for a in actors.values():
        a.close()
    import shutil

    shutil.rmtree(root, ignore_errors=True)  # the other users' profiles of this run
