"""Publishers (CKAN's organizations): a sysadmin creates one, its admins (and sysadmins) edit what it says of itself.

What a publisher says of itself: its name in each language (`title`, a language map), its `description` (a language
map), its `homepage` and its logo's address (`image_url`) and the CKAN `extras` a migrated organization brought
(a list of {key, value}; the last two are kept in its `extras["ckan"]`, where a harvested organization's own keys
are). Its slug is in its URLs, its datasets' records and every API: it is given once, at its creation, and never
changed. A change is audited (`publisher.created`, `publisher.updated`, before and after the fields that changed);
an edit that changes nothing writes nothing: no audit entry, no new `updated_at` (the catalog's validators,
`changelog.catalog_state`, read it). A new name has the publisher's datasets indexed again (it is in their
documents). A sysadmin deletes a publisher that has no datasets and no harvest source left (`delete`, audited as
`publisher.deleted` with what it said of itself). Every door (the CKAN actions organization_create/_update/_patch/
_delete) changes publishers here only.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.services import access
from app.services.base import service
from app.services.context import Actor
from app.services.errors import Conflict, Forbidden, Invalid
from app.texts import T_
from catalog_schema import search
from catalog_schema.models import Dataset, HarvestSource, Publisher
from catalog_schema.store import add_audit_event, remove_publisher

#: A publisher's slug as CKAN names organizations (lower-case letters, digits, - and _, 2 to 100 characters).
SLUG = re.compile(r"[a-z0-9_-]{2,100}")
#: What a publisher says of itself, as the services take it.
FIELDS = ("title", "description", "homepage", "image_url", "extras")
#: The longest name, description and address taken (the pages show them whole).
TEXT_MAX = 10_000
_LANG = re.compile(r"([a-zA-Z]{2,3}(-[a-zA-Z0-9]+)*)?")


def view(pub: Publisher) -> dict[str, Any]:
    """What `pub` says of itself, as FIELDS name it (None: not said)."""
    kept = (pub.extras or {}).get("ckan") or {}
    return {"title": dict(pub.name or {}), "description": dict(pub.description or {}), "homepage": pub.homepage,
            "image_url": kept.get("image_url") or None, "extras": kept.get("extras") or None}


def _langmap(field: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and _LANG.fullmatch(k) and isinstance(v, str)
                                              for k, v in value.items()):
        raise Invalid(T_("A text in each language, such as {\"en\": \"...\", \"zh\": \"...\"}"), field=field)
    out = {k: v.strip() for k, v in value.items() if v.strip()}
    if any(len(v) > TEXT_MAX for v in out.values()):
        raise Invalid(T_("At most %(max)s characters", max=TEXT_MAX), field=field)
    return out


def _address(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/]+\S*", value.strip(), re.I) \
            or len(value) > TEXT_MAX:
        raise Invalid(T_("Give an address that starts with http:// or https://."), field=field)
    return value.strip()


def _extras(value: Any) -> list[dict[str, str]] | None:
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(
            isinstance(e, dict) and set(e) <= {"key", "value", "state", "id"} and isinstance(e.get("key"), str)
            and e["key"].strip() and isinstance(e.get("value", ""), str) for e in value):
        raise Invalid(T_("A list of {\"key\": ..., \"value\": ...}, each key a text"), field="extras")
    keys = [e["key"] for e in value]
    if len(set(keys)) != len(keys):
        raise Invalid(T_("Each key once"), field="extras")
    return [{"key": e["key"], "value": e.get("value", "")} for e in value if e.get("state", "active") == "active"] \
        or None


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` (some of FIELDS) checked and normalised; a refusal names the field at fault."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"not a publisher's field: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("title", "description"):
            out[key] = _langmap(key, value)
        elif key in ("homepage", "image_url"):
            out[key] = _address(key, value)
        else:
            out[key] = _extras(value)
    return out


def _apply(pub: Publisher, changes: dict[str, Any]) -> None:
    if "title" in changes:
        pub.name = changes["title"]
    if "description" in changes:
        pub.description = changes["description"]
    if "homepage" in changes:
        pub.homepage = changes["homepage"]
    kept = dict((pub.extras or {}).get("ckan") or {})
    for key in ("image_url", "extras"):
        if key in changes:
            if changes[key] is None:
                kept.pop(key, None)
            else:
                kept[key] = changes[key]
    if {"image_url", "extras"} & set(changes):
        pub.extras = {**(pub.extras or {}), "ckan": kept}


def _audit(actor: Actor, action: str, pub: Publisher, before: dict | None, after: dict | None) -> None:
    add_audit_event(actor.session, user_id=actor.user.id if actor.user is not None else None, action=action,
                    object_type="publisher", object_id=pub.slug, publisher_id=pub.id, before=before, after=after,
                    detail={"via": actor.via, "publisher": pub.slug}, ip=actor.ip)


def may_create(user) -> bool:
    """Whether `user` may create a publisher: active sysadmins."""
    return user is not None and user.active and user.is_sysadmin


def may_edit(session, user, pub: Publisher) -> bool:
    """Whether `user` may change what `pub` says of itself: its admins and sysadmins (a door asks before it reads
    the change, so that who may not is told so first, as CKAN checks rights before the data)."""
    return access.is_admin_of(session, user, pub)


def cannot_create() -> Forbidden:
    return Forbidden(T_("Only a sysadmin may add a publisher."))


def cannot_edit(pub: Publisher) -> Forbidden:
    return Forbidden(T_("Only an admin of %(publisher)s (or a portal administrator) may change it.",
                        publisher=pub.slug))


@service
def create(actor: Actor, slug: str, fields: dict[str, Any], source_id: str | None = None) -> Publisher:
    """A new publisher `slug` saying `fields`; a sysadmin's only. `source_id`: the id the organization had on the
    portal it comes from (a CKAN dump's), kept beside its image. Audited as `publisher.created`; committed.
    Refused: not a sysadmin (403), a slug no CKAN client takes (422, field `slug`), a slug taken (409)."""
    session = actor.session
    if not may_create(actor.user):
        raise cannot_create()
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise Invalid(T_("Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"),
                      field="slug")
    if session.scalar(select(Publisher.id).where(Publisher.slug == slug)) is not None:
        raise Conflict(T_("Group name already exists in database"), field="slug")
    checked = _checked(fields)
    pub = Publisher(slug=slug, name={}, description={}, extras={})
    if source_id and source_id != slug:
        pub.extras = {"ckan": {"id": source_id}}
    _apply(pub, checked)
    pub.edited = sorted(k for k, v in checked.items() if v)  # said by a person: no harvest changes it
    session.add(pub)
    try:
        session.flush()
    except IntegrityError:  # another request created it since we looked
        session.rollback()
        raise Conflict(T_("Group name already exists in database"), field="slug") from None
    _audit(actor, "publisher.created", pub, None, {k: v for k, v in view(pub).items() if v})
    session.commit()
    return pub


@service
def edit(actor: Actor, pub: Publisher, fields: dict[str, Any]) -> dict[str, Any]:
    """Change what `pub` says of itself to `fields` (some of FIELDS; a field left out is left as it is): its admins
    and sysadmins. Returns the fields that changed, with their new values (empty: nothing changed, nothing written,
    nothing audited). Audited as `publisher.updated`; a new title has its datasets indexed again; committed."""
    if not may_edit(actor.session, actor.user, pub):
        raise cannot_edit(pub)
    checked = _checked(fields)
    before = view(pub)
    changes = {k: v for k, v in checked.items() if v != before[k]}
    if not changes:
        return {}
    _apply(pub, changes)
    pub.edited = sorted(set(pub.edited or ()) | set(changes))  # said by a person now: no harvest changes it again
    actor.session.flush()
    _audit(actor, "publisher.updated", pub, {k: before[k] for k in changes}, changes)
    if "title" in changes:
        search.reindex_publisher(actor.session, pub.id)
    actor.session.commit()
    return changes


@service
def release(actor: Actor, pub: Publisher, fields: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Hand `fields` of `pub` (all it holds as edited when none is named) back to its harvests: they were said by a
    person (`edit`, `create`), so no harvest changed them again (`publishers.edited`); once released, the source that
    keeps the publisher (`publishers.source_id`) updates them at its next import of one of the publisher's records,
    any other source fills them when empty. Its admins and sysadmins. Returns the fields released (empty: none of
    them was held, nothing written). Audited as `publisher.released` (the edited fields before and after);
    committed. Refused: a field that is none of FIELDS (400)."""
    if not may_edit(actor.session, actor.user, pub):
        raise cannot_edit(pub)
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise Invalid(T_("%(fields)s: not a field of a publisher (one of %(known)s)", fields=", ".join(unknown),
                         known=", ".join(FIELDS)))
    held = list(pub.edited or ())
    released = [f for f in held if not fields or f in fields]
    if not released:
        return []
    pub.edited = [f for f in held if f not in released] or None
    actor.session.flush()
    _audit(actor, "publisher.released", pub, {"edited": held}, {"edited": pub.edited or []})
    actor.session.commit()
    return released


def cannot_delete() -> Forbidden:
    return Forbidden(T_("Only a sysadmin may delete a publisher."))


@service
def delete(actor: Actor, pub: Publisher) -> None:
    """Delete publisher `pub` (CKAN's organization_delete): a sysadmin's, once it has no datasets (drafts, published
    or withdrawn ones: a withdrawn dataset's tombstone names it; those a sysadmin deleted are let go) and no harvest
    source feeds it. Its members lose their role there, its invitations, weekly reports and followers go with it;
    the audit log keeps `publisher.deleted` with what it said of itself. Committed. Refused: not a sysadmin (403);
    datasets left (409 `publisher-has-datasets`), a source left (409 `publisher-has-sources`), nothing changed."""
    session = actor.session
    if not may_create(actor.user):
        raise cannot_delete()
    held = session.scalar(select(func.count()).select_from(Dataset).where(
        Dataset.publisher_id == pub.id, Dataset.state != "deleted")) or 0
    if held:
        raise Conflict(T_("Organization cannot be deleted while it still has datasets (%(slug)s has %(count)s, drafts "
                          "and withdrawn ones counted): move them to another organization or delete them first",
                          slug=pub.slug, count=held), code="publisher-has-datasets", datasets=held)
    sources = list(session.scalars(select(HarvestSource.name).where(HarvestSource.publisher_id == pub.id,
                                                                   HarvestSource.deleted_at.is_(None))))
    if sources:
        raise Conflict(T_("Organization cannot be deleted while harvest sources feed it (%(sources)s): delete them or "
                          "give them another publisher first", sources=", ".join(sources)),
                       code="publisher-has-sources")
    # its own row's id goes: the entry names it by slug, and says what it was
    _audit(actor, "publisher.deleted", pub, {k: v for k, v in view(pub).items() if v}, None)
    remove_publisher(session, pub)
    session.commit()
