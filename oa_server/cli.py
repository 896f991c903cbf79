"""`oa-server`: serve, migrate, demo, user and unit administration, org import, audit verify."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import string
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from oa_client.errors import NotFoundError, OAError, ValidationError
from oa_server import __version__, audit, crud
from oa_server.config import Settings
from oa_server.db import make_engine, make_sessionmaker
from oa_server.i18n import _
from oa_server.security import password_hasher
from oa_server.sync_models import SyncRecord

EXIT_OK, EXIT_ERROR = 0, 1


def _actor() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"cli:{who}"


def _out(text: str) -> None:
    print(text)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def generate_password() -> str:
    """A random password that passes the strength rule."""
    rng = secrets.SystemRandom()
    alphabet = string.ascii_letters + string.digits
    chars = [rng.choice(alphabet) for _i in range(12)]
    chars += [
        rng.choice(string.ascii_lowercase),
        rng.choice(string.ascii_uppercase),
        rng.choice(string.digits),
        rng.choice("@#%+="),
    ]
    rng.shuffle(chars)
    return "".join(chars)


class Context:
    """Settings plus a lazily migrated database for one CLI run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.effective_database_url)
        self.sessionmaker = make_sessionmaker(self.engine)
        self._migrated = False

    def migrate(self) -> None:
        """Bring the schema up to date; load the keys (moving an older database's secrets out)."""
        from oa_server.main import prepare_keys
        from oa_server.migrate import upgrade

        if self._migrated:
            return
        upgrade(self.engine)
        self.keys = prepare_keys(self.engine, self.settings)
        self.sessionmaker = make_sessionmaker(self.engine, keys=self.keys)
        self._migrated = True

    def session(self) -> Session:
        """A fresh session (schema migrated first)."""
        self.migrate()
        return self.sessionmaker()

    def user_id(self, session: Session, login: str) -> Any:
        """The id of the user with this login, or NotFoundError."""
        user = crud.get_user_by_login(session, login=login)
        if user is None:
            raise NotFoundError(_("用户不存在：{login}").format(login=login))
        return user.id


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n"), False
    return generate_password(), True


# --- commands ------------------------------------------------------------------------


def cmd_migrate(ctx: Context, args: argparse.Namespace) -> int:
    """Apply the packaged migrations."""
    ctx.migrate()
    _out(_("数据库已是最新结构：{url}").format(url=ctx.engine.url.render_as_string()))
    return EXIT_OK


def cmd_serve(ctx: Context, args: argparse.Namespace) -> int:
    """Migrate, then run uvicorn with N workers sharing the database."""
    import uvicorn

    from oa_server import nodelay

    ctx.migrate()
    os.environ.update(ctx.settings.to_env())
    if not sys.warnoptions:  # worker processes start afresh: keep library notices out of them too
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
    jobs = None
    if ctx.settings.jobs:  # the clock-driven jobs in one process beside the workers
        from oa_server.jobs.process import JobsProcess

        jobs = JobsProcess(dict(os.environ)).start()
        os.environ["OA_SERVER_JOBS"] = "false"  # the workers leave them to it
    _out(_("OA 服务器启动：http://{host}:{port}/docs").format(host=args.host, port=args.port))
    try:
        uvicorn.run(
            "oa_server.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            proxy_headers=True,
            server_header=False,
            http=nodelay.PROTOCOL,
            loop="auto",
        )
    finally:
        if jobs is not None:
            jobs.stop()
    return EXIT_OK


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    """Seed the demo org chart and print the sign-in table."""
    from oa_server.demo import DEMO_PASSWORD, demo_users, seed

    with ctx.session() as session:
        report = seed(session, hasher=password_hasher(ctx.settings), actor=_actor())
        session.commit()
    _out(
        _("演示数据：新建单位 {u} 个、科室 {d} 个、用户 {n} 人；已存在而跳过 {s} 项").format(
            u=report.created["unit"],
            d=report.created["department"],
            n=report.created["user"],
            s=sum(report.skipped.values()),
        )
    )
    _seed_catalogue(ctx)
    _out(_("所有演示账号的密码：{password}").format(password=DEMO_PASSWORD))
    for user in demo_users():
        _out(
            f"  {user['login']:<14} {user['name']:<4}  {user['unit']} {user['position']}  "
            f"{','.join(user['roles'])}"
        )  # type: ignore[arg-type]
    return EXIT_OK


