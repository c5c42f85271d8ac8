"""Steps that several browser walks take the same way (the publish form, the journey of issue 17)."""

from __future__ import annotations


def fill_every_scored_field(page, *, contact_name: str, contact_email: str) -> None:
    """Fill every field the check scores on the publish page, as an agency would (not saved yet)."""
    page.fill("#m-description", "2024 年末各区常住人口，来自统计局年度抽样调查；每区一行，单位为人。"
              "数据可用于规划公共服务设施，口径与统计年鉴一致。")
    page.fill("#m-keywords", "人口, population")
    page.select_option("#m-themes", ["SOCI", "REGI"])
    page.fill("#m-spatial", "浙江省金华")  # typed; the picker lists the matches, the agency picks one
    page.fill("#m-spatial", "浙江省金华市 (330700)")
    page.fill("#m-temporal-start", "2024-01-01")
    page.fill("#m-temporal-end", "2024-12-31")
    page.fill("#m-issued", "2025-01-15")
    page.fill("#m-modified", "2025-02-01")
    page.select_option("#m-frequency", "IRREG")
    page.select_option("#m-language", ["zh"])
    page.select_option("#m-license", "CC-BY-4.0")
    page.select_option("#m-access-rights", "PUBLIC")
    page.fill("#m-rights", "© 金华市统计局，转载请注明出处。")
    page.fill("#m-contact-name", contact_name)
    page.fill("#m-contact-email", contact_email)
