"""Realistic demo records for the 普宁市 demo org: documents, meetings, requests, reports,
supervision — each with its author, so they can be saved and synced as that person.

`people` maps login → the user as the server lists it (`id`, `unit.id`). Every
record names who must act on it (holder_ids, rsvp, approver_ids, assignees,
unit) so the demo users' 待办 lists are populated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from oa_client.domain.ids import new_id
from oa_client.domain.reports import period_key, previous_period
from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from oa_client.services.meetings_demo import demo_meetings

#: saved and synced in this order: the meeting (谢芳) before the replies to it (the invited
#: units' 文书 张敏, 黄晓梅), the data-item dictionary (李晓龙) before the templates that draw on
#: it (刘洋's 医保 report)
AUTHORS = ("wuqiong", "xiefang", "zhangmin", "huangxiaomei", "lixiaolong", "liuyang",
           "lindongsheng", "yanglan", "wuhuiling", "laiqiuxia")
#: whose desk tells whether a server holds the demo already (刘洋's draft is there)
PROBE = "liuyang"


def _d(today: date, days: int) -> str:
    return (today + timedelta(days=days)).isoformat()


def _t(today: date, days: int, hour: int) -> str:
    start = datetime(today.year, today.month, today.day, hour, 0, tzinfo=UTC)
    return (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def demo_records(people: dict[str, dict], *, today: date | None = None) -> dict[str, list[tuple[str, dict]]]:
    """author login → [(collection, record)] in the order they should be saved."""
    today = today or datetime.now(UTC).date()

    def uid(login: str) -> str:
        return str(people[login]["id"])

    def unit(login: str) -> str:
        return str(people[login]["unit"]["id"])

    room_id, tpl_id, tpl2_id = (new_id() for _ in range(3))
    # requests (零跑动事项) are filed through the real catalogue and flow: ui/requests/demo.py
    out: dict[str, list[tuple[str, dict]]] = {a: [] for a in AUTHORS}
    # 公文 in real flow states are carried along their flows by oa_client/services/documents_demo.py
    # (seed_documents); here only a draft of 刘洋's, which also marks the server as seeded
    out["liuyang"] += [
        ("documents", {
            "direction": "outgoing", "doc_kind": "通知", "secrecy": "非涉密", "state": "draft",
            "title": "普宁市人民政府办公室关于开展机关作风建设专项检查的通知",
            "body": "各镇人民政府（街道办事处），市直各单位：为进一步转变机关作风、提高办事效率，"
                    "市政府决定于近期开展机关作风建设专项检查。现将有关事项通知如下：一、检查范围；"
                    "二、检查内容；三、工作要求。",
            "issuer_name": "普宁市人民政府办公室", "drafter_id": uid("liuyang"),
            "drafter_name": "刘洋", "created_at": _t(today, 0, 1),
        }),
    ]
    rooms_and_meetings, meeting_replies = demo_meetings(today, room_id, uid, unit)
    out["xiefang"] += rooms_and_meetings
    for login, recs in meeting_replies.items():
        out[login] += recs
    out["lindongsheng"] += _supervision(today, uid, unit)
    town_tpl, med_tpl = _report_templates(today, tpl_id, tpl2_id, unit)
    out["lixiaolong"] += _data_items()  # the 数据资源科 keeps the dictionary the templates draw on
    out["lixiaolong"] += town_tpl
    out["liuyang"] += med_tpl
    out["yanglan"] += _report_fills(today, tpl_id, tpl2_id, unit)
    for login, fills in _report_history(today, tpl_id, unit).items():
        out[login] += fills
    return out


def _data_items() -> list[tuple[str, dict]]:
    """数据项目录: every item the sample templates use, defined once."""
    items = {i.code: i for t in load_report_templates(SAMPLE_TEMPLATES) for i in t.data_items}
    return [("data_items", {"id": code, **item.model_dump(mode="json", exclude={"version"}), "version": 1,
                            "retired": False}) for code, item in sorted(items.items())]


def _report_templates(today: date, tpl_id: str, tpl2_id: str, unit
                      ) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    """报表: the 市政务服务数据管理局 issues the quarterly 一张表 (the last three quarters, then this
    one: the same record, so each quarter pre-fills the next), the 市政府办公室 a quarterly 医保
    report, both to the three townships."""
    town_q, med_m = load_report_templates(SAMPLE_TEMPLATES)
    med_q = med_m.model_copy(update={"code": "MED_Q", "name": "城乡居民医保参保情况季报", "period": "quarterly"})
    now, before = _quarters(today)
    towns = [unit("yanglan"), unit("wuhuiling"), unit("laiqiuxia")]

    def issue(tpl_id_: str, template, period: str, deadline: str) -> tuple[str, dict]:
        return ("report_templates", {
            "id": tpl_id_, "name": template.name, "definition": template.model_dump(mode="json", exclude={"version"}),
            "period": period, "deadline": deadline, "recipients": towns, "audience_units": towns})

    earlier = _earlier(before, 2)
    history = [issue(tpl_id, town_q, p, _d(today, -60 - 91 * (len(earlier) - i))) for i, p in enumerate(earlier)]
    return ([*history, issue(tpl_id, town_q, before, _d(today, -60)), issue(tpl_id, town_q, now, _d(today, 4))],
            [issue(tpl2_id, med_q, now, _d(today, 6))])


def _earlier(period: str, n: int) -> list[str]:
    """The `n` quarters before `period`, oldest first."""
    out: list[str] = []
    for _ in range(n):
        period = previous_period("quarterly", period) or period
        out.insert(0, period)
    return out


def _town(pop: int, male: int, villages: tuple[int, int, int], households: tuple[int, int, int], *,
          income: str, road: tuple[str, str, str], filler: str, phone: str) -> dict:
    """One township's 一张表 that passes every rule (parts add up, coverage 90–100 %)."""
    keys = ("v-east", "v-west", "v-south")
    return {"POP_TOTAL": str(pop), "POP_MALE": str(male), "POP_FEMALE": str(pop - male),
            "INSURED": str(pop * 95 // 100), "INCOME_CUM": income, "GRAIN_AREA": "14800.0", "FLOOD": "否",
            "LEVEL": "无", "FILLER": filler, "PHONE": phone,
            "villages": {k: {"V_HOUSEHOLDS": str(h), "V_POP": str(v), "V_LOW_INCOME": str(h // 80), "V_ROAD_KM": r}
                         for k, v, h, r in zip(keys, villages, households, road, strict=True)}}


def _report_history(today: date, tpl_id: str, unit) -> dict[str, list[tuple[str, dict]]]:
    """Earlier quarters of the 一张表, submitted by each township (the 历期趋势 has a history):
    洪阳镇 the two before last quarter, 流沙东街道 and 梅塘镇 the last three."""
    _now, before = _quarters(today)
    q3, q2 = _earlier(before, 2)

    def submit(login: str, period: str, values: dict) -> tuple[str, dict]:
        return ("submissions", {"kind": "edit", "state": "edit", "action": "submit", "template_id": tpl_id,
                                "unit_id": unit(login), "period": period, "base": {}, "values": values,
                                "at": _t(today, 0, 1)})

    hy = {q3: _town(67480, 34510, (24050, 20790, 22640), (6050, 5180, 5850), income="4310.00",
                    road=("11.0", "8.0", "9.5"), filler="杨兰", phone="13902761234"),
          q2: _town(67905, 34730, (24190, 20910, 22805), (6090, 5200, 5880), income="7020.50",
                    road=("11.8", "8.6", "9.9"), filler="杨兰", phone="13902761234")}
    ls = {q3: _town(51020, 25950, (19700, 16650, 14670), (4920, 4160, 3660), income="4880.00",
                    road=("6.0", "5.5", "4.0"), filler="吴惠玲", phone="13902762001"),
          q2: _town(51460, 26170, (19870, 16790, 14800), (4960, 4190, 3700), income="7960.00",
                    road=("6.4", "5.8", "4.2"), filler="吴惠玲", phone="13902762001"),
          before: _town(51830, 26360, (20010, 16910, 14910), (5000, 4220, 3720), income="9740.00",
                        road=("6.9", "6.1", "4.6"), filler="吴惠玲", phone="13902762001")}
    mt = {q3: _town(46620, 23320, (16120, 14750, 15750), (4030, 3690, 3940), income="3950.00",
                    road=("7.0", "6.2", "5.1"), filler="赖秋霞", phone="13902763001"),
          q2: _town(46910, 23460, (16220, 14840, 15850), (4060, 3710, 3960), income="6430.00",
                    road=("7.3", "6.6", "5.5"), filler="赖秋霞", phone="13902763001"),
          before: _town(47180, 23600, (16310, 14930, 15940), (4080, 3730, 3990), income="8870.00",
                        road=("7.7", "6.9", "5.8"), filler="赖秋霞", phone="13902763001")}
    return {"yanglan": [submit("yanglan", p, v) for p, v in hy.items()],
            "wuhuiling": [submit("wuhuiling", p, v) for p, v in ls.items()],
            "laiqiuxia": [submit("laiqiuxia", p, v) for p, v in mt.items()]}


def _report_fills(today: date, tpl_id: str, tpl2_id: str, unit) -> list[tuple[str, dict]]:
    """洪阳镇 (杨兰) submitted last quarter's 一张表 and this quarter's 医保 report (waiting for
    review), and has saved part of this quarter's 一张表."""
    now, before = _quarters(today)
    last = {"POP_TOTAL": "68213", "POP_MALE": "34890", "POP_FEMALE": "33323", "INSURED": "65102",
            "INCOME_CUM": "9850.00", "GRAIN_AREA": "15230.5", "FLOOD": "否", "LEVEL": "无",
            "FILLER": "杨兰", "PHONE": "13902761234",
            "villages": {"v-east": {"V_HOUSEHOLDS": "6120", "V_POP": "24310", "V_LOW_INCOME": "86", "V_ROAD_KM": "12.5"},
                         "v-west": {"V_HOUSEHOLDS": "5230", "V_POP": "21008", "V_LOW_INCOME": "64", "V_ROAD_KM": "9.0"},
                         "v-south": {"V_HOUSEHOLDS": "5904", "V_POP": "22895", "V_LOW_INCOME": "71", "V_ROAD_KM": "10.2"}}}

    med = {"POP_TOTAL": "68213", "INSURED": "65102", "FILLER": "杨兰", "PHONE": "13902761234",
           "by_village": {k: {"V_POP": v["V_POP"], "V_LOW_INCOME": v["V_LOW_INCOME"]} for k, v in last["villages"].items()}}

    def edit(period: str, action: str, values: dict, template: str = tpl_id) -> tuple[str, dict]:
        return ("submissions", {"kind": "edit", "state": "edit", "action": action, "template_id": template,
                                "unit_id": unit("yanglan"), "period": period, "base": {}, "values": values,
                                "at": _t(today, 0, 1)})

    return [edit(before, "submit", last), edit(now, "submit", med, tpl2_id),
            edit(now, "save", {"FILLER": "杨兰", "PHONE": "13902761234", "GRAIN_AREA": "16020.0"})]


def _quarters(today: date) -> tuple[str, str]:
    now = period_key("quarterly", today)
    return now, previous_period("quarterly", now) or now


def _supervision(today: date, uid, unit) -> list[tuple[str, dict]]:
    """督办事项 of the 督查室 (林东升): a mayor's 批示, a minutes decision, a 督查室 item."""

    def task(title: str, content: str, lead: str, assist: list[str], days: int, *,
             ordered_by: str | None = None, kind: str = "manual", importance: str = "一般",
             report_every: str | None = "weekly") -> tuple[str, dict]:
        units = [unit(lead), *(unit(a) for a in assist)]
        return ("supervision_tasks", {
            "title": title, "content": content, "lead_unit_id": units[0],
            "assist_unit_ids": units[1:], "deadline": _d(today, days), "state": "open",
            "importance": importance, "report_every": report_every,
            "ordered_by": uid(ordered_by) if ordered_by else None, "owner_id": uid(lead),
            "source": {"kind": kind, "text": content if kind != "manual" else ""},
            "milestones": [{"title": "制定工作方案", "due": _d(today, max(1, days // 3))}],
            "created_at": _t(today, 0, 1), "started_on": today.isoformat(),
            "last_reports": {}, "chased": {},
            "audience_units": units, "audience_roles": ["supervisor"],
            "audience_users": [uid(ordered_by)] if ordered_by else [],
        })

    return [
        task("市长批示：加快推进洪阳镇防洪堤加固工程",
             "请洪阳镇抓紧推进，汛前完成主体工程，流沙东街道做好物资保障，每周报送进展。——陈志强",
             "lianghaitao", ["lizhiming"], 24, ordered_by="chenzhiqiang", kind="instruction",
             importance="重大"),
        task("落实政务服务“一网通办”年度重点任务",
             "各牵头科室按月报送进展，逾期未办结的予以通报。", "zhengxiaoyan", ["lixiaolong"], 2,
             report_every="monthly"),
        task("常务会议决定：梅塘镇农村生活污水治理", "市政府第十一次常务会议研究决定：梅塘镇年底前完成"
             "农村生活污水治理设施建设，市财政局保障资金。", "zhangjianguo", ["weiguoqiang"], 45,
             ordered_by="linhuimin", kind="minutes", importance="重要"),
    ]
