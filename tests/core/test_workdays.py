"""The official working-day calendar: shipped tables, 调休, deadline lights with an injected clock."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oa_client import i18n
from oa_client.domain.workdays import (
    CALENDARS_DIR,
    Light,
    WorkdayCalendar,
    add_workdays,
    check_deadline,
    deadline_light,
    is_workday,
    light_label,
    load_year_file,
    parse_year_table,
    shipped_calendar,
    workdays_between,
)
from oa_client.errors import ValidationError

D = date.fromisoformat


def test_shipped_tables_cover_2025_and_2026_and_name_their_source() -> None:
    cal = shipped_calendar()
    assert sorted(cal.tables) == [2025, 2026]
    assert "国办发明电〔2024〕12号" in cal.tables[2025].source
    assert "2025年11月4日" in cal.tables[2026].source
    for path in CALENDARS_DIR.glob("cn-workdays-*.json"):
        table = load_year_file(path)
        assert parse_year_table(table.to_data()) == table  # admin export → import is lossless


def test_national_day_golden_week_2025_with_its_make_up_days() -> None:
    assert is_workday(D("2025-09-28"))  # Sunday, 调休上班
    assert all(not is_workday(D("2025-10-01") + timedelta(days=i)) for i in range(8))
    assert is_workday(D("2025-10-11"))  # Saturday, 调休上班
    assert not is_workday(D("2025-10-12"))
    assert shipped_calendar().holiday_name(D("2025-10-06")) == "国庆节、中秋节"
    assert add_workdays(D("2025-09-26"), 1) == D("2025-09-28")
    assert add_workdays(D("2025-09-30"), 1) == D("2025-10-09")
    assert add_workdays(D("2025-09-30"), 3) == D("2025-10-11")
    assert add_workdays(D("2025-10-09"), -1) == D("2025-09-30")
    assert add_workdays(D("2025-10-03"), 0) == D("2025-10-03")
    # 09-28, 09-29, 09-30, 10-09, 10-10, 10-11
    assert workdays_between(D("2025-09-26"), D("2025-10-12")) == 6
    assert workdays_between(D("2025-10-12"), D("2025-09-26")) == -6


def test_2026_arrangement() -> None:
    assert not is_workday(D("2026-01-02")) and is_workday(D("2026-01-04"))
    assert is_workday(D("2026-02-14")) and is_workday(D("2026-02-28"))
    assert not is_workday(D("2026-02-23"))  # 正月初七, Monday
    assert is_workday(D("2026-09-20")) and is_workday(D("2026-10-10"))
    assert not is_workday(D("2026-09-25"))  # 中秋节, Friday
    assert add_workdays(D("2026-09-30"), 1) == D("2026-10-08")


def test_years_without_a_table_count_monday_to_friday() -> None:
    cal = shipped_calendar()
    assert not cal.covers(D("2030-10-01"))
    assert cal.is_workday(D("2030-10-01"))  # a Tuesday; no arrangement known
    assert not cal.is_workday(D("2030-10-05"))


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=D("2025-01-01"), max_value=D("2026-12-31")),
    n=st.integers(min_value=0, max_value=40),
)
def test_add_workdays_and_workdays_between_agree(start: date, n: int) -> None:
    end = add_workdays(start, n)
    assert workdays_between(start, end) == n
    if n:
        assert is_workday(end)
        if is_workday(start):
            assert add_workdays(end, -n) == start


def test_lights_turn_yellow_then_red_across_the_holiday_week() -> None:
    deadline = D("2025-10-10")
    days = [D("2025-09-22") + timedelta(days=i) for i in range(22)]
    lights = {d: deadline_light(deadline=deadline, today=d) for d in days}
    first_yellow = min(d for d, light in lights.items() if light is Light.YELLOW)
    first_red = min(d for d, light in lights.items() if light is Light.RED)
    # eleven calendar days before the deadline, but only 3 working days are left
    assert first_yellow == D("2025-09-29")
    assert lights[D("2025-09-28")] is Light.GREEN  # the make-up Sunday counts as a workday
    assert all(lights[d] is Light.YELLOW for d in days if first_yellow <= d <= deadline)
    assert first_red == D("2025-10-11")
    assert deadline_light(deadline=deadline, today=D("2025-09-26"), warn_days=5) is Light.YELLOW
    assert light_label(Light.RED) == "已逾期"


def test_a_deadline_on_a_holiday_suggests_the_next_workday() -> None:
    check = check_deadline(D("2025-10-03"))
    assert check is not None
    assert check.suggestion == D("2025-10-09")
    assert check.holiday == "国庆节、中秋节"
    assert "2025-10-09" in check.message and "国庆节" in check.message
    weekend = check_deadline(D("2025-11-15"))
    assert weekend is not None and weekend.suggestion == D("2025-11-17") and weekend.holiday is None
    assert check_deadline(D("2025-10-11")) is None  # a make-up Saturday is a fine deadline
    try:
        i18n.set_language("en")
        assert "next working day" in check.message
    finally:
        i18n.set_language("zh_CN")


def _table(**changes: object) -> dict:
    base = {
        "year": 2025, "source": "测试",
        "holidays": [{"name": "国庆节", "from": "2025-10-01", "to": "2025-10-08"}],
        "workdays": [{"date": "2025-09-28", "name": "调休"}],
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": "2025"}, "year"),
        ({"source": ""}, "source"),
        ({"holidays": [{"name": "国庆节", "from": "2025-13-01", "to": "2025-10-08"}]}, "holidays[0]"),
        ({"holidays": [{"name": "国庆节", "from": "2025-10-08", "to": "2025-10-01"}]}, "holidays[0]"),
        ({"holidays": [{"from": "2025-10-01"}]}, "holidays[0]"),
        ({"holidays": [{"name": "国庆节", "from": "2027-10-01"}]}, "holidays[0]"),
        ({"workdays": [{"date": "2025-09-29"}]}, "workdays[0]"),  # a Monday
        ({"workdays": [{"date": "2025-10-04"}]}, "workdays[0]"),  # inside the holiday
        ({"holidays": {"a": 1}}, "holidays"),
    ],
)
def test_a_malformed_table_is_refused_with_the_field(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_year_table(_table(**changes))
    assert err.value.field == field
    assert err.value.message


def test_a_malformed_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "cn-workdays-2027.json"
    bad.write_text('{"year": 2027,', encoding="utf-8")
    with pytest.raises(ValidationError, match="JSON"):
        load_year_file(bad)
    with pytest.raises(ValidationError, match="无法读取"):
        load_year_file(tmp_path / "missing.json")
    bad.write_text(json.dumps([1, 2]), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_year_file(bad)


def test_an_admin_edited_table_changes_the_calendar() -> None:
    table = parse_year_table(_table(holidays=[], workdays=[]))
    cal = WorkdayCalendar([table])
    assert cal.is_workday(D("2025-10-01"))  # the admin removed the holiday
    assert not cal.is_workday(D("2025-09-28"))
