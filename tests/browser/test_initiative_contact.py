"""The public page's Contact block at 360 px: a long web address wraps inside its card."""

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_a_long_website_wraps_inside_the_contact_card_at_360(server: tuple[str, Any], browser: Any) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 360, "height": 800})
    page.goto(f"{base}/initiatives/voedselbank-amsterdam-noord")
    link = page.locator("#contact a[rel='noopener nofollow ugc']")
    assert link.inner_text().startswith("www.voedselbank-amsterdam-noord.example/vrijwilligers/")
    card = page.locator("#contact")
    card_box, link_box = card.bounding_box(), link.bounding_box()
    assert card_box is not None and link_box is not None
    assert link_box["x"] + link_box["width"] <= card_box["x"] + card_box["width"]
    assert page.evaluate(
        "document.getElementById('contact').scrollWidth <= document.getElementById('contact').clientWidth"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.close()
