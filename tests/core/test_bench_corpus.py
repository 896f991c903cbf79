"""The benchmarks' text: the fixture documents where `OA_BENCH_FIXTURES` (or the checkout's
neighbour) points, the built-in text otherwise, and which of the two it was is named."""

from __future__ import annotations

from bench import corpus


def test_the_fixtures_named_by_the_environment_are_the_text_and_are_named(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("各乡镇要做好秋冬季森林防火工作。请于本月底前报送情况。",
                                    encoding="utf-8")
    (tmp_path / "b.txt").write_text("县教育局关于做好寒假安全教育的通知！", encoding="utf-8")
    monkeypatch.setenv("OA_BENCH_FIXTURES", str(tmp_path))
    assert corpus.source() == "fixtures:2"
    assert corpus.sentences() == ["各乡镇要做好秋冬季森林防火工作。", "请于本月底前报送情况。",
                                  "县教育局关于做好寒假安全教育的通知。"]


def test_without_fixtures_the_built_in_text_is_used_and_said(tmp_path, monkeypatch):
    monkeypatch.setenv("OA_BENCH_FIXTURES", str(tmp_path / "missing"))
    assert corpus.source() == "built-in"
    assert corpus.sentences()[0].startswith("为深入贯彻落实党中央国务院")
