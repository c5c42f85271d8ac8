"""The personal-data gate: personal data found in a file keeps it from the public until an admin of the
publisher (or a sysadmin) overrides the block with a reason. An override covers the files (by sha256)
present when it was made; a changed file needs a new one. The serving side of the same rule is
app.services.serving.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from app.services import access
from app.services.audit import audit
from app.services.base import service
from app.services.errors import Conflict, Forbidden, Invalid
from app.texts import T_
from catalog_schema.models import Dataset, utcnow
from catalog_schema.store import set_extras, to_record
from quality.assess import PII_SLUGS

MIN_REASON_CHARS = 10  # letters; a Chinese character counts as two (`reason_width`): 5 make a reason


def reason_width(text: str) -> int:
    """How long a reason is, a wide character (Chinese, Japanese, Korean, full-width forms) counting as two: ten
    letters say little, while 号码依法公开 (six characters) is a whole reason, which the ten-character minimum
    refused."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pii_slugs() -> tuple[str, ...]:
    return PII_SLUGS


def pii_findings(doc: dict) -> list[dict]:
    slugs = pii_slugs()
    return [f for f in doc.get("findings") or [] if f.get("type") in slugs]


def pii_override(ds: Dataset) -> dict | None:
    return ((ds.extras or {}).get("publishing") or {}).get("pii_override")


def covers(ds: Dataset, archive_hash: str | None) -> bool:
    """Does a recorded override cover this copy of a file (an override covers the files present when it was
    made, by sha256)?"""
    override = pii_override(ds)
    return bool(isinstance(override, dict) and archive_hash and archive_hash in set(override.get("files") or []))


def pii_blocking(ds: Dataset, doc: dict, distributions=None) -> list[dict]:
    """PII findings not covered by a recorded override. `distributions` (rows with `id` and `archive_hash`): the
    dataset's files when the caller read them apart (a list of many datasets), else `ds.distributions`."""
    hashes = {row.id: row.archive_hash for row in (ds.distributions if distributions is None else distributions)}
    return [f for f in pii_findings(doc) if not covers(ds, hashes.get(f.get("distribution")))]


#: What each personal-data finding found, as the refusal names it (the finding's slug stays in the error's detail).
KIND_WORDS = {"pii-id-number": T_("resident identity numbers"), "pii-phone": T_("mobile numbers"),
              "pii-email": T_("e-mail addresses"), "pii-bank-card": T_("bank card numbers")}


def _kinds(blocking: list[dict]):
    """The kinds found, in words of the reader's language ("resident identity numbers, mobile numbers";
    "居民身份证号码、手机号码"): the slugs said "pii-id-number, pii-phone" in a Chinese sentence."""
    words = [KIND_WORDS.get(slug, slug) for slug in sorted({f["type"] for f in blocking})]
    said = words[0]
    for word in words[1:]:
        said = T_("%(a)s, %(b)s", a=said, b=word)
    return said


def blocked_message(blocking: list[dict], *, new: bool = False) -> str:
    kinds = _kinds(blocking)
    if new:
        return T_("Personal data found (%(kinds)s): nothing was created. Remove it from the file; or create the "
                  "dataset as a draft (the publish page, or POST /api/v1/datasets without publish), where an admin "
                  "of the publisher can override the block with a reason.", kinds=kinds)
    return T_("Personal data found (%(kinds)s): remove it from the file, or an admin of the publisher must override "
              "with a reason.", kinds=kinds)


def _second_admin_required(actor) -> bool:
    settings = actor.runtime.settings if actor.runtime is not None else {}
    return bool(settings.get("PII_OVERRIDE_SECOND_ADMIN"))


