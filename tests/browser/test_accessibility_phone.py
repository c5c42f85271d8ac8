"""axe-core finds no serious or critical accessibility violation on the main pages of the demo portal, in both
languages, on a phone's width (test_accessibility.py says why the widths are two files)."""

import pytest

from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser


def test_no_serious_accessibility_violations_on_a_phone(page):
    problems = serious_violations(page, 390)
    assert not problems, "\n".join(problems)
