"""The side-by-side page in a real browser: headless Chromium, driven over the DevTools
protocol (``tests/chromium.py``), moves the mouse onto a line, and the lines the page's
links name get the highlight class, coloured by their role; two notebook views on one page
keep their highlights apart. A screenshot of the hovered page is saved under tmp_path.

Skipped only where no Chromium is installed (``.ci/run`` installs it where it can).
"""

import pathlib
import struct

import chromium
import pytest

from srcdiff import cli
from srcdiff.views import page
from srcdiff.views.page import DERIVATIVE, LOWERED, SOURCE

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASICS = ROOT / "examples" / "backprop_basics.py"
WIDTH, HEIGHT = 1200, 800
CHROMIUM = chromium.executable()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium): the "
    "page's hover highlighting cannot be tested")

HIGHLIGHTED = """Array.from(document.querySelectorAll('.sd-line.sd-hl')).map(el => ({
    key: el.dataset.k, view: el.closest('.sd-view').id, classes: el.className,
    background: getComputedStyle(el).backgroundColor}))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    with chromium.Chromium(CHROMIUM, str(profile), width=WIDTH, height=HEIGHT) as opened:
        yield opened


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    """Seed 002's e in reverse mode: the page's file URL and the view it shows."""
    (view,), _ = cli.page_views(str(BASICS), ["e"], ("a", "b"))
    path = tmp_path_factory.mktemp("page") / "e.html"
    path.write_text(page.html_page([view], "srcdiff: e"), encoding="utf-8")
    return path.as_uri(), view


def highlighted(browser):
    return {line["key"]: line for line in browser.evaluate(HIGHLIGHTED)}


def test_hovering_a_source_line_highlights_what_was_made_for_it(browser, seed_page, tmp_path):
    url, view = seed_page
    browser.open(url)
    source_key = view.find(SOURCE, "c = a + b")
    browser.hover(f'[data-k="{source_key}"]')
    lit = highlighted(browser)
    assert set(lit) == set(view.links[source_key])
    adjoints = [view.find(DERIVATIVE, "a_bar = c_bar"), view.find(DERIVATIVE,
                                                                 "b_bar = b_bar + c_bar")]
    forward = view.find(DERIVATIVE, "c = a + b")
    assert all("sd-r-adjoint" in lit[key]["classes"] for key in adjoints)
    assert "sd-r-forward" in lit[forward]["classes"]
    assert lit[adjoints[0]]["background"] != lit[forward]["background"]
    assert "sd-at" in browser.evaluate(f"document.querySelector('[data-k=\"{source_key}\"]')"
                                       ".className")

    shot = tmp_path / "hovered-source-line.png"
    browser.screenshot(shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 20_000


def test_hovering_a_derivative_line_highlights_its_source_and_three_address_lines(
        browser, seed_page):
    url, view = seed_page
    browser.open(url)
    browser.hover(f'[data-k="{view.find(SOURCE, "return c * d")}"]')
    browser.hover(f'[data-k="{view.find(DERIVATIVE, "b_bar = b_bar + c_bar")}"]')
    assert set(highlighted(browser)) == {view.find(SOURCE, "c = a + b"),
                                         view.find(LOWERED, "c = a + b")}
    browser.hover("h1")
    assert highlighted(browser) == {}


def test_two_notebook_views_on_one_page_keep_their_highlights_apart(browser, seed_page,
                                                                     tmp_path):
    _, view = seed_page
    shown = page.Shown([view], "")
    first, second = shown._repr_html_(), shown._repr_html_()
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    f"<h1>notebook</h1>{first}<p>another cell</p>{second}</body></html>",
                    encoding="utf-8")
    browser.open(path.as_uri())
    ids = browser.evaluate("Array.from(document.querySelectorAll('.sd-view')).map(v => v.id)")
    assert len(set(ids)) == 2
    key = view.find(LOWERED, "e = c * d")
    browser.hover(f'#{ids[1]} [data-k="{key}"]')
    lit = browser.evaluate(HIGHLIGHTED)
    assert {line["view"] for line in lit} == {ids[1]}
    assert {line["key"] for line in lit} == set(view.links[key])
    fonts = browser.evaluate("Array.from(document.querySelectorAll('.sd-code'))"
                             ".map(el => getComputedStyle(el).fontFamily)")
    assert fonts and all("monospace" in font for font in fonts)


PINNED = "Array.from(document.querySelectorAll('.sd-pinned')).map(el => el.dataset.k)"


def test_clicking_a_line_keeps_its_highlight_until_it_is_clicked_again(browser, seed_page):
    url, view = seed_page
    browser.open(url)
    source_key = view.find(SOURCE, "c = a + b")
    browser.click(f'[data-k="{source_key}"]')
    assert browser.evaluate(PINNED) == [source_key]
    browser.hover(f'[data-k="{view.find(SOURCE, "return c * d")}"]')
    browser.hover("h1")
    assert set(highlighted(browser)) == set(view.links[source_key])
    other = view.find(DERIVATIVE, "b_bar = b_bar + c_bar")
    browser.click(f'[data-k="{other}"]')
    assert browser.evaluate(PINNED) == [other]
    assert set(highlighted(browser)) == {view.find(SOURCE, "c = a + b"),
                                         view.find(LOWERED, "c = a + b")}
    browser.click(f'[data-k="{other}"]')
    assert browser.evaluate(PINNED) == []
    browser.hover(f'[data-k="{source_key}"]')
    assert set(highlighted(browser)) == set(view.links[source_key])
    browser.click(f'[data-k="{source_key}"]')
    browser.click("h1")
    browser.hover("h1")
    assert browser.evaluate(PINNED) == [] and highlighted(browser) == {}
