"""Personal data published in a table (``quality.pii`` finds it): one finding per column and kind.

The same findings name a part of the file instead of a column when the whole-file scan finds personal data
outside the table (``quality.rules.pii_file``): ``{located}``, ``{outside}`` and ``{also}`` are worded from the
evidence (``column``, or ``part`` and ``within``) by ``quality.findings``. Personal data caps the overall score at
`CAP`, whatever the other parts earn.
"""

from __future__ import annotations

from quality.findings import Finding, FindingType, Rule, column_ref, make_finding

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
        message_en="{located} holds {count} e-mail address(es){outside}.",
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
    personal data itself (a file without a header row) is named by its position (``column_position``)."""
    out: list[Finding] = []
    for column, kinds in sorted(p.pii.items()):
        ref = column_ref(p, column)
        where = {"column_position": ref} if isinstance(ref, int) else {"column": ref}
        for kind, count in kinds.items():
            if kind in KIND_SLUGS:
                out.append(make_finding(KIND_SLUGS[kind], distribution=d, **where, count=count))
    return out


RULE = Rule("pii", TYPES, subject="table", part="data", check=check)