def _seed_catalogue(ctx: Context) -> None:
    from oa_server.authority.requests_catalogue import seed_starter
    from oa_server.db import utcnow

    with ctx.session() as session:
        if session.scalar(select(SyncRecord.id).where(SyncRecord.collection == "service_items")):
            return
        result = seed_starter(session, now=utcnow())
        session.commit()
    _out(_("演示事项清单：导入 {n} 个事项").format(n=result["items"]))


def cmd_catalogue_import(ctx: Context, args: argparse.Namespace) -> int:
    """Import the catalogue of service items (事项清单) from a JSON file."""
    from oa_server.authority.requests_catalogue import admin_user, import_catalogue
    from oa_server.db import utcnow

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(_("无法读取文件：{path}").format(path=path), field="file") from exc
    with ctx.session() as session:
        user = admin_user(session)
        if user is None:
            raise NotFoundError(_("没有系统管理员账号，无法导入事项清单"))
        result = import_catalogue(session, data, user=user, now=utcnow())
        session.commit()
    _out(_("事项清单已导入：{n} 个事项，停用 {r} 个旧版本或已删除的事项").format(
        n=result["items"], r=result["retired"]))
    return EXIT_OK


def cmd_user_add(ctx: Context, args: argparse.Namespace) -> int:
    """Open an account."""
    with ctx.session() as session:
        unit = crud.find_unit(session, ref=args.unit)
        if unit is None:
            raise NotFoundError(_("单位不存在：{name}").format(name=args.unit))
        dept_id = None
        if args.department:
            dept = crud.find_department(session, unit_id=unit.id, name=args.department)
            if dept is None:
                raise NotFoundError(_("科室不存在：{name}").format(name=args.department))
            dept_id = dept.id
        password, generated = _read_password(args)
        crud.create_user(
            session,
            actor=_actor(),
            hasher=password_hasher(ctx.settings),
            login=args.login,
            name=args.name,
            unit_id=unit.id,
            department_id=dept_id,
            position=args.position,
            phone=args.phone,
            password=password,
            roles=[r for r in (args.roles or "").split(",") if r],
            must_change=generated,
        )
        session.commit()
    _out(_("已创建用户 {login}").format(login=args.login))
    if generated:
        _out(_("初始密码（只显示这一次）：{password}").format(password=password))
    return EXIT_OK


def _user_op(op: Callable[..., Any], done: str) -> Callable[[Context, argparse.Namespace], int]:
    def run(ctx: Context, args: argparse.Namespace) -> int:
        with ctx.session() as session:
            op(session, actor=_actor(), user_id=ctx.user_id(session, args.login))
            session.commit()
        _out(done.format(login=args.login))
        return EXIT_OK

    return run


def cmd_user_reset_password(ctx: Context, args: argparse.Namespace) -> int:
    """Give a one-time password (read from stdin, or generated and printed once) that must be
    changed at the next sign-in; the only way for the three administrators' own accounts."""
    given = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    with ctx.session() as session:
        _user, password = crud.reset_password(
            session,
            actor=_actor(),
            hasher=password_hasher(ctx.settings),
            user_id=ctx.user_id(session, args.login),
            password=given,
        )
        session.commit()
    _out(_("已重置 {login} 的密码，其所有登录已注销；下次登录时须修改密码").format(login=args.login))
    if given is None:
        _out(_("一次性密码（只显示这一次）：{password}").format(password=password))
    return EXIT_OK


