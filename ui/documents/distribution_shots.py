"""The 纪要 分送 editor for `python -m ui.screenshots` (the 公文 tour): 谢芳's 纪要 of the
全市防汛工作会议 in the document window, a unit taken off and one added, not yet saved.

Nothing here runs in the normal client; the screenshot run and the UI tests use it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ui.documents.shots import Actor, actor_session

FLOOD = "全市防汛工作会议"


def minutes_distribution_window(server_url: str, root: Path, actors: dict[str, Actor],
                                shot: Callable, wait: Callable) -> None:
    """Shoot 04i-minutes-distribution: the drafter's 分送 editor with an unsaved change."""
    from oa_client.services import meetings_minutes as minutes
    from ui.documents.window import DocumentWindow

    if "xiefang" not in actors:
        actors["xiefang"] = Actor(server_url, root, "xiefang")
    drafter = actors["xiefang"]
    meeting = next(m for m in drafter.store.records.list("meetings", limit=100)
                   if m.get("title") == FLOOD)
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