@service
def override_pii(actor, ds: Dataset, reason: str) -> dict[str, Any]:
    """An admin of the publisher (or a sysadmin) lets the files with personal data out, saying why.

    Under the two-person rule (setting PII_OVERRIDE_SECOND_ADMIN) the first admin's override waits, as
    `pii_override_pending`, for a second, different admin to confirm it with a reason of their own; only
    then does it cover the files (the same files: a file changed in between needs a new override).
    Returns the override (`{"pending": true, ...}` while it waits)."""
    # app.services.check imports this module
    from app.services.check import prepublication_check

    session, user = actor.session, actor.user
    reason = _admins_reason(
        actor, ds, reason,
        T_("Only an admin of the publisher (or a sysadmin) may override a personal-data block."),
        T_("Give the reason for publishing personal data (at least %(min_reason_chars)s letters, or %(min_wide)s "
           "Chinese characters).", min_reason_chars=MIN_REASON_CHARS, min_wide=-(-MIN_REASON_CHARS // 2)))
    check = prepublication_check(session, ds, **actor.check_kwargs())
    found = pii_findings(check["assessment"])
    if not found:
        raise Conflict(T_("No personal data was found: there is nothing to override."))
    hashes = {row.id: row.archive_hash for row in ds.distributions}
    files = sorted({hashes[f["distribution"]] for f in found if hashes.get(f.get("distribution"))})
    decision = {"by": user.email, "user_id": user.id, "at": utcnow().isoformat(), "reason": reason[:2000],
                "findings": sorted({f["type"] for f in found}), "files": files}
    publishing = dict((ds.extras or {}).get("publishing") or {})
    pending = publishing.get("pii_override_pending")
    before = to_record(ds)
    if _second_admin_required(actor):
        if not pending or pending.get("files") != files:
            publishing["pii_override_pending"] = decision
            set_extras(ds, "publishing", publishing)
            audit(actor, "publish.pii_override_requested", ds, before, to_record(ds), reason=decision["reason"],
                  findings=decision["findings"])
            session.commit()
            return {**decision, "pending": True}
        if pending.get("user_id") == user.id:
            raise Conflict(T_("The two-person rule is on: a second admin of the publisher must confirm this override."),
                           code="second-admin-required")
        decision = {**pending, "confirmed_by": user.email, "confirmed_user_id": user.id,
                    "confirmed_at": decision["at"], "confirm_reason": decision["reason"]}
    publishing.pop("pii_override_pending", None)
    publishing.pop("pii_override_revoked", None)  # a new decision: the revocation before it is the audit log's
    publishing["pii_override"] = decision
    set_extras(ds, "publishing", publishing)
    audit(actor, "publish.pii_override", ds, before, to_record(ds), reason=decision["reason"],
          findings=decision["findings"], **({"confirmed_by": decision["confirmed_by"]}
                                            if "confirmed_by" in decision else {}))
    session.commit()
    return decision


def revocation(ds: Dataset) -> dict | None:
    """The latest revocation of an override still standing as the last word (`revoke_override`): none once a new
    override is given."""
    return ((ds.extras or {}).get("publishing") or {}).get("pii_override_revoked")


def _admins_reason(actor, ds: Dataset, reason: str, not_admin, too_short) -> str:
    """The rule giving and revoking an override share: an admin of the publisher (or a sysadmin; else `not_admin`,
    403), a dataset not harvested, a reason of at least MIN_REASON_CHARS (else `too_short`, 422 on `reason`).
    Returns the reason, its white space made single."""
    if not access.is_admin_of(actor.session, actor.user, ds.publisher):
        raise Forbidden(not_admin)
    access.ensure_not_harvested(ds, actor.user)
    reason = " ".join(str(reason or "").split())
    if reason_width(reason) < MIN_REASON_CHARS:
        raise Invalid(too_short, field="reason")
    return reason


@service
def revoke_override(actor, ds: Dataset, reason: str) -> dict[str, Any]:
    """An admin of the publisher (or a sysadmin), who may give an override, takes one back, saying why: the files it
    covered are withheld (or masked, under PII_POLICY=redact) again from the next request on, and publishing is
    blocked again while they hold personal data. An override still waiting for its second admin is withdrawn the
    same way. The dataset keeps what was revoked, when and why (`pii_override_revoked`, said in public without who:
    catalog_schema.record.public_record); it is indexed and, published, assessed again. Returns the revocation."""
    # app.services.datasets imports this module
    from app.services.datasets import finish

    user = actor.user
    reason = _admins_reason(
        actor, ds, reason,
        T_("Only an admin of the publisher (or a sysadmin) may revoke a personal-data override."),
        T_("Give the reason for revoking the override (at least %(min_reason_chars)s letters, or %(min_wide)s "
           "Chinese characters).", min_reason_chars=MIN_REASON_CHARS, min_wide=-(-MIN_REASON_CHARS // 2)))
    publishing = dict((ds.extras or {}).get("publishing") or {})
    given, pending = publishing.get("pii_override"), publishing.get("pii_override_pending")
    if not given and not pending:
        raise Conflict(T_("There is no personal-data override to revoke."), code="no-override")
    before = to_record(ds)
    revoked = given or pending
    # what was revoked, without its people (the audit entry's `before` keeps them): a public document strips them
    # from the revocation itself only (catalog_schema.record._PEOPLE), not from inside it
    kept = {k: revoked.get(k) for k in ("reason", "at", "findings", "files", "confirmed_at")
            if revoked.get(k) is not None}
    decision = {"by": user.email, "user_id": user.id, "at": utcnow().isoformat(), "reason": reason[:2000],
                "pending": not given, "override": kept}
    publishing.pop("pii_override", None)
    publishing.pop("pii_override_pending", None)
    publishing["pii_override_revoked"] = decision
    set_extras(ds, "publishing", publishing)
    audit(actor, "publish.pii_override_revoked", ds, before, to_record(ds), reason=decision["reason"],
          findings=kept.get("findings") or [], files=kept.get("files") or [], pending=decision["pending"])
    finish(actor, ds)  # indexed (its exposure is searched), committed, and assessed again when published
    return decision
