"""Import an org chart (units, sections, people) from CSV or JSON in one transaction.

JSON: `{"units": [{name, level, doc_code?, parent?, departments?: [..]}],
        "users": [{login, name, unit, department?, position?, phone?, email?, roles?, password?}]}`
CSV (UTF-8 or GB18030, header row): `type,name,login,doc_code,level,parent,unit,department,
position,phone,email,roles,password` with type 单位/unit, 科室/department, 人员/user; roles
separated by `;`. Every bad line is reported (naming it); nothing is imported if any is bad.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from oa_client.errors import NotFoundError, OAError, ValidationError
from oa_server import audit, crud
from oa_server.i18n import _

KINDS = {
    "unit": "unit",
    "单位": "unit",
    "department": "department",
    "科室": "department",
    "user": "user",
    "人员": "user",
    "用户": "user",
}


@dataclass(frozen=True)
class Entry:
    """One thing to import and where it came from (`where` names the line for errors)."""

    where: str
    kind: str
    data: dict[str, Any]


@dataclass
class ImportReport:
    """What an import created and skipped."""

    created: dict[str, int] = field(default_factory=lambda: {"unit": 0, "department": 0, "user": 0})
    skipped: dict[str, int] = field(default_factory=lambda: {"unit": 0, "department": 0, "user": 0})
    #: (kind, "create" | "skip", name, detail) in file order: the preview's lines
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)

    def note(self, kind: str, action: str, name: str, detail: str = "") -> None:
        """Count one entry and keep its line."""
        (self.created if action == "create" else self.skipped)[kind] += 1
        self.changes.append((kind, action, name, detail))


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("文件编码无法识别，请另存为 UTF-8"), field="file")


def _split_roles(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value or "").replace("、", ";").replace("|", ";").replace(",", ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_json(text: str) -> list[Entry]:
    """Entries of a JSON org chart."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("第 {line} 行：JSON 格式错误").format(line=exc.lineno), field="file", line=exc.lineno
        ) from None
    if not isinstance(doc, dict) or not set(doc) <= {"units", "users"}:
        raise ValidationError(_("JSON 顶层应为包含 units 和 users 的对象"), field="file")
    entries: list[Entry] = []
    for key, kind in (("units", "unit"), ("users", "user")):
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise ValidationError(_("{key} 应为列表").format(key=key), field=key)
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, dict):
                entries.append(Entry(where, "invalid", {}))
                continue
            entries.append(Entry(where, kind, dict(item)))
            if kind == "unit":
                for dept in item.get("departments", []) or []:
                    entries.append(
                        Entry(where, "department", {"unit": item.get("name"), "name": dept})
                    )
    return entries


