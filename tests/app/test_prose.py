"""Descriptions as pages show them (app/web/prose.py): a CKAN source's Markdown and a DCAT feed's HTML rendered,
never a source's script, image or javascript: link."""

from __future__ import annotations

from app.web import prose


def test_markdown_is_rendered_and_what_a_source_could_abuse_is_not():
    html = prose.render("**See also:** [the register](https://x.example/r)\n\n<script>alert(1)</script> "
                        "![pixel](https://tracker.example/p.png) [bad](javascript:alert(1))")
    assert '<strong>See also:</strong> <a href="https://x.example/r" rel="nofollow noopener">the register</a>' in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html  # a source's remote picture is never loaded by our page
    assert 'href="javascript' not in html


def test_a_feeds_html_is_the_markdown_it_means():
    html = prose.render('<p>Der Datensatz &amp; mehr</p><p>Siehe <a href="https://x.example">Register</a><br>'
                        "Zeile 2</p><ul><li>a</li><li>b*c</li></ul><span onclick=\"x()\">frei</span>")
    assert "<p>Der Datensatz &amp; mehr</p>" in html
    assert '<a href="https://x.example" rel="nofollow noopener">Register</a><br />' in html
    assert "<li>a</li>" in html and "<li>b*c</li>" in html  # a star in the text is no emphasis
    assert "onclick" not in html and "frei" in html
    assert prose.plain('<p>Der Datensatz &amp; mehr</p><p>Siehe <a href="https://x.example">Register</a></p>') == \
        "Der Datensatz & mehr\nSiehe Register"
    assert prose.plain("plain **text** stays") == "plain **text** stays"
    assert prose.render("") == "" and prose.render(None) == ""


def test_the_dataset_page_and_its_schema_org_read_a_feeds_html(client, session):
    """Bremen's DCAT descriptions (<p>Der Datensatz ...</p>) showed as escaped code on the page and went into
    schema.org's description as HTML."""
    import json
    import re

    from catalog_schema.record import new_record
    from catalog_schema.store import save_record

    save_record(session, new_record(slug="html-desc", title={"de": "Gesetze"}, description={
        "de": "<p>Der Datensatz enthält <strong>alle</strong> Gesetze.</p><p>Mehr: <a href=\"https://x.example\">"
              "hier</a></p>"}))
    session.commit()
    page = client.get("/dataset/html-desc").get_data(as_text=True)
    shown = re.search(r'<div class="dataset-description"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "<p>Der Datensatz enthält <strong>alle</strong> Gesetze.</p>" in shown and "&lt;p&gt;" not in shown
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert ld["description"] == "Der Datensatz enthält alle Gesetze.\nMehr: hier"
    # a list of datasets shows it as plain text (a search result showed "<p>Der Datensatz ..." as text)
    listed = client.get("/dataset?q=Gesetze").get_data(as_text=True)
    assert "Der Datensatz enthält alle Gesetze. Mehr: hier" in listed
    assert "&lt;p&gt;" not in listed and "&lt;strong&gt;" not in listed
