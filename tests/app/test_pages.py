"""The developers' pages on the demo government's catalog, harvested and assessed for real, in both languages.

Every page is requested with the Flask test client on SQLite and PostgreSQL; the catalog is the samples
harvested through the harvesters, their files downloaded from a local server and assessed, plus one dataset
whose title is markup, to prove that every page escapes it.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from html import unescape
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.assessment import assess_datasets
from app.demo import SAMPLES
from app.services.usage import record_usage
from catalog_schema import search, vocab
from catalog_schema.models import Dataset, Publisher, UsageCounter
from catalog_schema.record import new_distribution, new_record
from catalog_schema.store import save_record
from quality.findings import FINDING_TYPES
from tests.support.samples import harvested_samples
from tests.support.typography import paragraph_gaps

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations" / "zh" / "LC_MESSAGES"
PAGE_SIZE = 5


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PAGE_SIZE": PAGE_SIZE}


@pytest.fixture
def catalog(snapshot, runtime, app):
    """The samples harvested and assessed (files on a local server), a dataset titled with markup, and downloads:
    built once per backend, a copy for each test."""
    return snapshot.once(lambda: _build(runtime))


def _build(runtime) -> dict:
    with harvested_samples(runtime) as (files, summaries):
        assert all(s["status"] == "finished" and s["errored"] == 0 for s in summaries.values()), summaries
        base = files.url("/")
        with runtime.sessionmaker() as session:
            rec = new_record(slug="markup-title", title={"zh": XSS, "en": XSS}, description={"en": XSS},
                             keywords=[XSS, "公交"], themes=["TRAN"], license="CC-BY-4.0",
                             publisher={"slug": "markup-dept", "name": {"en": XSS}},
                             distributions=[new_distribution(title={"en": XSS}, format="CSV",
                                                             download_url=base + "nowhere.csv")])
            ds, _ = save_record(session, rec)
            search.index_dataset(session, ds)
            session.commit()
            ids = list(session.scalars(select(Dataset.id)))
        assess_datasets(runtime, ids, now=NOW)
    with runtime.sessionmaker() as session:
        slugs = {ds.slug: ds for ds in session.scalars(select(Dataset))}
        record_usage(session, slugs["bus-stops"].id, "download", n=7)
        record_usage(session, slugs["taxi-fares"].id, "download", n=3)
        session.commit()
        return {slug: ds.id for slug, ds in slugs.items()}


def _get(client, url: str, lang: str | None = None, accept: str | None = None) -> str:
    headers = {"Accept-Language": accept} if accept else {}
    if lang:
        url += ("&" if "?" in url else "?") + f"lang={lang}"
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, (url, resp.status_code)
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def _section(html: str, element_id: str) -> str:
    """The markup of the element with `element_id` up to the end of its section."""
    start = html.index(f'id="{element_id}"')
    return html[start:html.index("</section>", start)]


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


PAGES = ["/", "/dataset", "/dataset?q=%E5%85%AC%E4%BA%A4", "/dataset/bus-stops", "/dataset/taxi-fares",
         "/publisher", "/publisher/jh-transport", "/theme", "/theme/TRAN"]


def test_every_page_in_both_languages_with_header_switch_and_landmarks(client, catalog):
    for url in PAGES:
        zh = _get(client, url, "zh_CN")
        en = _get(client, url, "en")
        assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en, url
        for html in (zh, en):
            assert '<main id="main"' in html and 'class="usa-skipnav" href="#main"' in html
            assert "/static/vendor/uswds/css/uswds.used.min.css" in html and "cdn" not in html.lower()
            for href in ("/dataset", "/publisher", "/theme", "/dashboard", "/api/v1/docs"):
                assert f'href="{href}"' in html, (url, href)
        assert "数据集</a>" in zh and "跳到主要内容" in zh and ">Datasets</a>" in en and "Skip to main content" in en
        # the switch links to the same page in the other language
        assert any(h.startswith(url.split("?")[0]) and "lang=en" in h for h in _links(zh)), url
        assert any(h.startswith(url.split("?")[0]) and "lang=zh_CN" in h for h in _links(en)), url


def test_language_from_accept_language_then_remembered_choice(client, catalog):
    assert '<html lang="en">' in _get(client, "/", accept="en-GB,en;q=0.8")
    assert '<html lang="zh-CN">' in _get(client, "/", accept="zh-CN,zh;q=0.9,en;q=0.5")
    _get(client, "/dataset", "en", accept="zh-CN")
    remembered = _get(client, "/dataset/bus-stops", accept="zh-CN")
    assert '<html lang="en">' in remembered and "<h1>Bus stops</h1>" in remembered
    _get(client, "/", "zh_CN", accept="en")
    assert "<h1>公交站点</h1>" in _get(client, "/dataset/bus-stops", accept="en")


def test_home_counts_newest_most_downloaded_and_star_table(client, session, catalog):
    html = _get(client, "/", "en")
    n_datasets = session.query(Dataset).filter(Dataset.state == "active").count()
    n_publishers = session.query(Publisher).count()
    assert f'id="count-datasets">{n_datasets}<' in html and f'id="count-publishers">{n_publishers}<' in html
    popular = _section(html, "popular-h")
    assert popular.index("/dataset/bus-stops") < popular.index("/dataset/taxi-fares")
    assert "7 downloads" in popular and "3 downloads" in popular
    table = _section(html, "star-distribution")
    for n in range(6):
        count = session.query(Dataset).filter(Dataset.stars == n, Dataset.state == "active").count()
        assert re.search(rf'href="/dataset\?stars={n}">.*?</th><td>{count}</td>', table), (n, count)
    assert "★★★☆☆" in table and "3 of 5 stars" in table
    zh = _get(client, "/", "zh_CN")
    assert "下载 7 次" in zh and "3 星（满分 5 星）" in zh


def test_a_filter_the_search_cannot_apply_is_said_not_dropped(client, catalog):
    """/dataset?stars=9 and ?stars_min=abc showed the whole catalog as found, with no word of the filter."""
    html = _get(client, "/dataset?stars=9&stars_min=abc&sort=nope", "en")
    assert 'id="filters-ignored"' in html and "stars=9, stars_min=abc, sort=nope" in html
    assert 'id="filters-ignored"' not in _get(client, "/dataset?stars=3&stars_min=2&sort=title", "en")
    assert "未应用" in _get(client, "/dataset?stars=9", "zh")
    # said not applied, and not applied: stars_min=9 was said so and found nothing, the facets empty with it
    nine, all_of_it = _get(client, "/dataset?stars_min=9", "en"), _get(client, "/dataset", "en")
    assert "stars_min=9" in nine[nine.index('id="filters-ignored"'):]
    found = re.compile(r'id="results-h"[^>]*>(.*?)<', re.S)
    assert found.search(nine).group(1) == found.search(all_of_it).group(1) != "0 datasets found"


def test_the_filters_a_search_applies_are_said_above_its_results_each_with_a_way_off(client, catalog):
    """A search reached by a link (?theme=TRAN, ?stars=3) said nothing of its filters above the results, and on a
    phone the facets come after them: the filters are listed first, each linking to the search without it, with a
    link that clears them all (keeping the words and the order); one that leaves nothing found can be taken off."""
    html = unescape(_get(client, "/dataset?q=bus&publisher=jh-transport&theme=TRAN&stars_min=3&sort=title&page=2",
                         "en"))
    applied = html[html.index('id="filters-applied"'):html.index('id="filters-clear"')]
    chips = re.findall(r'<a class="[^"]*filter-chip" href="([^"]+)">(.*?)</a>', applied, re.S)
    said = [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for _href, text in chips]
    assert said == ["Publisher: Jinghai Municipal Transport Commission × Remove filter",
                    "Theme: Transport × Remove filter", "3 stars or more × Remove filter"], said
    hrefs = [href for href, _ in chips]
    assert hrefs == ["/dataset?q=bus&theme=TRAN&stars_min=3&sort=title",
                     "/dataset?q=bus&publisher=jh-transport&stars_min=3&sort=title",
                     "/dataset?q=bus&publisher=jh-transport&theme=TRAN&sort=title"], hrefs
    assert 'id="filters-clear" href="/dataset?q=bus&sort=title"' in html
    zh = re.sub(r"<[^>]+>", "", _get(client, "/dataset?theme=TRAN&licence=CC-BY-4.0", "zh_CN"))
    assert "筛选条件：" in zh and "主题：交通" in zh and "清除全部筛选" in zh
    nothing = unescape(_get(client, "/dataset?publisher=no-such-dept", "en"))
    assert "No dataset matches these filters." in nothing
    assert 'href="/dataset">Publisher: no-such-dept' in nothing  # off again, though no facet lists it
    plain = _get(client, "/dataset?q=bus&stars=9", "en")  # words alone, or a filter that cannot apply: none listed
    assert 'id="filters-applied"' not in plain and 'id="filters-ignored"' in plain


def test_search_facets_add_and_remove_filters(client, session, catalog):
    html = _get(client, "/dataset?publisher=jh-environment", "en")
    env = session.scalars(select(Dataset.slug).join(Publisher).where(Publisher.slug == "jh-environment")).all()
    assert f"{len(env)} datasets found" in html
    results = _section(html, "results-h")
    shown = set(re.findall(r'<h3 class="margin-y-05"><a class="usa-link" href="/dataset/([^"]+)"', results))
    assert len(shown) == min(PAGE_SIZE, len(env)) and shown <= set(env)
    # the selected publisher links to the search without it; another format adds to it
    pub_facet = _section(html, "facet-publisher")
    assert 'href="/dataset" aria-current="true"' in pub_facet
    fmt_links = dict(re.findall(r'href="([^"]+)">([A-Z]+)</a>', _section(html, "facet-format")))
    assert fmt_links, "no format facet"
    turtle = next(h for h, label in fmt_links.items() if label == "TURTLE")
    narrowed = _get(client, unescape(turtle), "en")
    ttl = [s for s in env if any(d.format == "TURTLE" for d in session.scalar(
        select(Dataset).where(Dataset.slug == s)).distributions)]
    assert f"{len(ttl)} datasets found" in narrowed and len(ttl) == 2
    # stars facet: exactly the datasets with that many stars, shown as stars with a text alternative
    three = session.scalars(select(Dataset.slug).where(Dataset.stars == 3)).all()
    html3 = _get(client, "/dataset?stars=3", "en")
    assert f"{len(three)} datasets found" in html3 and "3 of 5 stars" in _section(html3, "facet-stars")
    # the developer's "transport, 3 stars or more"
    wanted = session.scalars(select(Dataset.slug).join(Publisher).where(Publisher.slug == "jh-transport",
                                                                         Dataset.stars >= 3)).all()
    transport = _get(client, "/dataset?publisher=jh-transport", "en")
    link = re.search(r'href="([^"]+)">3 stars or more</a> <span class="usa-tag">(\d+)<', transport)
    assert link and int(link.group(2)) == len(wanted) and "stars_min=3" in unescape(link.group(1))
    both = _get(client, unescape(link.group(1)), "en")
    assert f"{len(wanted)} datasets found" in both and "publisher=jh-transport" in unescape(both)
    assert "3 星及以上" in _get(client, "/dataset?publisher=jh-transport", "zh_CN")
    # theme facet labels in the chosen language
    zh = _get(client, "/dataset?theme=ENVI", "zh_CN")
    assert vocab.THEMES["ENVI"].labels["zh"] in _section(zh, "facet-theme")
    # keyword and Chinese full-text search
    kw = _get(client, "/dataset?keyword=%E5%85%AC%E4%BA%A4", "zh_CN")
    assert "/dataset/bus-stops" in kw and "/dataset/air-quality-monitoring-stations" not in kw
    # English plurals: one dataset is "1 dataset found", one star "1 star or more"
    one = _get(client, "/dataset?q=bus-stops&publisher=jh-transport", "en")
    count = int(re.search(r'id="results-h">(\d+) dataset', one).group(1))
    assert count == 1 and "1 dataset found" in one and "1 datasets" not in one
    # a page past the end says so, and links to the last page, instead of "no dataset matches"
    past = _get(client, "/dataset?page=999", "en")
    assert "Page 999 is past the last page of results" in past and "No dataset matches" not in past
    assert "1 star or more</a>" in transport and "1 stars or more" not in transport


def test_pagination_and_sorting(client, session, catalog):
    total = session.query(Dataset).filter(Dataset.state == "active").count()
    seen = []
    pages = -(-total // PAGE_SIZE)
    for page in range(1, pages + 1):
        html = _get(client, f"/dataset?sort=title&page={page}", "en")
        seen += re.findall(r'<h3 class="margin-y-05"><a class="usa-link" href="/dataset/([^"]+)"', html)
        if page < pages:
            assert 'rel="next"' in html
        if page > 1:
            assert 'rel="prev"' in html
    assert len(seen) == total and len(set(seen)) == total
    beyond = _get(client, f"/dataset?page={pages + 1}", "en")
    assert f"Page {pages + 1} is past the last page of results ({pages})" in beyond
    best = _get(client, "/dataset?sort=-stars", "en")
    first = re.search(r'<h3 class="margin-y-05"><a class="usa-link" href="/dataset/([^"]+)"', best).group(1)
    assert first == "air-quality-monitoring-stations"  # the only 5-star sample


def test_a_dataset_pages_findings_come_most_severe_first(client, catalog):
    """The hotline complaints' page listed "No URIs for things" (advice) before the identity numbers, phone numbers,
    bank cards and e-mail addresses it publishes, and the road works' a missing spatial coverage between two broken
    links: the findings came in the order the rules ran. Errors, then warnings, then advice, as the dashboard
    orders them."""
    rank = {"error": 0, "warning": 1, "info": 2}
    for slug in ("citizen-hotline-complaints", "road-works", "jinghai-statistical-tables-2024"):
        for lang in ("zh_CN", "en"):
            severities = re.findall(r'class="finding finding--(\w+)"', _section(_get(client, f"/dataset/{slug}", lang),
                                                                                "findings"))
            assert len(set(severities)) > 1, (slug, severities)
            assert severities == sorted(severities, key=rank.__getitem__), (slug, lang, severities)


def test_dataset_page_quality_explained_in_the_chosen_language(client, catalog):
    en = _get(client, "/dataset/taxi-fares", "en")
    zh = _get(client, "/dataset/taxi-fares", "zh_CN")
    assert "<h1>Taxi fare schedule</h1>" in en and "<h1>出租汽车运价标准</h1>" in zh
    ftype = FINDING_TYPES["proprietary-format"]
    for lang, html in (("en", en), ("zh", zh)):
        findings = unescape(_section(html, "findings"))
        assert ftype.message(lang, {"format": "XLSX"}) in findings
        assert ftype.fix(lang, {"format": "XLSX"}) in findings
    assert "Excel XLSX is a proprietary format." in en and "Excel XLSX 是专有格式。" in zh
    assert "在 Excel XLSX 之外同时以 CSV 发布该表格，即可获得三星。" in zh
    assert "The file is XLSX" not in zh
    # stars as published and as served here, downloads in four formats
    assert "Stars as published" in en and "Stars as served here" in en and "本平台提供的星级" in zh
    for ext in ("csv", "json", "xml", "ttl"):
        assert re.search(rf'href="/dataset/taxi-fares/resource/[^"]+/data\.{ext}\?download=1"', en), ext
    assert re.search(r'href="/dataset/taxi-fares/resource/[^"]+/data\.csv\?bom=1&amp;download=1"', en)  # CSV for Excel
    assert "CSV for Excel" in en and "Excel 用 CSV" in zh
    # metadata points per dimension with the EU band, timeliness, history
    dims = _section(en, "metadata-dimensions")
    assert "Findability" in dims and "Interoperability" in dims and "points: Good" in en
    assert "可发现性" in zh and "良好" in zh and "Up to date" in en
    assert _section(en, "score-history").count("<tr>") == 2  # header + one assessment
    # API, DCAT, CKAN links, badge, alternates and schema.org
    for href in ("/api/v1/datasets/taxi-fares", "/dataset/taxi-fares.ttl", "/api/3/action/package_show?id=taxi-fares",
                 "/dataset/taxi-fares/badge.svg"):
        assert href in en, href
    assert '<link rel="alternate" type="text/turtle"' in en
    assert '<script type="application/ld+json">' in en and '"@type": "Dataset"' in en


def test_dataset_page_preview_related_and_usage(client, session, catalog):
    html = _get(client, "/dataset/bus-ridership-2024-12", "zh_CN")
    preview = html[html.index('class="usa-table usa-table--striped'):]
    preview = preview[:preview.index("</table>")]
    sample = (SAMPLES / "files").rglob("*ridership*2024-12*.csv")
    lines = next(sample).read_text("utf-8").splitlines()
    for cell in lines[0].split(",")[:3]:
        assert f"<th scope=\"col\">{cell}</th>" in preview
    assert preview.count("<tr>") == 1 + min(10, len(lines) - 1)
    assert f"<td>{lines[1].split(',')[0]}</td>" in preview
    # related: other departments only, sharing a keyword or theme
    taxi = _get(client, "/dataset/taxi-fares", "en")
    related = re.findall(r'href="/dataset/([^"]+)"', _section(taxi, "related"))
    assert related and len(related) <= 5
    own = set(session.scalars(select(Dataset.slug).join(Publisher).where(Publisher.slug == "jh-transport")))
    assert not own & set(related)
    # the most shared (a keyword weighs 2, a theme or place 1) of every other department's dataset; ties in the
    # index's order
    rows = {d.slug: d for d in session.scalars(select(Dataset).where(Dataset.state == "active"))}
    me = rows["taxi-fares"]

    def shared(d) -> int:
        return (2 * len(set(me.keywords) & set(d.keywords)) + len(set(me.themes) & set(d.themes))
                + len(set(me.spatial) & set(d.spatial)))

    best = sorted((shared(d) for slug, d in rows.items() if slug not in own and shared(d)), reverse=True)[:5]
    assert sorted((shared(rows[slug]) for slug in related), reverse=True) == best
    views = session.scalar(select(UsageCounter.views).where(UsageCounter.dataset_id == catalog["taxi-fares"]))
    assert views == 1


def test_a_publisher_page_lists_its_datasets_a_page_at_a_time(client, session, catalog):
    pub = max(session.scalars(select(Publisher)), key=lambda p: sum(d.state == "active" for d in p.datasets))
    active = sorted((d for d in pub.datasets if d.state == "active"), key=lambda d: (-(d.stars or 0), d.slug))
    assert len(active) > PAGE_SIZE, "the demo's largest publisher fills more than one page"
    seen = []
    for page in range(1, -(-len(active) // PAGE_SIZE) + 1):
        html = _get(client, f"/publisher/{pub.slug}?page={page}", "en")
        assert f'id="publisher-count">{len(active)}<' in html
        datasets_part = html.split('id="activity-h"')[0]  # the Activity section below links datasets too
        listed = [d.slug for d in active if f'href="/dataset/{d.slug}"' in datasets_part]
        assert 0 < len(listed) <= PAGE_SIZE, (page, listed)
        assert (f'href="?page={page + 1}"' in html) == (page * PAGE_SIZE < len(active))
        seen += listed
    assert sorted(seen) == sorted(d.slug for d in active)  # every dataset once, on one page


def test_publisher_and_theme_pages(client, session, catalog):
    html = _get(client, "/publisher/jh-environment", "zh_CN")
    pub = session.scalar(select(Publisher).where(Publisher.slug == "jh-environment"))
    stars = [d.stars for d in pub.datasets if d.stars is not None]
    assert f'id="publisher-count">{len(pub.datasets)}<' in html
    assert f'id="publisher-average">{sum(stars) / len(stars):.2f}<' in html
    assert 'href="/dashboard/publisher/jh-environment"' in html and "空气质量监测站点" in html
    themes = _get(client, "/theme", "zh_CN")
    tran = session.query(Dataset).filter(Dataset.state == "active").all()
    n_tran = sum(1 for d in tran if "TRAN" in (d.themes or []))
    assert vocab.THEMES["TRAN"].labels["zh"] in themes and f"{n_tran} 个数据集" in themes
    assert vocab.THEMES["TRAN"].labels["en"] in _get(client, "/theme", "en")
    tran_page = _get(client, "/theme/TRAN", "en")
    assert f"{n_tran} datasets" in tran_page and "/dataset/bus-stops" in tran_page
    assert "Jinghai Municipal Transport Commission" in tran_page
    # both lists in the reader's order of names, not the codes' (Ecology before General Office, "Provisional
    # data" among the Rs)
    labels = [vocab.THEMES[c].labels["en"] for c in re.findall(r'href="/theme/([A-Z_]+)"', _get(client, "/theme",
                                                                                                 "en"))]
    assert labels and labels == sorted(labels, key=str.casefold), labels
    names = [session.scalar(select(Publisher).where(Publisher.slug == slug)).name.get("en") or slug for slug in
             dict.fromkeys(re.findall(r'href="/publisher/([a-z0-9-]+)"', _get(client, "/publisher", "en")))]
    assert len(names) > 1 and names == sorted(names, key=str.casefold), names


def test_unknown_things_are_404(client, catalog):
    for url in ("/dataset/no-such-dataset", "/publisher/no-such-dept", "/theme/NOPE", "/no-such-page"):
        resp = client.get(url + "?lang=zh_CN", headers={"Accept": "text/html"})
        assert resp.status_code == 404, url
        html = resp.get_data(as_text=True)
        assert "<h1>页面不存在</h1>" in html and "lang=en" in html
        plain = client.get(url, headers={"Accept": "application/json"})
        assert plain.status_code == 404 and "页面不存在" not in plain.get_data(as_text=True)
    assert "Page not found" not in client.get("/api/v1/datasets/no-such-dataset").get_data(as_text=True)


def test_markup_in_catalog_text_is_escaped_everywhere(client, catalog):
    for url in ("/", "/dataset", "/dataset?publisher=markup-dept", "/dataset/markup-title", "/publisher",
                "/publisher/markup-dept", "/theme/TRAN", "/dataset/bus-stops"):
        for lang in ("en", "zh_CN"):
            html = _get(client, url, lang)
            assert XSS not in html, url
            assert XSS_ESCAPED in html, url
    page = _get(client, "/dataset/markup-title", "en")
    jsonld = page[page.index('<script type="application/ld+json">'):]
    assert "\\u003cscript\\u003e" in jsonld[:jsonld.index("</script>")]


def test_every_interface_string_is_translated_and_compiled():
    root = Path(__file__).resolve().parents[2]
    # every module and template of the app, and the messages the other packages give the pages, the APIs and the
    # command line (a harvest's errors, a finding's, a service's refusal by app.texts.T_): a message id with no
    # Chinese fails here (T_ was not read, and a refusal could have gone out in English only)
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None, "T_": None}
    source_ids = set()
    for package in ("app", "harvesters", "catalog_schema", "quality"):
        with warnings.catch_warnings():  # an f-string in a print is no message: babel says it skips it
            warnings.simplefilter("ignore")
            source_ids |= {message if isinstance(message, str) else message[0] for _file, _line, message, *_
                           in extract_from_dir(str(root / package), method_map, keywords=keywords)}
    source_ids = {m for m in source_ids if m}
    assert len(source_ids) > 100
    with open(TRANSLATIONS / "messages.po", "rb") as fh:
        po = read_po(fh)
    with open(TRANSLATIONS / "messages.mo", "rb") as fh:
        mo = read_mo(fh)
    ids = [m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id]
    assert len(ids) > 100
    assert not sorted(source_ids - set(ids)), "strings missing from messages.po"
    untranslated = [m.id for m in po if m.id and not (all(m.string) if m.pluralizable else m.string)]
    assert not untranslated
    # keyed by context and id: one English word may read two ways in Chinese (msgctxt, app/cli_lang.pgettext)
    compiled = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): tuple(m.string) if m.pluralizable
                else m.string for m in mo if m.id}
    assert all(compiled.get((m.context, m.id if isinstance(m.id, str) else m.id[0])) == m.string for m in po if m.id)
    assert not [m.id for m in po if m.id and "fuzzy" in m.flags]


def test_a_favicon_is_named_by_pages_and_found_at_favicon_ico(client, catalog):
    html = _get(client, "/", "en")
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    assert icon.startswith("/static/favicon.svg?v=")
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp.headers["Location"] == icon
    svg = client.get(icon)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_the_site_name_is_translated_unless_configured(client, catalog, app):
    assert "<title>开放数据</title>" in _get(client, "/", "zh_CN")
    assert "<title>Open Data</title>" in _get(client, "/", "en")
    app.config["OPENDATA"]["SITE_TITLE"] = "上海市公共数据开放平台"
    assert "<title>上海市公共数据开放平台</title>" in _get(client, "/", "en")


def test_licences_are_named_in_the_readers_language(client, catalog):
    zh = _get(client, "/dataset/markup-title", "zh_CN")
    assert "知识共享 署名 4.0 国际" in zh and "（CC-BY-4.0）" in zh
    en = _get(client, "/dataset/markup-title", "en")
    assert "Creative Commons Attribution 4.0" in en
    facet = _section(_get(client, "/dataset?licence=CC-BY-4.0", "zh_CN"), "facet-licence")
    assert "知识共享 署名 4.0 国际" in facet
    assert vocab.licence_title("CC-BY-4.0", "zh") == "知识共享 署名 4.0 国际"
    assert vocab.licence_title("Apache-2.0", "en") and vocab.licence_title("no-such-licence", "zh") is None


def test_a_masked_preview_cell_reads_in_the_readers_language(app):
    from flask import render_template_string

    for lang, want in (("zh_CN", "[已遮盖]"), ("en", "[redacted]")):
        with app.test_request_context(f"/?lang={lang}"):
            html = render_template_string("{{ '[redacted]'|cell }}|{{ none|cell }}|{{ '张三'|cell }}")
        assert html == f'<span class="redacted">{want}</span>||张三'


def test_a_metadata_row_with_nothing_in_it_says_not_stated(client, catalog):
    """Access rights, rights statement, landing page ... that a dataset does not give were empty cells beside
    filled ones, as if the page had failed to show them; they say "not stated", as the licence row did."""
    for lang, said in (("en", "not stated"), ("zh_CN", "未声明")):
        page = _get(client, "/dataset/road-works", lang)
        rows = re.findall(r'<tr(?: id="[^"]*")?><th scope="row">([^<]*)</th><td>(.*?)</td></tr>', page)
        assert rows, lang
        empty = [label for label, cell in rows if not re.sub(r"<[^>]+>", "", cell).strip()]
        assert empty == [], (lang, empty)
        assert any(f'<span class="text-base">{said}</span>' == cell for _label, cell in rows), (lang, rows)


def test_a_label_before_its_value_has_the_chinese_colon_in_chinese(client, catalog):
    """Labels the pages put before a value (数据集：10, 平均得分：84) have the full-width colon in Chinese, and
    ": " in English: an ASCII colon after a Chinese word ("数据集: 10") read as a misprint on every page. Each page
    in English first: a colon after a constant ({{ ""|colon }}) was folded into the compiled template with the
    language of its first render, and Chinese pages said "提示: " after any English one."""
    found = False
    # the hotline complaints' page: "暂停提供: 该文件含有个人信息" above a withheld file (seen on the new-user walk)
    for url in [*PAGES, "/dashboard", "/dashboard/weekly", "/dashboard/publisher/jh-transport", "/harvest",
                "/dataset/citizen-hotline-complaints", "/dataset?theme=TRAN&stars_min=1", "/api/v1/docs"]:
        en, zh = _get(client, url, "en"), _get(client, url, "zh_CN")
        text = re.sub(r"<[^>]+>", "", zh)  # what a reader sees, tags out
        misprints = re.findall(r"[\u4e00-\u9fff）]:\s", text)  # 数据行接口（共 40 行）: read so too
        assert not misprints, (url, misprints[:5])
        # a list's items after a Chinese word: 公交、站点 (the enumeration comma), not "公交, 站点" (seen on the
        # new-user walk in keywords, themes, the league's kinds of personal data); and a clause: ；not "; "
        misprints = re.findall(r"[\u4e00-\u9fff）][,;]\s", text)
        assert not misprints, (url, misprints[:5])
        # and nothing after the full-width colon: "联系方式： 京海市…" had a space (the colon is a wide character)
        # (the API docs' labels before an example block end their line: "用 Python 库 ckanapi：" above the code)
        gap = r"\S{0,6}：[^\S\n]+\S{0,6}" if url == "/api/v1/docs" else r"\S{0,6}：\s+\S{0,6}"
        misprints = re.findall(gap, text)
        assert not misprints, (url, misprints[:5])
        # nor between two sentences or phrases: "OpenAPI 3.1 文档。 基础地址： http://…", "响应： text/html, 结构"
        # on the API docs (each sentence a translated part, joined with a space or ", ")
        misprints = re.findall(r"\S{0,6}[。，；][ \t]+\S{0,6}|[\u4e00-\u9fff）][^\S\n]*\n?[^\S\n]*,\s", text)
        assert not misprints, (url, misprints[:5])
        # within a paragraph a line break reads as a space too: "本门户的地址。 涉及具体数据集的示例…" on the API docs
        misprints = paragraph_gaps(zh)
        assert not misprints, (url, misprints[:5])
        # and brackets the page adds after Chinese are full-width: "署名 4.0 国际（CC-BY-4.0）", "编码（2 个数据集）",
        # not " (CC-BY-4.0)" (a file's own "产值(亿元)" is its text, and has no space)
        misprints = re.findall(r"\S{0,6}[\u4e00-\u9fff] \([^)]{0,20}\)", text)
        assert not misprints, (url, misprints[:5])
        found = found or "：" in text and ": " in re.sub(r"<[^>]+>", "", en)
    assert found
    # a withheld file's notice gives its contact's parts apart, as the metadata's contact row does
    hotline = re.sub(r"<[^>]+>", "", _get(client, "/dataset/citizen-hotline-complaints", "zh_CN"))
    assert re.search(r"联系方式：\S[^\n]* · \S+@", hotline), hotline[:2000]
    publisher = _get(client, "/publisher/markup-dept", "zh_CN")
    assert "数据集：" in re.sub(r"<[^>]+>", "", publisher)
    english = re.sub(r"<[^>]+>", "", _get(client, "/dataset/bus-stops", "en"))
    assert "Information: " in english and "Fix: " in english


def test_a_datasets_rest_document_links_each_file_to_its_data(client, catalog):
    """/api/v1/datasets/<slug> gave a file's published URL only: a developer had to build the conversions', the
    row API's and the dictionary's addresses from the docs. `links.distributions` names them per file, each one
    answers, and the document still matches its published schema."""
    from tests.app.test_rest import _validator

    openapi = client.get("/api/v1/openapi.json").get_json()
    tables = dictionaries = 0
    for slug in ("taxi-fares", "bus-stops", "markup-title"):
        body = client.get(f"/api/v1/datasets/{slug}").get_json()
        _validator(openapi, "#/components/schemas/Dataset").validate(body)
        per_file = body["links"]["distributions"]
        assert set(per_file) == {d["catalog_id"] for d in body["distributions"]}, slug
        for dist in body["distributions"]:
            links = per_file[dist["catalog_id"]]
            assert links["file"] == (dist["download_url"] or dist["access_url"])
            assert client.get(links["versions"]).status_code == 200
            if "data" not in links:
                continue
            tables += 1
            assert set(links["data"]) == {"csv", "json", "xml", "ttl", "csv-metadata"}
            for url in (*links["data"].values(), links["rows"], *([links["dictionary"]] if "dictionary" in links
                                                                  else [])):
                assert client.get(url).status_code == 200, url
            dictionaries += "dictionary" in links
            assert client.get(links["rows"]).get_json()["meta"]["total"] > 0
    assert tables >= 2 and dictionaries >= 1