def cmd_user_unlock(ctx: Context, args: argparse.Namespace) -> int:
    """Clear the sign-in delays of a login name (from every source address)."""
    from oa_server import throttle

    with ctx.session() as session:
        count = throttle.clear(session, actor=_actor(), login=args.login)
        session.commit()
    _out(_("已清除 {login} 的登录等待（{n} 个来源地址）").format(login=args.login, n=count))
    return EXIT_OK


def cmd_unit_add(ctx: Context, args: argparse.Namespace) -> int:
    """Add a unit."""
    with ctx.session() as session:
        parent_id = None
        if args.parent:
            parent = crud.find_unit(session, ref=args.parent)
            if parent is None:
                raise NotFoundError(_("上级单位不存在：{name}").format(name=args.parent))
            parent_id = parent.id
        unit = crud.create_unit(
            session,
            actor=_actor(),
            name=args.name,
            level=args.level,
            doc_code=args.doc_code,
            parent_id=parent_id,
        )
        for name in args.departments or []:
            crud.create_department(session, actor=_actor(), unit_id=unit.id, name=name)
        session.commit()
    _out(_("已创建单位 {name}").format(name=args.name))
    return EXIT_OK


def cmd_import_org(ctx: Context, args: argparse.Namespace) -> int:
    """Import an org chart file in one transaction."""
    from oa_server.orgimport import import_file

    with ctx.session() as session:
        report = import_file(
            session,
            actor=_actor(),
            hasher=password_hasher(ctx.settings),
            path=Path(args.file),
            skip_existing=args.skip_existing,
        )
        session.commit()
    _out(
        _("导入完成：单位 {u} 个、科室 {d} 个、用户 {n} 人").format(
            u=report.created["unit"], d=report.created["department"], n=report.created["user"]
        )
    )
    return EXIT_OK


def cmd_audit_verify(ctx: Context, args: argparse.Namespace) -> int:
    """Check the keyed audit chain (and the checkpoints an auditor kept); non-zero naming the first bad row."""
    from oa_server import audit_checkpoints

    expect = None
    if args.expect_head:
        seq, _sep, digest = args.expect_head.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise ValidationError(_("--expect-head 的格式应为 序号:哈希"), field="expect_head")
        expect = (int(seq), digest.lower())
    given: list[audit_checkpoints.Checkpoint] = []
    if args.checkpoints:
        given = _read_checkpoints(args.checkpoints)
    with ctx.session() as session:
        result = audit.verify(session, expect_head=expect)
        verdict = audit_checkpoints.verify_against(session, ctx.keys, given) if given else None
    if verdict is not None and not verdict.ok:
        _err(_("审计日志校验失败（第 {seq} 条起）：{message}").format(
            seq=verdict.first_bad_seq if verdict.first_bad_seq is not None else "-", message=verdict.message))
        return EXIT_ERROR
    if result.ok:
        _out(_("审计日志完整：共 {n} 条，哈希链校验通过").format(n=result.checked))
        if verdict is not None:
            _out(verdict.message)
        _out(
            _("末条记录：{seq}:{hash}（记下它，日后可用 --expect-head 发现被截掉的记录）").format(
                seq=result.head_seq, hash=result.head_hash
            )
        )
        return EXIT_OK
    reasons = {
        "missing": _("该条记录缺失"),
        "hash": _("该条记录内容被改动"),
        "prev_hash": _("该条记录与上一条的链接不符"),
        "head": _("该条记录与记下的末条哈希不符"),
        "boundary": _("旧版本记录的终点标记被伪造"),
    }
    _err(
        _("审计日志校验失败：第 {seq} 条记录有问题（{reason}）").format(
            seq=result.bad_seq, reason=reasons.get(result.reason or "", result.reason)
        )
    )
    return EXIT_ERROR


def _read_checkpoints(path: str) -> list[Any]:
    """Checkpoints saved from GET /audit/checkpoints (a JSON list) or `audit checkpoint` (one object)."""
    from oa_server import audit_checkpoints

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(_("无法读取检查点文件：{path}").format(path=path), field="checkpoints") from exc
    items = data if isinstance(data, list) else [data]
    return [audit_checkpoints.Checkpoint.parse(item) for item in items if isinstance(item, dict)]


