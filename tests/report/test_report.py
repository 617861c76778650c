"""The self-contained HTML report: escaping, offline-only markup, ordering, atomic write."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assay.core.errors import AssayError
from assay.core.results import LeaderboardRow, SampleView
from assay.report import ReportData, RunInfo, render_html_report, write_html_report
from assay.report.charts import chart_svg, check_svg, leaderboard_chart

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
EVIL_MODEL = f"evil{SCRIPT}"
EVIL_MODEL_2 = f"bad{IMG}"
LINK_ATTRIBUTES = {
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "data",
    "background",
}


class _TagCollector(HTMLParser):
    """Every start tag with its attributes, plus the text of each leaderboard body row's model cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.leaderboard_models: list[str] = []
        self._in_leaderboard = False
        self._in_model_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table" and attributes.get("id") == "leaderboard":
            self._in_leaderboard = True
        if self._in_leaderboard and tag == "td" and attributes.get("class") == "model":
            self._in_model_cell = True
            self.leaderboard_models.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_leaderboard = False
        if tag == "td":
            self._in_model_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_model_cell:
            self.leaderboard_models[-1] += data


def _collect(html: str) -> _TagCollector:
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    return collector


def _report_data() -> ReportData:
    tasks = ("arith", f"qa{SCRIPT}")
    rows = (
        LeaderboardRow("plain-model", tasks[0], "exact_match", 0.40, 0.05, 50, 0),
        LeaderboardRow("plain-model", tasks[1], "f1", 0.30, None, 50, 2),
        LeaderboardRow(EVIL_MODEL, tasks[0], "exact_match", 0.80, 0.04, 50, 1),
        LeaderboardRow(EVIL_MODEL, tasks[1], "f1", 0.65, 0.06, 50, 0),
        LeaderboardRow(EVIL_MODEL_2, tasks[0], "exact_match", 0.60, 0.05, 50, 0),
        LeaderboardRow(EVIL_MODEL_2, tasks[1], "f1", 0.50, 0.05, 50, 0),
    )
    run = RunInfo(
        run_id="run-1",
        created_at="2025-01-02T03:04:05Z",
        status="completed",
        models=("plain-model", EVIL_MODEL, EVIL_MODEL_2),
        tasks=tasks,
        prompt_modes=((tasks[0], "chat"), (tasks[1], "completion")),
        duration_s=125.0,
        requests_sent=300,
        cached=12,
        errors=3,
    )
    samples = (
        SampleView(EVIL_MODEL, tasks[0], "s-1", f"What is 2+2? {SCRIPT}", f"4 {IMG}", "4", "4", 1.0, None),
        SampleView("plain-model", tasks[0], "s-1", f"prompt {IMG}", SCRIPT, SCRIPT, "4", 0.0, None),
        SampleView("plain-model", tasks[1], "s-9", "q", None, None, "a", None, f"timeout {SCRIPT}"),
    )
    # Given out of order on purpose: the report must rank by value, best first.
    mwr = (("plain-model", 0.0), (EVIL_MODEL, 1.0), (EVIL_MODEL_2, 0.5))
    return ReportData("Eval <b>report</b>", "2025-01-02 03:10 UTC", (run,), rows, mwr, samples)


@pytest.fixture(scope="module")
def html() -> str:
    return render_html_report(_report_data())


def test_untrusted_text_is_escaped_everywhere(html: str) -> None:
    assert SCRIPT_ESCAPED in html
    assert IMG_ESCAPED in html
    assert "Eval &lt;b&gt;report&lt;/b&gt;" in html
    assert "<script>alert" not in html.lower()
    assert "<img" not in html.lower()
    for tag, attributes in _collect(html).tags:
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        if tag == "script":  # only inert data blocks, never code
            assert attributes == {"type": "application/json", "id": "chart-spec"}


