"""The dashboard's bar charts: well-formed SVG that fits 320 px, one image to a screen reader with
its title and description, every text escaped, bars in proportion, and nothing drawn below zero."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from torekes.web.admin.charts import HEIGHT, WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _bars(*values: int) -> list[Bar]:
    return [Bar(f"M{index}", value, str(value)) for index, value in enumerate(values)]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to check it is well formed


def test_a_chart_is_one_named_and_described_image_that_fits_a_phone() -> None:
    root = _parse(bar_chart("chart-trk-paid", "Tokens paid", "Per month.", _bars(1, 2, 3)))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-trk-paid-title chart-trk-paid-desc"
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    assert WIDTH <= 320
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert (title.get("id"), title.text) == ("chart-trk-paid-title", "Tokens paid")
    assert (desc.get("id"), desc.text) == ("chart-trk-paid-desc", "Per month.")


def test_bars_are_in_proportion_and_every_bar_is_labelled() -> None:
    root = _parse(bar_chart("c", "t", "d", _bars(0, 50, 100)))
    rects = root.findall(f"{SVG}rect")
    heights = [Decimal(rect.get("height") or "") for rect in rects]
    assert heights[0] == 0
    assert heights[2] == 2 * heights[1]
    assert all(
        Decimal(rect.get("x") or "") + Decimal(rect.get("width") or "") <= WIDTH for rect in rects
    )
    labels = [text.text for text in root.findall(f"{SVG}text")]
    assert labels[0] == "100"  # the scale: the highest bar's figure
    assert labels[1:] == ["M0", "M1", "M2"]
    assert [rect.findtext(f"{SVG}title") for rect in rects] == ["M0: 0", "M1: 50", "M2: 100"]


def test_every_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script> & co'
    svg = bar_chart("c", nasty, nasty, [Bar(nasty, 3, nasty)])
    assert "<script>" not in svg
    root = _parse(svg)
    assert root.findtext(f"{SVG}title") == nasty
    assert root.findtext(f"{SVG}desc") == nasty


def test_nothing_is_drawn_below_zero_and_an_empty_chart_is_still_an_image() -> None:
    root = _parse(bar_chart("c", "t", "d", _bars(-5, 0)))
    assert [rect.get("height") for rect in root.findall(f"{SVG}rect")] == ["0", "0"]
    empty = _parse(bar_chart("c", "t", "d", []))
    assert empty.get("role") == "img"
    assert empty.findall(f"{SVG}rect") == []


def test_hours_may_be_fractions() -> None:
    root = _parse(bar_chart("c", "t", "d", [Bar("a", Decimal("1.5"), "1,5"), Bar("b", 3, "3")]))
    heights = [Decimal(rect.get("height") or "") for rect in root.findall(f"{SVG}rect")]
    assert heights[1] == 2 * heights[0]


@pytest.mark.parametrize("chart_id", ["", "Chart", "a b", 'x"y', "1abc"])
def test_an_id_that_could_break_the_markup_is_refused(chart_id: str) -> None:
    with pytest.raises(ValueError, match="chart id"):
        bar_chart(chart_id, "t", "d", [])
