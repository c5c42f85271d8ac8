"""Personal data published in a table (``quality.pii`` finds it): one finding per column and kind.

The same findings name a part of the file instead of a column when the whole-file scan finds personal data
outside the table (``quality.rules.pii_file``): ``{located}``, ``{outside}`` and ``{also}`` are worded from the
evidence (``column``, or ``part`` and ``within``) by ``quality.findings``. Personal data caps the overall score at
`CAP`, whatever the other parts earn.
"""

from __future__ import annotations

from quality.findings import REDACTED, Finding, FindingType, Rule, column_ref, make_finding

CAP = 40

TYPES = (
    FindingType("pii-id-number", "error", "Resident identity numbers published", "公开了居民身份证号码",
        "Remove or mask the identity numbers before publishing (for example keep only the region code).{also}",
        "发布前删除或脱敏身份证号码（例如只保留地区代码）。{also}",
        message_en="{located} holds {count:p/valid resident identity number/valid resident identity numbers}{outside}.",
        message_zh="{located} 含有 {count} 个有效的居民身份证号码{outside}。"),
    FindingType("pii-phone", "error", "Mobile numbers published", "公开了手机号码",
        "Remove or mask the phone numbers before publishing.{also}", "发布前删除或脱敏手机号码。{also}",
        message_en="{located} holds {count:p/mobile phone number/mobile phone numbers}{outside}.",
        message_zh="{located} 含有 {count} 个手机号码{outside}。"),
    FindingType("pii-email", "error", "E-mail addresses published", "公开了电子邮件地址",
        "Remove personal e-mail addresses, or replace them with a functional mailbox.{also}",
        "删除个人电子邮件地址，或改用单位的公共邮箱。{also}",
        message_en="{located} holds {count:p/e-mail address/e-mail addresses}{outside}.",
        message_zh="{located} 含有 {count} 个电子邮件地址{outside}。"),
    FindingType("pii-bank-card", "error", "Bank card numbers published", "公开了银行卡号",
        "Remove the card numbers before publishing.{also}", "发布前删除银行卡号。{also}",
        message_en="{located} holds {count:p/bank card number/bank card numbers} (Luhn-valid){outside}.",
        message_zh="{located} 含有 {count} 个银行卡号（通过 Luhn 校验）{outside}。"),
)

#: ``quality.pii`` kind -> finding slug (``uscc`` names organisations, not people: no finding).
KIND_SLUGS = {"id_number": "pii-id-number", "phone": "pii-phone", "email": "pii-email", "bank_card": "pii-bank-card"}
#: Slugs that mark an assessment as holding personal data: this rule's.
SLUGS = tuple(t.slug for t in TYPES)


def check(p, d: str | None = None) -> list[Finding]:
    """One finding per column and kind of personal data in the profile's ``pii`` counts. A column whose name is
    personal data itself (a file without a header row) is named by its position (``column_position``), and its name
    is a finding of its own (``header_row``: the profile's ``header_pii``, counted in ``pii`` too), saying that the
    file seems to have no header row: the cells below it may hold none, and the name heads every conversion."""
    out: list[Finding] = []
    named = getattr(p, "header_pii", None) or {}
    for column, kinds in sorted(p.pii.items()):
        in_name = named.get(column) or {}
        for kind, count in kinds.items():
            cells = count - in_name.get(kind, 0)
            if kind in KIND_SLUGS and cells > 0:
                out.append(make_finding(KIND_SLUGS[kind], distribution=d, **_where(p, column, named), count=cells))
    for column, kinds in sorted(named.items()):
        for kind, count in kinds.items():
            if kind in KIND_SLUGS:
                out.append(make_finding(KIND_SLUGS[kind], distribution=d, **_where(p, column, named), header_row=True,
                                        count=count))
    return out


def _where(p, column: str, named: dict) -> dict:
    """A finding's evidence naming `column`: ``column``, or ``column_position`` (`column_ref`). A column whose label
    is personal data (`named`) is said by its position even when its field name is not personal data itself (a
    repeated label gets its occurrence number: ``138123456782``)."""
    ref = column_ref(p, column)
    if column in named and not isinstance(ref, int):
        names = list(getattr(p, "inferred_types", None) or {})
        ref = names.index(column) + 1 if column in names else REDACTED
    return {"column_position": ref} if isinstance(ref, int) else {"column": ref}


RULE = Rule("pii", TYPES, subject="table", part="data", check=check)
