"""The report pages in Chromium: chart labels are at least 12 px on a 360 px phone and on a desktop, the
charts work without JavaScript, and screenshots of the government report, the company report and the
handprint chart (SRX_SCREENSHOTS=/tmp/shots-reports keeps them)."""

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PAGES = [
    ("government", ("officer@amsterdam.demo", "demo-officer-2026"), "/officer/report"),
    ("company", ("inkoop@vandijk.demo", "demo-company-2026"), "/company/report"),
]

# Every label of every bar chart: its font size in CSS pixels after any scaling of the SVG.
LABEL_SIZES = """() => [...document.querySelectorAll('svg.bars text')].map(t => {
    const scale = t.ownerSVGElement.getScreenCTM().a;
    return parseFloat(getComputedStyle(t).fontSize) * scale;
})"""


@pytest.mark.parametrize(("name", "account", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_report_charts_have_labels_of_12_px_at_360_and_1280(
    server: tuple[str, Any], browser: Any, shots: Path, name: str, account: tuple[str, str], path: str
) -> None:
    base, _app = server
    page = login(browser, base, *account)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}{path}")
        sizes = page.evaluate(LABEL_SIZES)
        assert sizes, f"{path}: no chart labels"
        assert min(sizes) >= 12, f"{path} at {width}: a label of {min(sizes):.1f} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"report-{name}-{width}.png"), full_page=True)
        page.locator("#handprint").screenshot(path=str(shots / f"handprint-{name}-{width}.png"))
        page.locator("#by-route").screenshot(path=str(shots / f"by-route-{name}-{width}.png"))
        page.locator("#report-contracts").screenshot(path=str(shots / f"contracts-{name}-{width}.png"))
    page.close()


def test_the_charts_are_drawn_without_javascript(server: tuple[str, Any], browser: Any) -> None:
    base, _app = server
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "officer@amsterdam.demo")
    page.fill("input[name=password]", "demo-officer-2026")
    page.click("main form button[type=submit]")
    page.goto(f"{base}/officer/report")
    assert page.locator("svg.bars rect.bar").count() >= 2
    assert page.locator("#handprint svg[role=img]").count() == 1
    context.close()
