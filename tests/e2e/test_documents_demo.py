"""The demo 公文 (what `make run` shows) are made through real flow events on the real server,
and land in the states and receipts the demo promises."""

from __future__ import annotations

from oa_client.services import documents as docs
from oa_client.services.documents_demo import seed_documents
from ui.demo import demo_directory


def test_demo_documents_reach_their_states(desks, server):
    people = demo_directory(server.url)
    assert seed_documents(lambda login: desks[login], people=people) == 4
    mayor, city_clerk, liu = desks["chenzhiqiang"], desks["wuqiong"], desks["liuyang"]
    for d in (mayor, city_clerk, liu, desks["linhuimin"], desks["huangjianhua"]):
        d.sync()
    states = {r["title"]: r["state"] for r in liu.store.records.list("documents", limit=100)}
    assert states["普宁市人民政府办公室关于切实做好2026年汛期安全防范工作的通知"] == "review"
    assert states["普宁市人民政府关于召开全市防汛工作会议的通知"] == "sign_off"
    assert states["普宁市人民政府办公室关于报送2026年防汛物资储备情况的函"] == "dispatched"
    assert states["洪阳镇人民政府关于拨付防汛抢险资金的请示"] == "circulate"  # the city's copy
    signer = docs.list_documents(desks["linhuimin"].store, me=desks["linhuimin"].me, box="todo")
    assert [r["title"] for r in signer] == ["普宁市人民政府关于召开全市防汛工作会议的通知"]
    to_read = docs.list_documents(liu.store, me=liu.me, box="to_read")
    assert [r["direction"] for r in to_read] == ["incoming"]
    letter = next(r for r in city_clerk.store.records.list("documents", limit=100)
                  if r["doc_kind"] == "函" and r["direction"] == "outgoing")
    view = docs.open_document(city_clerk.store, letter["id"], me=city_clerk.me)
    assert sorted((r.unit_name, r.status_label) for r in view.receipts) == [
        ("普宁市教育局", "已发送"), ("普宁市财政局", "已签收")]
    # the seeder took 用印 like anyone: the server made the 正式文件 and the exchange package
    assert [a["name"] for a in view.attachments] == [f"{letter['title']}（正式文件）.pdf",
                                                     f"{letter['title']}（交换包）.zip"]
    assert view.official is not None and view.seal_state == "sealed"
    finance = desks["huangli"]
    finance.sync()
    copy = docs.get_document(finance.store, letter["receipts"][next(
        u for u, r in letter["receipts"].items() if r["unit_name"] == "普宁市财政局")]["incoming_id"])
    assert finance.store.blobs.read(copy["sealed_attachment_id"]) == city_clerk.store.blobs.read(
        letter["sealed_attachment_id"])