def parse_csv(text: str) -> list[Entry]:
    """Entries of a CSV org chart (line numbers count the header as line 1); lines may end in
    \\n, \\r\\n or a bare \\r (an old Mac export)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    entries: list[Entry] = []
    try:
        if not reader.fieldnames or "type" not in [f.strip() for f in reader.fieldnames]:
            raise ValidationError(_("第 1 行：CSV 缺少表头或 type 列"), field="file", line=1)
        for row in reader:
            line = reader.line_num
            data = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            if not any(data.values()):
                continue
            kind = KINDS.get(data.pop("type", ""), "invalid")
            entries.append(Entry(_("第 {line} 行").format(line=line), kind, data))
    except csv.Error as exc:  # e.g. a field past the csv module's size limit
        line = reader.line_num + 1  # counted once the record is read: this is the next
        raise ValidationError(
            _("第 {line} 行：CSV 格式不正确（引号未闭合、换行有误或内容过长），请检查该行")
            .format(line=line), field="file", line=line) from exc
    return entries


def parse_file(path: Path) -> list[Entry]:
    """Entries of a `.json` or `.csv` file."""
    text = _decode(path.read_bytes())
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return parse_json(text)
    return parse_csv(text)


def _required(data: dict[str, Any], *names: str) -> None:
    for name in names:
        if not str(data.get(name) or "").strip():
            raise ValidationError(_("缺少必填项：{field}").format(field=name), field=name)


def _apply(
    session: Session,
    entry: Entry,
    *,
    actor: str,
    hasher: PasswordHasher,
    skip_existing: bool,
    default_password: str | None,
    report: ImportReport,
    by_admin: bool = False,
) -> None:
    data = entry.data
    if by_admin and str(data.get("password") or "").strip():
        raise ValidationError(_("导入文件不能包含密码：导入后由系统管理员重置，用户得到一次性密码"),
                              field="password")
    if by_admin and _split_roles(data.get("roles")):
        raise ValidationError(_("三员分立：角色由安全保密管理员分配，导入文件不能包含角色"),
                              field="roles")
    if entry.kind == "unit":
        _required(data, "name", "level")
        if skip_existing and crud.find_unit(session, ref=str(data["name"])):
            report.note("unit", "skip", str(data["name"]))
            return
        parent = None
        if str(data.get("parent") or "").strip():
            parent = crud.find_unit(session, ref=str(data["parent"]).strip())
            if parent is None:
                raise ValidationError(
                    _("上级单位不存在：{name}").format(name=data["parent"]), field="parent"
                )
        crud.create_unit(
            session,
            actor=actor,
            name=str(data["name"]),
            level=str(data["level"]),
            doc_code=data.get("doc_code") or None,
            parent_id=parent.id if parent else None,
            sort_order=int(data.get("sort_order") or 0),
        )
        report.note("unit", "create", str(data["name"]).strip(),
                    str(data.get("parent") or "").strip())
    elif entry.kind == "department":
        _required(data, "unit", "name")
        unit = crud.find_unit(session, ref=str(data["unit"]))
        if unit is None:
            raise ValidationError(_("单位不存在：{name}").format(name=data["unit"]), field="unit")
        if crud.find_department(session, unit_id=unit.id, name=str(data["name"])):
            if skip_existing:
                report.note("department", "skip", str(data["name"]), unit.name)
                return
        crud.create_department(session, actor=actor, unit_id=unit.id, name=str(data["name"]))
        report.note("department", "create", str(data["name"]).strip(), unit.name)
    elif entry.kind == "user":
        _required(data, "login", "name", "unit")
        if skip_existing and crud.get_user_by_login(session, login=str(data["login"])):
            report.note("user", "skip", str(data["name"]), str(data["login"]))
            return
        unit = crud.find_unit(session, ref=str(data["unit"]))
        if unit is None:
            raise ValidationError(_("单位不存在：{name}").format(name=data["unit"]), field="unit")
        dept_id = None
        if str(data.get("department") or "").strip():
            dept = crud.find_department(session, unit_id=unit.id, name=str(data["department"]))
            if dept is None:
                raise ValidationError(
                    _("科室不存在：{name}").format(name=data["department"]), field="department"
                )
            dept_id = dept.id
        crud.create_user(
            session,
            actor=actor,
            hasher=hasher,
            login=str(data["login"]),
            name=str(data["name"]),
            unit_id=unit.id,
            department_id=dept_id,
            position=data.get("position") or None,
            phone=data.get("phone") or None,
            email=data.get("email") or None,
            password=data.get("password") or default_password,
            roles=_split_roles(data.get("roles")),
            sort_order=int(data.get("sort_order") or 0),
        )
        report.note("user", "create", str(data["name"]).strip(),
                    f"{str(data['login']).strip().lower()} · {unit.name}")
    else:
        raise ValidationError(_("类型无效，应为 单位、科室 或 人员"), field="type")


def import_entries(
    session: Session,
    *,
    actor: str,
    hasher: PasswordHasher,
    entries: Iterable[Entry],
    skip_existing: bool = False,
    default_password: str | None = None,
    by_admin: bool = False,
) -> ImportReport:
    """Apply every entry in the caller's transaction; any bad entry → ValidationError naming all.

    On error the session is rolled back, so nothing is half-imported. The caller commits (or
    rolls back, for a preview). `by_admin` (the system administrator through the API)
    refuses passwords and roles in the file: 三员分立.
    """
    report = ImportReport()
    problems: list[str] = []
    for entry in entries:
        try:
            with session.begin_nested():
                _apply(
                    session,
                    entry,
                    actor=actor,
                    hasher=hasher,
                    skip_existing=skip_existing,
                    default_password=default_password,
                    report=report,
                    by_admin=by_admin,
                )
        except (ValidationError, NotFoundError) as exc:
            problems.append(f"{entry.where}：{exc.message}")
        except (ValueError, TypeError):
            problems.append(f"{entry.where}：" + _("取值无效"))
    if problems:
        session.rollback()
        raise ValidationError(
            _("组织架构文件有 {n} 处错误，未导入任何内容：").format(n=len(problems))
            + "\n"
            + "\n".join(problems),
            field="file",
            first=problems[0],
            count=len(problems),
        )
    audit.append(
        session,
        actor=actor,
        action="org.import",
        target="org",
        details={"created": report.created, "skipped": report.skipped},
    )
    return report


def import_file(
    session: Session,
    *,
    actor: str,
    hasher: PasswordHasher,
    path: Path,
    skip_existing: bool = False,
    default_password: str | None = None,
) -> ImportReport:
    """Parse and import one file (see the module docstring for the formats)."""
    try:
        entries = parse_file(path)
    except OSError as exc:
        raise ValidationError(_("无法读取文件：{path}").format(path=path), field="file") from exc
    except OAError:
        raise
    return import_entries(
        session,
        actor=actor,
        hasher=hasher,
        entries=entries,
        skip_existing=skip_existing,
        default_password=default_password,
    )