def cmd_audit_checkpoint(ctx: Context, args: argparse.Namespace) -> int:
    """Sign a checkpoint of the audit chain's head now and print it (JSON) for the auditor to keep."""
    from oa_server import audit_checkpoints

    with ctx.session() as session:
        audit.append(session, actor=_actor(), action="audit.checkpoint_requested", target="audit:log")
        session.flush()
        cp = audit_checkpoints.make_checkpoint(session, ctx.keys)
    _out(json.dumps(cp.as_dict(), ensure_ascii=False))
    return EXIT_OK


def cmd_ca_init(ctx: Context, args: argparse.Namespace) -> int:
    """Create the server's root CA in the data directory (an existing one is kept)."""
    from oa_server.signing.keystore import SigningKeys, root_summary

    keys = SigningKeys(data_dir=ctx.settings.data_dir)
    with ctx.session() as session:
        ca, made = keys.create_ca(
            session=session, settings=ctx.settings, name=args.name, actor=_actor()
        )
    _out(_("已创建根证书") if made else _("根证书已存在，未作改动"))
    for line in root_summary(ca.certificate, folder=keys.ca_dir):
        _out(line)
    return EXIT_OK


def cmd_ca_show(ctx: Context, args: argparse.Namespace) -> int:
    """Print the root certificate: summary, or its PEM with --pem."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from oa_server.signing.keystore import SigningKeys, root_summary

    keys = SigningKeys(data_dir=ctx.settings.data_dir)
    cert = keys.root_certificate()
    if args.pem:
        _out(cert.public_bytes(Encoding.PEM).decode("ascii").rstrip())
        return EXIT_OK
    for line in root_summary(cert, folder=keys.ca_dir):
        _out(line)
    return EXIT_OK


# --- parser --------------------------------------------------------------------------


def cmd_supervision_chase(ctx: Context, args: argparse.Namespace) -> int:
    """Run the clock-driven 催办 pass once now (the server also runs it every morning)."""
    from oa_server.authority.supervision_sweep import service_user
    from oa_server.db import utcnow
    from oa_server.jobs import job_named
    from oa_server.jobs.runs import run_manual
    from oa_server.jobs.scheduler import node_name

    with ctx.session() as session:
        user = service_user(session)
    result = run_manual(ctx.sessionmaker, job_named("supervision.chase"),
                        now=_moment(args.at) or utcnow(), node=node_name(), actor=user,
                        options={"warn_days": args.warn_days}, settings=ctx.settings)
    counts = result.details
    _out(_("催办 {n} 项，状态灯变化 {m} 项，调整牵头单位 {k} 项").format(
        n=counts["chased"], m=counts["lights"], k=counts["reassigned"]))
    return EXIT_OK


def cmd_jobs_list(ctx: Context, args: argparse.Namespace) -> int:
    """The server's scheduled jobs: when each runs and how its last run went."""
    from oa_server.db import utcnow
    from oa_server.jobs import load
    from oa_server.jobs.runs import recent_runs

    with ctx.session() as session:
        now = utcnow()
        for name, job in sorted(load().items()):
            runs = recent_runs(session, job=name, limit=1)
            last = runs[0] if runs else None
            _out(f"{name:<22} {job.schedule.describe():<14} {_(job.title)}")
            if last is None:
                _out("    " + _("尚未运行；本期 {slot}").format(slot=job.schedule.slot(now)))
            else:
                _out("    " + _("上次：{slot} {outcome}，开始 {start}，处理 {n} 条").format(
                    slot=last["slot"], outcome=_(OUTCOMES.get(last["outcome"], last["outcome"])),
                    start=last["started_at"][:19], n=last["touched"]))
    return EXIT_OK


def cmd_jobs_loop(ctx: Context, args: argparse.Namespace) -> int:
    """Run the scheduler in the foreground until stopped (what `serve` starts beside its workers)."""
    from oa_server.db import utcnow
    from oa_server.jobs.process import loop

    ctx.migrate()
    loop(ctx.sessionmaker, settings=ctx.settings, clock=utcnow)
    return EXIT_OK


