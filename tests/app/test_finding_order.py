"""The order of findings on the dashboard and in a weekly report's "what to fix first" (docs/quality.md).

In the demo, the general office's weekly report put "No licence" (a calendar) before the ID numbers, phone numbers,
bank cards and e-mail addresses of the hotline complaints: each an error in one dataset, once, and ties were
broken by the finding's slug, "licence-missing" < "pii-...". The dashboard says personal data comes first: among
findings equal by severity, datasets hit and occurrences, personal data leads.
"""

from __future__ import annotations

from types import SimpleNamespace

from app import dashboard_data, weekly


def _item(ds_id: str, score: int, types: list[str]):
    ds = SimpleNamespace(id=ds_id, slug=ds_id, title={"en": ds_id})
    findings = [{"type": t, "severity": "error"} for t in types]
    return ds, SimpleNamespace(findings=findings, score=score)


def test_personal_data_leads_its_equals_in_what_to_fix_first():
    items = [_item("working-day-calendar", 63, ["licence-missing"]),
             _item("hotline", 40, ["pii-email", "pii-phone", "pii-id-number", "pii-bank-card"])]
    # where the hotline's file holds personal data no override covers (weekly.personal_data; its findings are not
    # read for these types)
    personal = {"hotline": {"complaints.csv": {"contact": {"email": 3, "phone": 5, "id_number": 7, "bank_card": 2}}}}
    order = [r["type"] for r in weekly._fix_first(items, personal)]
    assert order == ["pii-bank-card", "pii-email", "pii-id-number", "pii-phone", "licence-missing"]


def test_personal_data_leads_its_equals_in_the_dashboards_findings():
    rows = [{"type": t, "severity": "error", "datasets": 1, "occurrences": 1}
            for t in ("access-url-broken", "licence-missing", "pii-phone")]
    rows.append({"type": "link-broken", "severity": "error", "datasets": 2, "occurrences": 2})
    rows.append({"type": "missing-keywords", "severity": "warning", "datasets": 9, "occurrences": 9})
    order = [r["type"] for r in sorted(rows, key=dashboard_data.finding_order)]
    # severity first, then datasets hit: the stated rule; personal data only breaks the ties
    assert order == ["link-broken", "pii-phone", "access-url-broken", "licence-missing", "missing-keywords"]


def test_the_weekly_report_and_the_publisher_page_list_the_datasets_worst_first_alike():
    """The general office's weekly report listed the budget (1 star, 63) before the calendar (0 stars, 63) and the
    dashboard's page of the same publisher the other way round: equal scores, fewer stars first, in both."""
    import datetime as dt

    publisher = SimpleNamespace(id=1, slug="jh-gov-office", name={"en": "General Office"})
    items = []
    for slug, stars, score in (("budget", 1, 63), ("calendar", 0, 63), ("hotline", 3, 40)):
        ds, a = _item(slug, score, [])
        a.stars = stars
        items.append((ds, a))
    body = weekly.compute(publisher, "2026-W49", items, None, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
                          personal={})
    rows = [{"slug": d["slug"], "stars": d["stars"], "score": d["score"]} for d in body["items"]]
    assert [r["slug"] for r in rows] == ["hotline", "calendar", "budget"]
    assert [r["slug"] for r in rows] == [r["slug"] for r in sorted(rows, key=lambda r: (r["score"], r["stars"],
                                                                                        r["slug"]))]


def test_two_datasets_of_one_title_are_told_apart_in_what_to_fix_first():
    """A duplicate's finding in a weekly report named its datasets "Taxi fare schedule, Taxi fare schedule": an
    official could not tell which was which. A title two of the listed datasets share is followed by their names."""
    import datetime as dt

    from app.web.weekly import present

    publisher = SimpleNamespace(id=1, slug="jh-transport", name={"en": "Transport"})
    items = []
    for slug, title in (("taxi-fares", "Taxi fare schedule"), ("taxi-fares-2024", "Taxi fare schedule"),
                        ("bus-lines", "Bus lines")):
        ds, a = _item(slug, 50, ["duplicate-dataset"])
        ds.title = {"en": title}
        a.stars = 3
        items.append((ds, a))
    body = weekly.compute(publisher, "2026-W49", items, None, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
                          personal={})
    (found,) = present(body, "en")["fix_first"]
    assert sorted(d["title"] for d in found["examples"]) == [
        "Bus lines", "Taxi fare schedule (taxi-fares)", "Taxi fare schedule (taxi-fares-2024)"]