def test_page_is_self_contained(html: str) -> None:
    tags = _collect(html).tags
    for tag, attributes in tags:
        for name in LINK_ATTRIBUTES & attributes.keys():
            value = (attributes[name] or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
    assert not [tag for tag, _ in tags if tag in {"link", "iframe", "object", "embed", "img"}]
    csp = [
        a.get("content") for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]


def test_chart_svg_is_inlined_and_spec_embedded(html: str) -> None:
    assert "<svg" in html
    start = html.index('<script type="application/json" id="chart-spec">') + len(
        '<script type="application/json" id="chart-spec">'
    )
    spec = json.loads(html[start : html.index("</script>", start)])
    models = {record["model"] for record in spec["data"]["values"]}
    assert models == {"plain-model", EVIL_MODEL, EVIL_MODEL_2}


def test_leaderboard_ordered_by_mean_win_rate(html: str) -> None:
    assert _collect(html).leaderboard_models == [EVIL_MODEL, EVIL_MODEL_2, "plain-model"]


def test_run_summary_shows_prompt_modes_and_counts(html: str) -> None:
    assert 'arith <span class="pm">(chat)</span>' in html
    assert f'qa{SCRIPT_ESCAPED} <span class="pm">(completion)</span>' in html
    assert "2 m 05 s" in html
    for count in ("300", "12"):
        assert f'<td class="num">{count}</td>' in html


def test_examples_show_each_sample_in_details(html: str) -> None:
    assert html.count('<details class="sample">') == 3
    assert '<span class="badge error">error</span>' in html
    assert f"timeout {SCRIPT_ESCAPED}" in html
    assert "0.800" in html and "± 0.040" in html


def test_empty_report_says_no_results() -> None:
    empty = ReportData("Empty", "now", (), (), (), ())
    html = render_html_report(empty)
    assert "No results" in html
    assert "<svg" not in html
    assert 'id="leaderboard"' not in html


def test_vl_convert_escapes_names_inside_svg() -> None:
    rows = [LeaderboardRow(name, SCRIPT, "acc", 0.5, 0.1, 10, 0) for name in (SCRIPT, IMG, 'q" onload="x')]
    svg = chart_svg(leaderboard_chart(rows))
    assert SCRIPT_ESCAPED in svg
    root = ET.fromstring(svg)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert not tags & {"script", "img", "foreignObject"}
    assert not [n for e in root.iter() for n in e.attrib if n.rsplit("}", 1)[-1].startswith("on")]


@pytest.mark.parametrize(
    "bad",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
        '<path x:href="https://example.com/a"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://example.com/p.svg#a)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
        "<svg><rect></svg>",
    ],
)
def test_check_svg_refuses_active_or_external_content(bad: str) -> None:
    with pytest.raises(ValueError):
        check_svg(bad)


def test_check_svg_accepts_inert_drawing() -> None:
    ok = (
        '<svg xmlns="http://www.w3.org/2000/svg">'
        '<rect clip-path="url(#c)" aria-label="url(x) &lt;b&gt;"/></svg>'
    )
    assert check_svg(ok) == ok


def test_chart_has_error_bars_only_when_stderr_known() -> None:
    with_err = leaderboard_chart([LeaderboardRow("m", "t", "acc", 0.5, 0.1, 10, 0)]).to_dict()
    without = leaderboard_chart([LeaderboardRow("m", "t", "acc", 0.5, None, 10, 0)]).to_dict()
    assert [layer["mark"]["type"] for layer in with_err["layer"]] == ["bar", "rule"]
    assert "layer" not in without


def test_write_creates_parents_and_replaces_atomically(tmp_path: Path) -> None:
    data = _report_data()
    target = tmp_path / "a" / "b" / "report.html"
    assert write_html_report(data, target) == target
    first = target.read_text(encoding="utf-8")
    assert first == render_html_report(data)

    target.write_text("stale and much longer " * 10_000, encoding="utf-8")
    write_html_report(ReportData("Second", "later", (), (), (), ()), target)
    assert "Second" in target.read_text(encoding="utf-8")
    assert "stale" not in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out" / "report.html"
    blocker.mkdir(parents=True)  # a directory where the file should go: os.replace must fail
    (blocker / "keep.txt").write_text("x")
    with pytest.raises(AssayError, match="is a directory"):  # one line for the user, no traceback
        write_html_report(ReportData("T", "now", (), (), (), ()), blocker)
    assert sorted(p.name for p in blocker.parent.iterdir()) == ["report.html"]
    assert (blocker / "keep.txt").read_text() == "x"


def test_lone_surrogate_does_not_break_the_write(tmp_path: Path) -> None:
    sample = SampleView("m", "t", "s", "p", "bad \ud800 text", None, None, None, None)
    path = write_html_report(ReportData("T", "now", (), (), (), (sample,)), tmp_path / "r.html")
    assert "bad ? text" in path.read_text(encoding="utf-8")


def test_report_file_is_readable_by_others_under_the_usual_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = write_html_report(_report_data(), tmp_path / "shared.html")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_run_on_a_tracked_benchmark_is_shown_against_the_state_of_the_art(tmp_path):
    from assay.api.reports import report_data
    from assay.report.html import render_html_report
    from assay.store import Store
    from assay.store.synthetic import seed_run
    from assay.trends import load_default, sota

    with Store.open(tmp_path / "s.db") as store:
        tracked = seed_run(store, ["alpha"], ["gsm8k"], samples=3)
        untracked = seed_run(store, ["alpha"], ["arithmetic_mc"], samples=3, seed=1)
        html = render_html_report(report_data(store, [tracked]))
        plain = render_html_report(report_data(store, [untracked]))
    record = max(sota.sota_series(load_default().results, "GSM8K"), key=lambda p: p.score)
    assert 'class="assay-trends"' in html and f"{record.score:.1f}% by {record.model}" in html
    assert "<svg" in html.split('class="assay-trends"', 1)[1]
    assert 'class="assay-trends"' not in plain
