"""Traditional → simplified folding of the characters the 公文 recognisers read, one for one.

A paper-born 公文 (scanned and recognised, or typed long ago) may be in 繁体字:
黃政辦發〔2020〕7號, 關於…的通知, 印發. The importer keeps such text as written and
only *recognises* it through `fold`, which maps the few characters its patterns
look at and leaves every other character alone. Each character maps to exactly one,
so a match in the folded text is at the same place in the original.

A full converter (OpenCC) would bring a dictionary package and phrase rules that
change the length of the text; the recognisers need neither.
"""

from __future__ import annotations

# simplified: traditional forms (several where 繁体 has variants)
_FORMS = {
    # 发文字号, 标题, 文种 (决议 决定 公报 意见 通报 报告 请示 批复 议案 纪要) and title endings
    "号": "號", "发": "發", "关": "關", "于": "於", "办": "辦", "决": "決", "议": "議",
    "报": "報", "见": "見", "请": "請", "复": "復覆", "纪": "紀", "规": "規", "划": "劃",
    "细": "細", "则": "則",
    # 主送 (单位 部门 办事处 委员会 厅), 署名, 附件说明, 版记 (印发)
    "单": "單", "门": "門", "处": "處", "员": "員", "会": "會", "厅": "廳", "说": "說",
    # 政府信息公开 metadata and web-page furniture
    "编": "編", "机": "機", "构": "構", "布": "佈", "开": "開", "范": "範", "围": "圍",
    "题": "題", "类": "類", "来": "來", "时": "時", "间": "間", "浏": "瀏", "览": "覽",
    "数": "數", "阅": "閱", "读": "讀", "点": "點", "击": "擊", "体": "體", "页": "頁",
    "闭": "閉", "当": "當", "现": "現", "户": "戶", "网": "網", "载": "載", "扫": "掃",
    "节": "節",
}
_TABLE = str.maketrans({trad: simp for simp, forms in _FORMS.items() for trad in forms})


def fold(text: str) -> str:
    """`text` with the recognisers' traditional characters in their simplified form (same length)."""
    return text.translate(_TABLE)
