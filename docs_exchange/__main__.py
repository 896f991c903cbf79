"""Command line: `python -m docs_exchange import|render|verify …`.

    python -m docs_exchange import FILE.txt|FILE.docx -o doc.json
    python -m docs_exchange render doc.json --pdf OUT.pdf --docx OUT.docx [--format 信函|命令|纪要]
    python -m docs_exchange verify …          (see docs_exchange/cli_verify.py)
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

if not sys.warnoptions:  # users read our messages, not the libraries' deprecation notices
    warnings.simplefilter("ignore")

from docs_exchange import cli_verify  # (pyhanko warns on import: after the filter)
from docs_exchange.model import FORMATS, validate_document
from oa_client.errors import OAError
from oa_client.i18n import _


def _import(args: argparse.Namespace) -> int:
    from docs_exchange.importer import import_file

    result = import_file(path=Path(args.file))
    data = result.document.model_dump(mode="json", exclude_defaults=False)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if args.output in (None, "-"):
        print(text)
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    levels = sorted({level for _i, level in result.headings})
    print(
        _("已导入：{title}（{n} 段正文，{a} 个附件，标题层级 {levels}）").format(
            title=result.document.title, n=len(result.document.body),
            a=len(result.document.attachments), levels=levels,
        ),
        file=sys.stderr,
    )
    return 0


def _render(args: argparse.Namespace) -> int:
    from docs_exchange.docx_writer import render_docx
    from docs_exchange.pdf import render_pdf

    try:
        data = json.loads(Path(args.document).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(_("无法读取公文 JSON 文件：{path}").format(path=args.document), exc, file=sys.stderr)
        return 2
    doc = validate_document(data)
    if not (args.pdf or args.docx):
        print(_("请用 --pdf 或 --docx 指定输出文件"), file=sys.stderr)
        return 2
    if args.pdf:
        result = render_pdf(doc, format=args.format)
        Path(args.pdf).write_bytes(result.pdf)
        print(_("已生成 PDF：{path}，共 {n} 页").format(path=args.pdf, n=result.page_count))
        for sub in result.font_substitutions:
            print(
                _("字体替代：{wanted} 未安装，使用 {used}").format(wanted=sub.wanted, used=sub.used),
                file=sys.stderr,
            )
        if result.missing_glyphs:
            chars = "".join(sorted({m.char for m in result.missing_glyphs}))
            print(_("字体缺字（已用其他字体显示）：{chars}").format(chars=chars), file=sys.stderr)
    if args.docx:
        Path(args.docx).write_bytes(render_docx(doc, format=args.format))
        print(_("已生成 DOCX：{path}").format(path=args.docx))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with the import, render and (when present) verify subcommands."""
    parser = argparse.ArgumentParser(prog="python -m docs_exchange", description=_("公文格式工具"))
    subparsers = parser.add_subparsers(dest="command", required=True)
    p = subparsers.add_parser("import", help=_("把文本或 DOCX 公文导入为公文要素 JSON"))
    p.add_argument("file")
    p.add_argument("-o", "--output", help=_("输出的 JSON 文件（缺省输出到屏幕）"))
    p.set_defaults(func=_import)
    p = subparsers.add_parser("render", help=_("按 GB/T 9704 排版生成 PDF 和 DOCX"))
    p.add_argument("document")
    p.add_argument("--pdf")
    p.add_argument("--docx")
    p.add_argument("--format", choices=FORMATS)
    p.set_defaults(func=_render)
    cli_verify.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; errors print as one plain message and exit 1."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except OAError as exc:
        print(exc.message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
