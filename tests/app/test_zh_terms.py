"""One Chinese word per thing across the interface's catalog: a publisher (an agency or department publishing
datasets) is 发布部门, as the pages' own labels say, and personal data is 个人信息, as the pages and the law
(个人信息保护法) say it. Translations added later by other hands drift to synonyms (发布机构, 发布者, 个人数据);
a reader meeting two words wonders whether they are two things."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

PO = Path(__file__).resolve().parents[2] / "app/translations/zh/LC_MESSAGES/messages.po"
SYNONYMS = {"发布机构": "发布部门", "发布者": "发布部门", "个人数据": "个人信息"}
#: dct:publisher of the catalog itself is the body running the portal, not one of its publishing departments
CATALOG_PUBLISHER = "dct:publisher of the dcat:Catalog"


def _messages():
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh")
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        yield ids[0], "".join(strings)


def test_the_zh_catalog_says_each_thing_with_one_word():
    drifted = [(msgid, word) for msgid, text in _messages() for word in SYNONYMS
               if word in text and CATALOG_PUBLISHER not in msgid]
    assert drifted == [], "use " + ", ".join(f"{SYNONYMS[w]} for {w}" for _, w in drifted[:1])


def test_the_words_checked_are_the_ones_the_pages_use():
    texts = [text for _, text in _messages()]
    assert sum("发布部门" in t for t in texts) > 50 and sum("个人信息" in t for t in texts) > 20


def test_every_licence_the_publish_form_offers_has_a_chinese_title():
    """The licence picker of the Chinese publish page showed 15 of its 32 licences in English (CC BY 3.0 was 知识共享
    署名 3.0, 1.0, 2.0 and 2.5 were not; UK and German government licences ...)."""
    from app.web.publish import LICENCE_CHOICES
    from catalog_schema import vocab

    offered = [vocab.licence_by_id(lid) or vocab.licence(lid) for lid in LICENCE_CHOICES]
    offered += [lic for lic in vocab.licences() if lic.od_conformance == "approved"]
    english = sorted({lic.id for lic in offered if lic is not None and vocab.licence_title(lic.id, "zh") == lic.title})
    assert english == []