def cmd_jobs_run(ctx: Context, args: argparse.Namespace) -> int:
    """Run one job now (recorded as a manual run; what it already sent is not sent again)."""
    from oa_server.db import utcnow
    from oa_server.jobs import job_named
    from oa_server.jobs.runs import run_manual
    from oa_server.jobs.scheduler import node_name

    job = job_named(args.name)
    if job is None:
        raise NotFoundError(_("没有名为“{name}”的定时任务").format(name=args.name))
    ctx.migrate()
    result = run_manual(ctx.sessionmaker, job, now=_moment(args.at) or utcnow(),
                        node=node_name(), settings=ctx.settings)
    _out(_("{name}：{outcome}，处理 {n} 条").format(
        name=job.name, outcome=_(OUTCOMES.get(result.outcome, result.outcome)), n=result.touched))
    return EXIT_OK


def _moment(text: str | None) -> Any:
    """`--at`: an ISO time (with its offset; without one, Beijing time) to run a job as of."""
    from datetime import datetime

    from oa_server.jobs import CHINA

    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("--at 的格式应为 2026-09-30T08:00 或带时区的 ISO 时间"),
                              field="at") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=CHINA)


OUTCOMES = {"ok": "完成", "failed": "失败", "running": "运行中"}
_OUTCOME_IDS = (_("完成"), _("失败"), _("运行中"))


