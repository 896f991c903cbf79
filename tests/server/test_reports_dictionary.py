"""The server keeps "defined once" true: a report template is taken only when every data item in it
is the dictionary's own definition (the version it names); otherwise the push answers, in its
JSON, `dictionary_mismatch` with a message naming each item — and nothing is stored."""

from __future__ import annotations

from oa_client.domain.reports_submission import SAMPLE_TEMPLATES, load_report_templates
from sync.org import fetch_org
from tests.sync.conftest import server, sync_template  # noqa: F401
from tests.sync.support import make_client

TOWN_Q, _MED = load_report_templates(SAMPLE_TEMPLATES)


def _push(client, collection: str, entity_id: str, payload: dict, *, op: str, base_rev: int = 0) -> dict:
    """One op through POST /sync/push; the raw JSON result of that op."""
    body = {"device_id": client.transport.device_id,
            "ops": [{"op_id": op, "kind": "upsert", "entity": collection, "entity_id": entity_id,
                     "base_rev": base_rev, "payload": payload}]}
    resp = client.transport.request("POST", "/sync/push", json_body=body)
    assert resp.headers["content-type"].startswith("application/json")
    [result] = resp.json()["results"]
    return result


def _item(code: str, **changes) -> dict:
    return {**TOWN_Q.item(code).model_dump(mode="json", exclude={"version"}), **changes}


def _template(client, record_id: str, definition: dict, *, op: str, period: str = "2026-Q1") -> dict:
    towns = [u["id"] for u in client.store.records.list("units", limit=100) if u.get("level") in ("乡镇", "township")]
    return _push(client, "report_templates", record_id, {
        "definition": definition, "name": definition["name"], "period": period, "deadline": "2026-04-10",
        "recipients": towns}, op=op)


def _small(*codes: str, version: dict | None = None) -> dict:
    """A one-section template of these sample items (each at `version[code]`, 1 by default)."""
    version = version or {}
    return {"code": "SMALL", "name": "人口小表", "period": "quarterly",
            "data_items": [{**TOWN_Q.item(c).model_dump(mode="json"), "version": version.get(c, 1)} for c in codes],
            "sections": [{"key": "s", "title": "人口", "items": [{"code": c} for c in codes]}]}


def test_a_template_whose_items_differ_from_the_dictionary_is_refused_with_a_json_code(server, tmp_path):  # noqa: F811
    city = make_client(server, tmp_path, "lixiaolong")  # 市政务服务数据管理局 keeps the dictionary
    fetch_org(city.store, city.transport)
    for code in ("POP_TOTAL", "POP_MALE", "POP_FEMALE"):
        assert _push(city, "data_items", code, _item(code), op=f"item-{code}")["status"] == "applied"

    # an item defined otherwise than the dictionary (another unit of measure): refused, nothing stored
    differs = _small("POP_TOTAL", "POP_MALE")
    differs["data_items"][1]["unit"] = "万人"
    result = _template(city, "tpl-differs", differs, op="t1")
    assert (result["status"], result["code"]) == ("rejected", "dictionary_mismatch")
    assert result["message"] == ("报表中的数据项与数据项目录不一致：数据项“POP_MALE”（男性人口）与目录中的第1版定义不一致，"
                                 "请从目录重新选取")
    # an item the dictionary does not hold
    unknown = _small("POP_TOTAL", "GRAIN_AREA")
    result = _template(city, "tpl-unknown", unknown, op="t2")
    assert (result["status"], result["code"]) == ("rejected", "dictionary_mismatch")
    assert "数据项“GRAIN_AREA”（粮食播种面积）不在数据项目录中" in result["message"]
    # a version the dictionary never had
    result = _template(city, "tpl-v9", _small("POP_TOTAL", version={"POP_TOTAL": 9}), op="t3")
    assert (result["status"], result["code"]) == ("rejected", "dictionary_mismatch")
    city.engine.sync()
    assert city.store.records.list("report_templates", limit=100, where={"unit_id": city.transport.user["unit"]["id"]}) == []

    # exactly the dictionary's items: taken
    ok = _template(city, "tpl-ok", _small("POP_TOTAL", "POP_MALE", "POP_FEMALE"), op="t4")
    assert ok["status"] == "applied", ok["message"]

    # the item is revised (version 2): a template of version 1 still names a version the dictionary keeps
    city.engine.sync()
    rev = city.store.records.get("data_items", "POP_MALE")["rev"]
    assert _push(city, "data_items", "POP_MALE", _item("POP_MALE", unit="名"), op="item-rev",
                 base_rev=rev)["status"] == "applied"
    city.engine.sync()
    assert city.store.records.get("data_items", "POP_MALE")["version"] == 2
    assert _template(city, "tpl-v1", _small("POP_TOTAL", "POP_MALE"), op="t5")["status"] == "applied"
    v2 = _small("POP_TOTAL", "POP_MALE", version={"POP_MALE": 2})
    v2["data_items"][1]["unit"] = "名"
    assert _template(city, "tpl-v2", v2, op="t6")["status"] == "applied"
    stale = _small("POP_TOTAL", "POP_MALE", version={"POP_MALE": 2})  # version 2 with version 1's definition
    assert _template(city, "tpl-stale", stale, op="t7")["code"] == "dictionary_mismatch"


def test_a_retired_item_stays_in_its_templates_but_no_new_one_takes_it(server, tmp_path):  # noqa: F811
    city = make_client(server, tmp_path, "lixiaolong")
    fetch_org(city.store, city.transport)
    for code in ("POP_TOTAL", "POP_MALE"):
        _push(city, "data_items", code, _item(code), op=f"item-{code}")
    definition = _small("POP_TOTAL", "POP_MALE")
    assert _template(city, "tpl-old", definition, op="t1")["status"] == "applied"
    city.engine.sync()
    rev = city.store.records.get("data_items", "POP_MALE")["rev"]
    retired = _push(city, "data_items", "POP_MALE", {**_item("POP_MALE"), "retired": True}, op="retire", base_rev=rev)
    assert retired["status"] == "applied"
    city.engine.sync()
    assert city.store.records.get("data_items", "POP_MALE")["retired"] is True
    assert city.store.records.get("data_items", "POP_MALE")["version"] == 1  # retiring is not a new definition

    result = _template(city, "tpl-new", {**definition, "code": "NEW"}, op="t2")
    assert (result["code"], "已停用" in result["message"]) == ("dictionary_mismatch", True)
    # the template that already used it is issued for its next period as before
    current = city.store.records.get("report_templates", "tpl-old")
    body = {"device_id": city.transport.device_id, "ops": [{
        "op_id": "t3", "kind": "upsert", "entity": "report_templates", "entity_id": "tpl-old",
        "base_rev": current["rev"], "payload": {"definition": definition, "name": definition["name"],
                                                "period": "2026-Q2", "deadline": "2026-07-10",
                                                "recipients": current["recipients"]}}]}
    [again] = city.transport.request("POST", "/sync/push", json_body=body).json()["results"]
    assert again["status"] == "applied", again
