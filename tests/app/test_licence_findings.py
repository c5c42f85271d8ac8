"""What a dataset under a licence the catalog does not know is told, on its page and in its quality JSON.

A statistics bureau's own licence text (京海市政府数据开放授权协议) was told "is not an open licence": the catalog
does not know that, it only cannot recognise it, and the fix never said that an administrator can map the text
to the licence it is. A licence known to be closed is still told it is not open.
"""

from __future__ import annotations

import datetime as dt
import html

from app.assessment import assess_datasets
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
OWN = "京海市政府数据开放授权协议"
CSV = "区县,人口\n临江区,120000\n白沙县,56000\n".encode()


def _dataset(runtime, local_server, slug: str, **licence) -> str:
    local_server.add_bytes(f"/{slug}.csv", CSV, content_type="text/csv")
    with runtime.sessionmaker() as session:
        rec = new_record(slug=slug, title={"zh": "各区常住人口", "en": "Population"}, **licence,
                         publisher={"slug": "stats", "name": {"zh": "统计局", "en": "Statistics"}},
                         distributions=[new_distribution(format="CSV", download_url=local_server.url(f"/{slug}.csv"))])
        ds, _ = save_record(session, rec)
        session.commit()
        return ds.id


def _not_open(client, slug: str, lang: str) -> dict:
    doc = client.get(f"/api/v1/datasets/{slug}/quality?lang={lang}").get_json()
    (finding,) = [f for f in doc["findings"] if f["type"] == "licence-not-open"]
    return {"message": finding["message"], "fix": finding["fix"], "reasons": doc["distributions"][0]["reasons"]}


def test_an_unrecognised_licence_is_not_said_to_be_closed(client, runtime, local_server):
    ids = [_dataset(runtime, local_server, "own-licence", license_raw=OWN),
           _dataset(runtime, local_server, "closed-licence", license="CC-BY-NC-ND-4.0")]
    assess_datasets(runtime, ids, now=NOW)

    en, zh = _not_open(client, "own-licence", "en"), _not_open(client, "own-licence", "zh")
    assert en["message"] == (f"The licence {OWN} is not one the catalog recognises, so it is not counted as an open "
                             "licence.")
    assert "ask the portal's administrators to map it" in en["fix"] and OWN in en["fix"]
    assert en["reasons"][0] == f"The licence {OWN} is not recognised, so it is not counted as open."
    assert zh["message"] == f"许可协议“{OWN}”无法识别，因此不能算作开放许可协议。"
    assert "请门户管理员将它映射" in zh["fix"]
    assert zh["reasons"][0] == f"许可协议“{OWN}”无法识别，因此不算作开放许可协议。"
    page = html.unescape(client.get("/dataset/own-licence?lang=zh").get_data(as_text=True))
    assert f"许可协议“{OWN}”无法识别" in page and f"许可协议“{OWN}”不是开放许可协议" not in page

    en, zh = _not_open(client, "closed-licence", "en"), _not_open(client, "closed-licence", "zh")
    assert en["message"].endswith("is not an open licence.") and "administrators" not in en["fix"]
    assert zh["message"].endswith("不是开放许可协议。") and "管理员" not in zh["fix"]
