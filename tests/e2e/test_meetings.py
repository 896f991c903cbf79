"""Meetings end to end through the real server: a room booked, the notice sent to two units
and a person, replies (a unit naming its people, a delegate, a leave), sign-in (self, QR code,
marked by the organiser), minutes with 出席 filled from them and their 分送 from the invited
units, followed through 签发, 编号, 用印 (纪要 format, signed without a seal impression) and
分发 to the 收文 of an invited unit, a decision turned into a 督办 task; and two offline
secretaries booking the same room."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pdfplumber
import pytest

from docs_exchange.verify import verify_pdf
from oa_client.domain.meetings import Attendee, Meeting
from oa_client.errors import PermissionDenied, ValidationError
from oa_client.services import conflicts as conflict_svc
from oa_client.services import documents as doc_svc
from oa_client.services import meetings as mtg
from oa_client.services import meetings_minutes as minutes
from oa_client.services import meetings_plan as plan
from oa_client.services import records as svc
from sync.org import fetch_org
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client
from ui.documents.official import arrival_checker

DEMO_LOGINS = {u["name"]: u["login"] for u in json.loads(
    (Path(__file__).parents[2] / "oa_server" / "demo_org.json").read_text("utf-8"))["users"]}
MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing


def uid(client) -> str:
    return str(client.transport.user["id"])


def unit_of(client) -> str:
    return str(client.transport.user["unit"]["id"])


def me(client) -> dict:
    return dict(client.transport.user)


def names(client) -> dict[str, str]:
    fetch_org(client.store, client.transport)
    out = {u["id"]: u["name"] for u in client.store.records.list("users", limit=1000)}
    out.update({u["id"]: u["name"] for u in client.store.records.list("units", limit=1000)})
    return out


def add_rooms(admin, *rooms: dict) -> list[str]:
    ids = []
    for room in rooms:
        svc.save(admin.store, "rooms", room)
        ids.append(room["id"])
    report = admin.engine.sync()
    assert report.rejected == 0
    return ids


def room(rid: str, name: str, capacity: int, **extra) -> dict:
    return {"id": rid, "name": name, "building": "市政府大楼", "floor": "三楼",
            "capacity": capacity, "equipment": ["projector"], **extra}


def test_book_notify_reply_sign_in_minutes_and_a_task(server, tmp_path):  # noqa: F811
    server.clock.now = MONDAY - timedelta(days=3)
    admin = make_client(server, tmp_path, "xiefang")  # 会议管理员, organiser
    clerk = make_client(server, tmp_path, "zhangmin")  # 普政数 文书: answers for the unit
    yangfan = make_client(server, tmp_path, "yangfan")
    lixiaolong = make_client(server, tmp_path, "lixiaolong")
    chief = make_client(server, tmp_path, "zhengxiaoyan")  # sends a delegate
    liuyang = make_client(server, tmp_path, "liuyang")  # the delegate
    town = make_client(server, tmp_path, "chenweijie")  # 洪阳镇: declines
    add_rooms(admin, room("r-big", "第一会议室", 30), room("r-small", "第二会议室", 8))

    start = MONDAY + timedelta(hours=1)  # 10:00 Beijing
    meeting = Meeting(
        subject="数字政府建设推进会", starts_at=start, ends_at=start + timedelta(hours=2),
        room_id="r-big", chair_id=uid(chief), chair_name="郑晓燕",
        agenda=("通报数字政府建设进展", "部署下一阶段重点任务"),
        attendees=(Attendee(kind="unit", id=unit_of(clerk), name="普宁市政务服务数据管理局", seats=2),
                   Attendee(kind="unit", id=unit_of(town), name="洪阳镇人民政府", seats=2),
                   Attendee(kind="person", id=uid(chief), name="郑晓燕")),
        reply_deadline=start - timedelta(days=1))
    agenda_file = "数字政府建设推进会议程.docx".encode() + bytes(range(256)) * 40
    booked = mtg.book(admin.store, meeting=meeting, user_id=uid(admin), user_name="谢芳",
                      now=server.clock.now, files=[("会议议程.docx", agenda_file)])
    rec = admin.store.records.get("meetings", booked.meeting_id)
    assert rec["tentative"] is True and rec["booking_state"] == "tentative"  # 待确认 offline
    assert admin.engine.sync().rejected == 0
    rec = admin.store.records.get("meetings", booked.meeting_id)
    assert rec["tentative"] is False and rec["booking_state"] == "confirmed"
    assert rec["changes"][0]["kind"] == "created"

    # the notice reaches both units and the person; each answers
    for c in (clerk, chief, town, yangfan, lixiaolong, liuyang):
        c.engine.sync()
    assert clerk.store.records.get("meetings", booked.meeting_id)["rsvp"][unit_of(clerk)] == "pending"
    # the materials reach the invited units with the notice
    files = mtg.materials(clerk.store, booked.meeting_id)
    assert [f["name"] for f in files] == ["会议议程.docx"]
    assert clerk.store.blobs.read(files[0]["id"]) == agenda_file
    assert clerk.store.records.get("meetings", booked.meeting_id)["materials"][0]["size"] == len(agenda_file)
    mtg.reply(clerk.store, meeting_id=booked.meeting_id, attendee_id=unit_of(clerk),
              user_id=uid(clerk), answer="attend", attendee_ids=[uid(yangfan), uid(lixiaolong)],
              now=server.clock.now)
    mtg.reply(chief.store, meeting_id=booked.meeting_id, attendee_id=uid(chief), user_id=uid(chief),
              answer="delegate", delegate_id=uid(liuyang), delegate_name="刘洋", now=server.clock.now)
    mtg.reply(town.store, meeting_id=booked.meeting_id, attendee_id=unit_of(town), user_id=uid(town),
              answer="decline", reason="同日召开防汛工作会议", now=server.clock.now)
    for c in (clerk, chief, town):
        assert c.engine.sync().rejected == 0
    admin.engine.sync()
    rec = admin.store.records.get("meetings", booked.meeting_id)
    assert rec["rsvp"] == {unit_of(clerk): "accepted", unit_of(town): "declined",
                           uid(chief): "delegated"}
    assert uid(liuyang) in rec["audience_users"]  # the delegate now sees the meeting
    table = {row.attendee_id: row for row in mtg.reply_table(admin.store, booked.meeting_id,
                                                             names(admin))}
    assert table[uid(chief)].people == ("刘洋",)
    assert set(table[unit_of(clerk)].people) == {"杨帆", "李晓龙"}
    assert table[unit_of(town)].reason == "同日召开防汛工作会议"

    # sign-in on the day: yangfan by the room's QR code, the delegate by its code typed in,
    # lixiaolong marked by the organiser (late)
    server.clock.now = start - timedelta(minutes=10)
    liuyang.engine.sync()
    assert liuyang.store.records.get("meetings", booked.meeting_id)["title"] == "数字政府建设推进会"
    qr = mtg.fetch_checkin_code(admin.transport, meeting_id=booked.meeting_id)
    meeting_id, sitting, code = mtg.parse_checkin_qr(qr["qr_text"])
    yangfan.engine.sync()
    mtg.sign_in(yangfan.store, meeting_id=meeting_id, user_id=uid(yangfan),
                occurrence_start=sitting, code=code, now=server.clock.now)
    mtg.sign_in(liuyang.store, meeting_id=meeting_id, user_id=uid(liuyang), occurrence_start=sitting,
                code=code, now=server.clock.now)  # the delegate types the code off the screen
    assert yangfan.engine.sync().rejected == 0
    assert liuyang.engine.sync().rejected == 0
    server.clock.now = start + timedelta(minutes=12)
    mtg.sign_in(admin.store, meeting_id=meeting_id, user_id=uid(admin), person_id=uid(lixiaolong),
                now=server.clock.now)
    assert admin.engine.sync().rejected == 0
    # a forged code and a second sign-in are refused by the server
    mtg.sign_in(chief.store, meeting_id=meeting_id, user_id=uid(chief), code="0000000000",
                now=server.clock.now)
    assert chief.engine.sync().rejected == 1
    found = {c["user_id"]: c for c in mtg.checkins(admin.store, meeting_id)}
    assert found[uid(lixiaolong)]["late"] is True and found[uid(lixiaolong)]["late_minutes"] == 12
    assert found[uid(yangfan)]["method"] == "qr" and found[uid(yangfan)]["late"] is False

    # minutes: 出席/请假 filled from the replies and the sign-in, saved as a 纪要 document
    draft = minutes.draft_minutes(admin.store, meeting_id, names(admin), drafter_id=uid(admin))
    # 纪要标志 in the editor's preview: the drafter's unit, as the sealed 纪要 will have it
    assert draft.issuer == admin.store.records.get("users", uid(admin))["unit_name"]
    assert draft.issuer and minutes.draft_minutes(
        admin.store, meeting_id, names(admin), drafter_id=uid(town)).issuer == \
        admin.store.records.get("users", uid(town))["unit_name"] != draft.issuer
    # a drafter the desk's address book does not hold yet: the meeting's host unit, no error
    host = admin.store.records.get("meetings", meeting_id).get("host_unit_name") or ""
    assert minutes.draft_minutes(admin.store, meeting_id, names(admin),
                                 drafter_id="not-in-the-address-book").issuer == host
    assert set(draft.present) == {"杨帆", "李晓龙", "刘洋（代郑晓燕）"}
    assert draft.on_leave == ["洪阳镇人民政府（同日召开防汛工作会议）"]
    assert draft.late == ["李晓龙"] and draft.absent == []
    doc_id, _changes = minutes.save_minutes(
        admin.store, me=me(admin), meeting_id=meeting_id, title=draft.title,
        body=[*draft.body, "会议议定：由市政务服务数据管理局牵头，年底前完成一网通办事项梳理。"],
        present=draft.present, on_leave=draft.on_leave, observers=draft.observers,
        decisions=["年底前完成一网通办事项梳理"])
    doc = admin.store.records.get("documents", doc_id)
    assert (doc["doc_kind"], doc["direction"], doc["meeting_id"]) == ("纪要", "outgoing", meeting_id)
    fields = minutes.official_fields(doc, issuer_name="普宁市人民政府办公室")
    assert fields["format"] == "纪要" and "杨帆" in fields["attendees"]
    # 分送: the invited units; 郑晓燕, invited by name, is of the organiser's own unit
    assert doc["main_to"] == [unit_of(clerk), unit_of(town)]
    # routed for signing like any outgoing document: 送审 moves it on to 核稿
    minutes.route_minutes(admin.store, me=me(admin), doc_id=doc_id, opinion="请审核纪要。")
    assert admin.engine.sync().rejected == 0
    doc = admin.store.records.get("documents", doc_id)
    assert doc["flow_step"] not in (None, "draft") and doc["holder_ids"]
    # before 签发 the drafter still edits the 分送 (not a holder of 核稿)
    assert uid(admin) not in doc["holder_ids"]
    minutes.edit_distribution(admin.store, me=me(admin), doc_id=doc_id, main_to=[unit_of(clerk)])
    assert admin.engine.sync().rejected == 0
    minutes.edit_distribution(admin.store, me=me(admin), doc_id=doc_id,
                              main_to=[unit_of(clerk), unit_of(town)])
    assert admin.engine.sync().rejected == 0
    assert admin.store.records.get("documents", doc_id)["main_to"] == [unit_of(clerk), unit_of(town)]
    # an empty 分送 is refused on the desk, and by the server from a desk that sends it anyway
    with pytest.raises(ValidationError) as empty:
        minutes.edit_distribution(admin.store, me=me(admin), doc_id=doc_id, main_to=[])
    assert empty.value.message == "纪要至少要分送一个单位"
    current = admin.store.records.get("documents", doc_id)
    svc.save(admin.store, "documents", {**{k: v for k, v in current.items()
                                           if k not in ("deleted", "updated_at")},
                                        "main_to": [], "main_to_names": []})
    assert admin.engine.sync().rejected == 1
    assert any(c.entity_id == doc_id and c.message == "纪要至少要分送一个单位"
               for c in conflict_svc.open_conflicts(admin.store))
    admin.engine.sync()
    assert admin.store.records.get("documents", doc_id)["main_to"] == [unit_of(clerk), unit_of(town)]

    desks: dict[str, object] = {}
    follow_minutes(server, tmp_path, desks, admin, doc_id, until="recheck")
    # signed off: the 分送 is frozen, on the desk and at the server
    with pytest.raises(PermissionDenied):
        minutes.edit_distribution(admin.store, me=me(admin), doc_id=doc_id, main_to=[unit_of(clerk)])
    signed = admin.store.records.get("documents", doc_id)
    svc.save(admin.store, "documents", {**{k: v for k, v in signed.items()
                                           if k not in ("deleted", "updated_at")},
                                        "main_to": [unit_of(clerk)]})
    assert admin.engine.sync().rejected == 1
    assert admin.store.records.get("documents", doc_id)["main_to"] == [unit_of(clerk), unit_of(town)]

    # 复核 → 编号 → 用印: the 纪要 layout, signed with the seal but no impression on the page
    keeper = follow_minutes(server, tmp_path, desks, admin, doc_id, until="dispatch")
    rec = keeper.store.records.get("documents", doc_id)
    assert rec["seal_state"] == "sealed" and rec["doc_number"]
    pdf = keeper.store.blobs.read(rec["sealed_attachment_id"])
    report = verify_pdf(pdf, trust_roots=keeper.engine.trust_roots())
    assert report.ok, report.text()
    (seal,) = report.signatures
    assert (seal.signer.name, seal.signer.kind) == ("普宁市人民政府办公室", "seal")
    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        text = "".join((p.extract_text() or "") for p in opened.pages).replace(" ", "")
        assert not any(p.images for p in opened.pages)  # no seal impression
    assert "普宁市人民政府办公室纪要" in text and "数字政府建设推进会纪要" in text
    assert "出席：" in text and "杨帆" in text and "请假：" in text
    assert "会议议定：由市政务服务数据管理局牵头" in text and "普府办〔2026〕1号" in text
    (tmp_path / "minutes.pdf").write_bytes(pdf)

    # 分发: each invited unit receives the sealed 纪要 as a 收文, checks it on arrival, 签收s
    follow_minutes(server, tmp_path, desks, admin, doc_id, until="dispatched")
    rec = admin.store.records.get("documents", doc_id)
    assert set(rec["receipts"]) == {unit_of(clerk), unit_of(town)}
    clerk.engine.check_arrivals = arrival_checker(clerk.store)
    clerk.engine.sync()
    inc_id = rec["receipts"][unit_of(clerk)]["incoming_id"]
    incoming = clerk.store.records.get("documents", inc_id)
    assert incoming["doc_kind"] == "纪要" and incoming["direction"] == "incoming"
    view = doc_svc.open_document(clerk.store, inc_id, me=me(clerk))
    assert view.official is not None and view.official.downloaded
    assert view.official.verdict["ok"] and view.official.verdict["signer"] == "普宁市人民政府办公室"
    assert clerk.store.blobs.read(incoming["sealed_attachment_id"]) == pdf
    # its 分送 is printed in the 版记, not as a 主送 line under the title
    assert "分送：普宁市政务服务数据管理局、洪阳镇人民政府。" in text
    assert text.index("请假：") < text.index("分送：")
    # 签收 at the invited unit: its 收文 moves on to 登记, the sender's receipt says 已签收
    doc_svc.act(clerk.store, me=me(clerk), doc_id=inc_id, action="approve", step="receive",
                opinion="已签收。")
    assert clerk.engine.sync().rejected == 0
    assert clerk.store.records.get("documents", inc_id)["state"] == "register"
    admin.engine.sync()
    receipt = admin.store.records.get("documents", doc_id)["receipts"][unit_of(clerk)]
    assert receipt["status"] == "received" and receipt["by"] == uid(clerk)
    for c in desks.values():
        c.close()

    # a decision becomes a 督办 task for the lead unit
    task_id, _c = minutes.decision_to_task(
        admin.store, me=me(admin), meeting_id=meeting_id, decision="年底前完成一网通办事项梳理",
        lead_unit_id=unit_of(clerk), deadline=date(2026, 12, 30), owner_id=uid(yangfan),
        ordered_by=uid(chief), importance="重要", today=date(2026, 11, 23))
    report = admin.engine.sync()
    assert report.rejected == 0, [c.message for c in conflict_svc.open_conflicts(admin.store)]
    task = admin.store.records.get("supervision_tasks", task_id)
    assert task["source"] == {"kind": "minutes", "collection": "meetings", "id": meeting_id,
                              "text": "数字政府建设推进会"}
    assert (task["lead_unit_id"], task["deadline"], task["state"]) == (unit_of(clerk), "2026-12-30", "open")
    assert admin.store.records.get("meetings", meeting_id)["minutes_document_id"] == doc_id
    clerk.engine.sync()
    assert clerk.store.records.get("supervision_tasks", task_id)["owner_id"] == uid(yangfan)
    for c in (admin, clerk, yangfan, lixiaolong, chief, liuyang, town):
        c.close()


def follow_minutes(server, tmp_path, desks: dict, admin, doc_id: str, *, until: str):  # noqa: F811
    """Each holder of the 纪要's flow approves their step in turn until it reaches `until`;
    returns the desk that took the last step."""
    users = {u["id"]: u for u in admin.store.records.list("users", limit=1000)}
    last = admin
    for _turn in range(10):
        admin.engine.sync()
        doc = admin.store.records.get("documents", doc_id)
        if doc["state"] == until:
            return last
        login = DEMO_LOGINS[users[doc["holder_ids"][0]]["name"]]
        if login not in desks:
            desks[login] = make_client(server, tmp_path, login)
            fetch_org(desks[login].store, desks[login].transport)
        last = desks[login]
        last.engine.sync()
        extra = {"signature": {"png": b"\x89PNG\r\n\x1a\nsig", "strokes": [[[0, 0], [5, 8]]]}} \
            if doc["state"] == "sign_off" else {}
        doc_svc.act(last.store, me=me(last), doc_id=doc_id, action="approve", step=doc["state"],
                    opinion="同意。", **extra)
        report = last.engine.sync()
        assert report.rejected == 0, [c.message for c in conflict_svc.open_conflicts(last.store)]
    raise AssertionError(f"the 纪要 did not reach {until}")


def test_two_offline_secretaries_book_the_same_room(server, tmp_path):  # noqa: F811
    server.clock.now = MONDAY - timedelta(days=1)
    admin = make_client(server, tmp_path, "xiefang")
    first = make_client(server, tmp_path, "liuyang")
    second = make_client(server, tmp_path, "zhengxiaoyan")
    add_rooms(admin, room("r-1", "第一会议室", 30), room("r-2", "第二会议室", 20),
              room("r-3", "小会议室", 1))
    first.engine.sync()
    second.engine.sync()
    start = MONDAY + timedelta(hours=1)

    def notice(client, subject, begin):
        return Meeting(subject=subject, starts_at=begin, ends_at=begin + timedelta(hours=1),
                       room_id="r-1", attendees=(Attendee(id=uid(admin), name="谢芳"),
                                                 Attendee(id=uid(client), name="本人")))

    # both offline: each desk sees the room free and books it, tentatively
    a = mtg.book(first.store, meeting=notice(first, "秘书科工作例会", start), user_id=uid(first),
                 now=server.clock.now)
    b = mtg.book(second.store, meeting=notice(second, "政务公开培训", start + timedelta(minutes=30)),
                 user_id=uid(second), now=server.clock.now)
    assert first.engine.sync().rejected == 0
    report = second.engine.sync()
    assert report.rejected == 1
    # the loser is told why and what is free instead; nothing is dropped
    kept = [c for c in conflict_svc.open_conflicts(second.store) if c.entity_id == b.meeting_id]
    assert len(kept) == 1 and kept[0].code == "booking_conflict"
    assert "第一会议室" in kept[0].message and "秘书科工作例会" in kept[0].message
    assert "同一时间可改用：第二会议室" in kept[0].message  # the small room is too small
    assert "小会议室" not in kept[0].message
    assert "“第一会议室”空闲时间" in kept[0].message
    assert kept[0].local["title"] == "政务公开培训"
    assert first.store.records.get("meetings", a.meeting_id)["booking_state"] == "confirmed"
    # the second desk cannot see the first's meeting, but the server's free/busy shows the room taken
    busy = plan.server_busy(second.transport, people=[uid(first)], start=MONDAY,
                            end=MONDAY + timedelta(days=1))
    assert busy.rooms["r-1"] == [(start, start + timedelta(hours=1))]
    assert busy.people[uid(first)] == [(start, start + timedelta(hours=1))]
    for c in (admin, first, second):
        c.close()


def test_two_bookings_of_one_room_in_one_push_are_checked_against_each_other(
        server, tmp_path):  # noqa: F811
    """The second booking's room check must see the first one although the server has not
    stored it yet: both ride in the same push."""
    server.clock.now = MONDAY - timedelta(days=1)
    admin = make_client(server, tmp_path, "xiefang")
    desk = make_client(server, tmp_path, "liuyang")
    add_rooms(admin, room("r-1", "第一会议室", 30))
    desk.engine.sync()
    start = MONDAY + timedelta(hours=1)
    booked = mtg.book(desk.store, meeting=Meeting(
        subject="秘书科工作例会", starts_at=start, ends_at=start + timedelta(hours=1),
        room_id="r-1", attendees=(Attendee(id=uid(desk), name="刘洋"),)),
        user_id=uid(desk), now=server.clock.now)
    (op_id, entity_id, payload), = desk.store.db.query(
        "SELECT op_id, entity_id, payload FROM outbox WHERE entity = 'meetings'")
    assert entity_id == booked.meeting_id
    twin = {**json.loads(payload), "title": "政务公开培训"}
    results = desk.transport.push([
        {"op_id": op_id, "kind": "upsert", "entity": "meetings", "entity_id": entity_id,
         "base_rev": 0, "payload": payload},
        {"op_id": op_id + "-twin", "kind": "upsert", "entity": "meetings",
         "entity_id": entity_id + "-twin", "base_rev": 0, "payload": json.dumps(twin)},
    ]).results
    assert [r.status for r in results] == ["applied", "rejected"]
    assert results[1].code == "booking_conflict" and "秘书科工作例会" in results[1].message
    admin.close()
    desk.close()
