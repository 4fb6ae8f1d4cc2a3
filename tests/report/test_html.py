"""The HTML report without a browser: what it shows of a v1 document (header, shared scales,
small cells, nulls, outages, 52 weeks) and that it stays one inert file (no script, nothing
fetched, every value escaped)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from bot.report.html import GROUPS, render_html
from bot.report.html_chart import LABEL_SPACING, LEFT, PLOT_W
from bot.report.html_values import count_scale
from tests.report.html_documents import document, with_gaps


class Page(HTMLParser):
    """Every element of the page, with the chart (aria-label of its <svg>) it belongs to."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict[str, Any]] = []
        self.svg: str | None = None
        self.open: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {"tag": tag, "attrs": dict(attrs), "svg": self.svg, "text": ""}
        if tag == "svg":
            self.svg = found["svg"] = dict(attrs)["aria-label"]
        self.elements.append(found)
        self.open.append(found)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg = None
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1]["text"] += data

    def in_chart(self, label: str, cls: str) -> list[dict[str, Any]]:
        return [
            e for e in self.elements
            if e["svg"] == f"{label} per week" and cls in e["attrs"].get("class", "").split()
        ]  # fmt: skip


def _height(page: Page, label: str, index: int = 0) -> float:
    return float(page.in_chart(label, "bar")[index]["attrs"]["height"])


HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&amp; post-stroke"


def test_a_hostile_program_name_is_shown_as_text_never_as_markup() -> None:
    doc = document(8, program=HOSTILE)
    doc["weeks"][0]["urgent"] = "<img src=http://evil.example/x>"  # a string where a count was
    doc["weeks"][1]["week"] = "<marquee>not a date</marquee>"
    page_text = render_html(doc)
    page = Page(page_text)
    tags = {e["tag"] for e in page.elements}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link", "marquee"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page_text
    program = next(e for e in page.elements if e["tag"] == "dd")
    assert program["text"] == HOSTILE
    assert any(e["text"] == "<img src=http://evil.example/x>" for e in page.elements)
    assert any(
        e["text"] == "<marquee>not a date</marquee>" for e in page.elements if e["tag"] == "th"
    )


def test_the_page_has_no_script_and_fetches_nothing() -> None:
    html = render_html(with_gaps(document(52, program=HOSTILE)))
    page = Page(html)
    assert "<script" not in html.lower()
    links = [v for e in page.elements for k, v in e["attrs"].items() if k in ("src", "href")]
    assert not [v for v in links if v and re.match(r"\s*(https?:|//)", v)]
    assert not re.search(r"https?://|url\(", html)
    policy = next(
        e["attrs"]["content"] for e in page.elements
        if e["tag"] == "meta" and e["attrs"].get("http-equiv") == "Content-Security-Policy"
    )  # fmt: skip
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert not any(k.startswith("on") for e in page.elements for k in e["attrs"])


def test_the_header_says_program_period_and_when_it_was_made() -> None:
    header = [e["text"] for e in Page(render_html(document(8))).elements if e["tag"] == "dd"]
    assert header[0] == "post-stroke-weekly"
    assert header[1].startswith("12 Oct 2026 to 6 Dec 2026 (8 weeks;")
    assert header[2] == "2 Dec 2026, 06:00 UTC"
    everyone = Page(render_html(document(8, program=None)))
    assert next(e["text"] for e in everyone.elements if e["tag"] == "dd") == "all programs"


def test_a_bar_of_5_is_five_times_a_bar_of_1_across_charts_of_one_kind() -> None:
    doc = document(8)
    doc["weeks"][0] |= {"sent": 5, "failed": 1, "delivery_rate": 0.5, "reply_share": 0.1}
    page = Page(render_html(doc))
    assert _height(page, "sent") == pytest.approx(5 * _height(page, "failed"), rel=1e-3)
    assert _height(page, "delivery rate") == pytest.approx(
        5 * _height(page, "reply share"), rel=1e-3
    )
    # every reminder chart has the same axis; every share chart runs from 0 to 100%
    for kind in ("Reminders", "Patients", "Shares"):
        figures = next(f for heading, _, f in GROUPS if heading == kind)
        axes = {tuple(e["text"] for e in page.in_chart(label, "y")) for _, label, _ in figures}
        assert len(axes) == 1, kind
    assert [e["text"] for e in page.in_chart("reply share", "y")] == [
        "0%", "25%", "50%", "75%", "100%"
    ]  # fmt: skip


def test_the_top_of_a_scale_is_never_below_the_largest_value() -> None:
    for largest in (1, 4, 5, 7, 9, 10, 11, 99, 101, 1234, 98765):
        scale = count_scale([0, largest / 2, largest])
        assert scale.top >= largest and scale.ticks[-1] == scale.top and 2 <= len(scale.ticks) <= 5
    page = Page(render_html(document(8)))
    for label in ("due", "sent"):
        top = float(page.in_chart(label, "bar")[0]["attrs"]["y"])
        assert top >= 10  # inside the plot, under its top margin


def test_small_cells_nulls_and_an_outage_are_marked_never_drawn_as_0() -> None:
    page = Page(render_html(with_gaps(document(8))))
    small, null = page.in_chart("urgent", "small"), page.in_chart("delivery rate", "null")
    assert len(small) == 1 and len(page.in_chart("urgent", "bar")) == 6  # 8 weeks, 1 outage
    assert [e["text"] for e in page.in_chart("urgent", "mark")] == ["<5"]
    assert len(null) == 1  # the last week's; the outage week's null is the outage's mark
    assert len(page.in_chart("reply share", "small")) == 1
    for _, _, figures in GROUPS:
        for _, label, _ in figures:
            assert len(page.in_chart(label, "outage")) == 1, label
    values = [float(e["attrs"]["data-value"]) for e in page.elements if "data-value" in e["attrs"]]
    assert values and min(values) > 0  # a 0 has no bar, a "<5" or null neither
    cells = {(e["attrs"].get("class"), e["text"]) for e in page.elements if e["tag"] == "td"}
    assert ("small", "<5") in cells and ("null", "n/a") in cells
    assert any("outage" in e["attrs"].get("class", "") for e in page.elements if e["tag"] == "tr")


def test_52_weeks_fit_their_charts_with_labels_that_never_meet() -> None:
    page = Page(render_html(with_gaps(document(52))))
    slots = page.in_chart("sent", "bar") + page.in_chart("sent", "gap")
    slots += page.in_chart("sent", "outage")
    assert len(slots) == 52
    for bar in page.in_chart("sent", "bar"):
        x, width = float(bar["attrs"]["x"]), float(bar["attrs"]["width"])
        assert LEFT <= x and x + width <= LEFT + PLOT_W and width >= 3
    xs = [float(e["attrs"]["x"]) for e in page.in_chart("sent", "x")]
    assert 5 <= len(xs) and all(b - a >= LABEL_SPACING for a, b in zip(xs, xs[1:], strict=False))
    assert [e["text"] for e in page.in_chart("sent", "year")] == ["2025", "2026"]
    assert len([e for e in page.elements if e["tag"] == "tr"]) >= 53  # every week in the table


def test_the_table_scrolls_in_its_own_box() -> None:
    html = render_html(document(52))
    assert re.search(r'<div class="scroll"><table class="weeks">', html)
    assert re.search(r"\.scroll\{overflow:auto;max-width:100%;[^}]*max-height:", html)


def test_a_document_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="version 1"):
        render_html(document(8) | {"version": 2})