def _common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", default=default, help=_("数据目录（默认按平台约定）"))
    parser.add_argument(
        "--database-url",
        default=default,
        help=_("数据库地址，如 postgresql+psycopg://用户@主机/库；默认数据目录中的 SQLite"),
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `oa-server`."""
    parser = argparse.ArgumentParser(prog="oa-server", description=_("政务协同办公 OA 服务器"))
    parser.add_argument("--version", action="version", version=f"oa-server {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str,
        func: Callable[[Context, argparse.Namespace], int],
        help_text: str,
        parent: Any = sub,
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text)
        _common(p, suppress=True)
        p.set_defaults(func=func)
        return p

    serve = command("serve", cmd_serve, _("启动 HTTP 服务（先自动迁移数据库）"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    command("migrate", cmd_migrate, _("把数据库迁移到最新结构"))
    command("demo", cmd_demo, _("写入普宁市演示数据（可重复执行）"))

    user = sub.add_parser("user", help=_("用户管理")).add_subparsers(dest="user_cmd", required=True)
    add = command("add", cmd_user_add, _("新建用户"), user)
    add.add_argument("login")
    add.add_argument("--name", required=True)
    add.add_argument("--unit", required=True, help=_("单位名称或发文机关代字"))
    add.add_argument("--department")
    add.add_argument("--position")
    add.add_argument("--phone")
    add.add_argument("--roles", help=_("角色代码，逗号分隔"))
    add.add_argument("--password-stdin", action="store_true", help=_("从标准输入读取密码"))
    for name, op, text, done in (
        (
            "disable",
            lambda s, **kw: crud.set_user_active(s, active=False, **kw),
            _("停用用户"),
            _("已停用用户 {login}"),
        ),
        (
            "enable",
            lambda s, **kw: crud.set_user_active(s, active=True, **kw),
            _("启用用户"),
            _("已启用用户 {login}"),
        ),
    ):
        command(name, _user_op(op, done), text, user).add_argument("login")
    command("unlock", cmd_user_unlock, _("清除登录失败后的等待"), user).add_argument("login")
    reset = command("reset-password", cmd_user_reset_password,
                    _("重置密码（一次性密码，下次登录时须修改；三员的密码只能这样重置）"), user)
    reset.add_argument("login")
    reset.add_argument("--password-stdin", action="store_true", help=_("从标准输入读取密码"))

    unit = sub.add_parser("unit", help=_("单位管理")).add_subparsers(dest="unit_cmd", required=True)
    uadd = command("add", cmd_unit_add, _("新建单位"), unit)
    uadd.add_argument("name")
    uadd.add_argument("--level", required=True, help=_("市、县、乡镇、村或部门"))
    uadd.add_argument("--doc-code", help=_("发文机关代字，如 普府"))
    uadd.add_argument("--parent", help=_("上级单位名称或代字"))
    uadd.add_argument("--departments", nargs="*", help=_("科室名称"))

    imp = command(
        "import-org", cmd_import_org, _("从 CSV 或 JSON 导入组织架构（全部成功或全部不导入）")
    )
    imp.add_argument("file")
    imp.add_argument("--skip-existing", action="store_true", help=_("跳过已存在的单位和用户"))

    cat = sub.add_parser("catalogue", help=_("事项清单")).add_subparsers(
        dest="catalogue_cmd", required=True
    )
    cat_imp = command("import", cmd_catalogue_import, _("从 JSON 文件导入事项清单（有错误则全部不导入）"), cat)
    cat_imp.add_argument("file")

    aud = sub.add_parser("audit", help=_("审计日志")).add_subparsers(
        dest="audit_cmd", required=True
    )
    verify = command("verify", cmd_audit_verify, _("校验审计日志哈希链"), aud)
    verify.add_argument(
        "--expect-head", metavar="SEQ:HASH", help=_("此前记下的末条记录，用来发现末尾被删除的记录")
    )
    verify.add_argument(
        "--checkpoints", metavar="FILE",
        help=_("审计员保存的检查点（JSON），用来发现被截断或整体改写的日志"),
    )
    command("checkpoint", cmd_audit_checkpoint, _("立即签发审计日志检查点（输出 JSON）"), aud)

    ca = sub.add_parser("ca", help=_("根证书（签发电子印章和个人证书）")).add_subparsers(
        dest="ca_cmd", required=True
    )
    ca_init = command("init", cmd_ca_init, _("创建服务器根证书（已存在则不变）"), ca)
    ca_init.add_argument("--name", help=_("根证书名称（默认按最上级单位命名）"))
    ca_show = command("show", cmd_ca_show, _("显示服务器根证书"), ca)
    ca_show.add_argument("--pem", action="store_true", help=_("输出 PEM 格式的根证书"))

    sup = sub.add_parser("supervision", help=_("督查督办")).add_subparsers(
        dest="supervision_cmd", required=True
    )
    chase = command("chase", cmd_supervision_chase, _("催办：标记未按时报送进展的事项"), sup)
    chase.add_argument("--warn-days", type=int, default=None,
                       help=_("临近期限的工作日数（黄灯；默认按督办设置）"))
    chase.add_argument("--at", help=_("按此时刻运行（补跑错过的一天），如 2026-09-30T08:00"))

    jobs = sub.add_parser("jobs", help=_("定时任务")).add_subparsers(dest="jobs_cmd", required=True)
    command("list", cmd_jobs_list, _("列出定时任务及其上次运行情况"), jobs)
    command("loop", cmd_jobs_loop, _("在前台按时运行定时任务，直到停止（serve 会自动启动它）"), jobs)
    run = command("run", cmd_jobs_run, _("立即运行一个定时任务"), jobs)
    run.add_argument("name", help=_("任务名称，见 oa-server jobs list"))
    run.add_argument("--at", help=_("按此时刻运行（补跑错过的一天），如 2026-09-30T08:00"))
    from oa_server.client_release.cli import add_commands as add_client_commands

    add_client_commands(sub, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `oa-server`; returns the exit status."""
    if not sys.warnoptions:  # operators read our messages, not the libraries' deprecation notices
        warnings.simplefilter("ignore")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(data_dir=args.data_dir, database_url=args.database_url)
        return args.func(Context(settings), args)
    except OAError as exc:
        _err(_("错误：{message}").format(message=exc.message))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR
    except BrokenPipeError:  # output piped into `head` and cut short
        return EXIT_OK
