"""Chinese government-style text for benchmarks: fixture documents when present, else built in.

The fixtures are found beside the checkout (`../shared/fixtures/documents`), or where
`OA_BENCH_FIXTURES` says: a copy of the tree elsewhere (an A/B against an older commit)
must point there too, or it measures other text. Suites that use the corpus name its
source in their metrics (`corpus`), so two runs on different text cannot pass for a pair.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "documents"


def fixtures_dir() -> Path:
    """Where the fixture documents are looked for (`OA_BENCH_FIXTURES` overrides)."""
    return Path(os.environ.get("OA_BENCH_FIXTURES") or FIXTURES)


def source() -> str:
    """What the corpus is made of: "fixtures:<n files>" or "built-in"."""
    found = sorted(fixtures_dir().glob("*.txt"))  # none when the directory is missing
    return f"fixtures:{len(found)}" if found else "built-in"

_BUILTIN = (
    "为深入贯彻落实党中央国务院关于加强数字政府建设的决策部署，进一步提升政务服务效能。"
    "各乡镇人民政府、各街道办事处要高度重视，切实加强组织领导，压实工作责任。"
    "市政务服务数据管理局负责统筹推进全市政务数据共享和一网通办工作。"
    "财政局要做好预算执行和资金保障，确保各项惠民政策落实到位。"
    "人力资源和社会保障局要加强就业服务，完善社会保险经办流程。"
    "教育局要推进义务教育优质均衡发展，做好学校安全工作。"
    "应急管理局要做好防汛防台风和安全生产大检查，及时消除隐患。"
    "会议研究了下半年重点工作安排，明确了责任单位和完成时限。"
    "请各单位于每月五日前报送工作进展情况，逾期未报的予以通报。"
    "推进一网统管、一网协同，建设城市运行管理中心和基层治理平台。"
)


def sentences() -> list[str]:
    """Sentences from the fixture documents (or the built-in text)."""
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(fixtures_dir().glob("*.txt")))
    text = text or _BUILTIN * 3
    parts = [s.strip() + "。" for s in re.split(r"[。！？\n]", text) if len(s.strip()) >= 8]
    return parts


class Corpus:
    """Deterministic titles, bodies and queries of realistic Chinese."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.sents = sentences()
        han = re.compile(r"[\u4e00-\u9fff]+")
        words: list[str] = []
        for s in self.sents:
            words.extend(han.findall(s))
        self.runs = [w for w in words if len(w) >= 4]

    def title(self) -> str:
        """A 公文 title."""
        kind = self.rng.choice(["通知", "报告", "请示", "意见", "函", "通报", "纪要"])
        return f"关于{self.rng.choice(self.runs)[:12]}的{kind}"

    def body(self, chars: int = 300) -> str:
        """A body of about `chars` characters."""
        out, n = [], 0
        while n < chars:
            s = self.rng.choice(self.sents)
            out.append(s)
            n += len(s)
        return "".join(out)

    def query(self, length: int) -> str:
        """A query of `length` Chinese characters that occurs in the text."""
        run = self.rng.choice([r for r in self.runs if len(r) >= length] or self.runs)
        start = self.rng.randrange(0, len(run) - length + 1)
        return run[start : start + length]
