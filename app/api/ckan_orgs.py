"""CKAN's organization and group writes: `organization_create`, `organization_update`, `organization_patch`,
`organization_delete`, `group_create`, `group_update`, `group_patch`, `group_delete`.

An organization is a publisher: these read CKAN's organization dict and hand what a publisher says of itself to
`app.services.publishers` (who may, the audit entry, the search index), answering `organization_show`'s dict
(organization_delete: None, as CKAN's). A key
sent back as `organization_show` gave it changes nothing, so `ckanapi load organizations` of a dump of this portal
writes nothing. The groups are the EU data themes, a fixed vocabulary: the group writes change nothing; a
`group_update` (`ckanapi load groups`) that says of a theme what `group_show` says of it succeeds, anything else is
refused naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.api.ckan_core import (
    ActionError,
    _actor,
    _call,
    _ckan_error,
    _find_publisher,
    _id_param,
    _theme_group,
    api_lang,
    group_show,
    invalid,
    not_found,
    organization_dict,
    organization_show,
)
from app.services import accounts, publishers
from app.services.errors import ServiceError
from app.texts import T_
from catalog_schema import vocab
from catalog_schema.models import Publisher, User

#: What organization_show computes (or this catalog does not keep of an organization): taken back as it was given,
#: never written.
_COMPUTED = ("display_name", "image_display_url", "created", "is_organization", "approval_status", "package_count",
             "num_followers", "revision_id", "packages", "member_count")
#: An organization's keys these actions write, and the publisher's field each says.
_WRITTEN = {"title": "title", "title_translated": "title", "description": "description",
            "description_translated": "description", "url": "homepage", "image_url": "image_url",
            "extras": "extras"}
#: The service's name of a field at fault, as CKAN's organization dict names it.
_CKAN_FIELD = {"slug": "name", "homepage": "url"}


def _translated(current: dict[str, Any], data: dict[str, Any], key: str, stored: dict[str, str]) -> dict | None:
    """The language map `data` says for `key` (title, description), None when it says what is there already.
    `<key>_translated` (ckanext-fluent) is the text in each language; a plain `key` alone changes the text in the
    language organization_show showed it in (untagged when it showed none), as package_patch changes a title."""
    tkey = f"{key}_translated"
    if tkey in data:
        given = data[tkey]
        if given in (None, ""):
            given = {}
        plain = data.get(key)
        if isinstance(given, dict) and given == current.get(tkey, {}):
            if not isinstance(plain, str) or plain == (current.get(key) or ""):
                return None
            # organization_show's dict with only `title` edited: the edit is the plain text, in the language shown
        else:
            if isinstance(given, dict) and isinstance(plain, str) and plain.strip() and plain not in given.values():
                raise invalid({key: [T_("%(key)s says another text than %(tkey)s: send one of them",
                                        key=key, tkey=tkey)]})
            return given  # checked by the service, which names the field
    if key not in data:
        return None
    given = data[key]
    if given is None:
        given = ""
    if not isinstance(given, str):
        raise invalid({key: [T_("Must be a text")]})
    if given == (current.get(key) or ""):
        return None
    shown = current.get(key)
    lang = next((k for k, v in stored.items() if v == shown), "" if not stored else None)
    if lang is None:
        lang = api_lang() if api_lang() in stored else ""
    out = dict(stored)
    if given.strip():
        out[lang] = given
    else:
        out.pop(lang, None)
    return out


def _members_unchanged(session: Session, user: User, pub: Publisher | None, given: Any) -> None:
    """`users` is not written here (CKAN's organization_update replaces the members with it): empty (what `ckanapi
    dump` sends without --include-users) or the members organization_show gives, it says nothing; any other list is
    refused, naming the member actions."""
    if given in (None, "", []):
        return
    said = sorted((str(u.get("name") or u.get("id") or ""), str(u.get("capacity") or "")) for u in given
                  if isinstance(u, dict)) if isinstance(given, list) else None
    members = sorted((str(m.user.id), m.role) for m in accounts.visible_members(session, user, pub)) if pub else []
    if said != members:
        raise invalid({"users": [T_("Members are not set by the organization's dict here: add, change or remove them "
                                    "one by one with organization_member_create and organization_member_delete (an "
                                    "account is an e-mail address: invite one on the publisher's members page), or "
                                    "leave users out")]})


def _fields(session: Session, user: User, pub: Publisher | None, data: dict[str, Any], *,
            patch: bool) -> dict[str, Any]:
    """The publisher's fields `data` (a CKAN organization dict) changes. organization_update says every field (one
    left out is emptied, as in CKAN; `title` left out keeps the name, which no CKAN client means to take away);
    organization_patch (`patch`) and organization_create (`pub` None: nothing yet) only those it sends."""
    current = organization_dict(pub, privileged=True) if pub is not None else {}  # what its writer read: as it is
    if pub is not None:
        stored_extras = ((pub.extras or {}).get("ckan") or {}).get("extras")
        current["extras"] = stored_extras if isinstance(stored_extras, list) else []
    for key, wanted in (("state", "active"), ("type", "organization")):
        if key in data and data[key] not in (None, "", wanted):
            raise invalid({key: [T_("An organization here is %(value)s only (organization_delete deletes one)",
                                    value=wanted)] if key == "state" else
                           [T_("Only organizations are written here: the groups are the EU data themes")]})
    if "is_organization" in data and data["is_organization"] in (False, "false", "False"):
        raise invalid({"is_organization": [T_("Only organizations are written here: the groups are the EU data "
                                              "themes")]})
    if data.get("groups"):
        raise invalid({"groups": [T_("Organizations have no parent organizations here")]})
    _members_unchanged(session, user, pub, data.get("users"))
    fields: dict[str, Any] = {}
    for key in ("title", "description"):
        stored = dict((pub.name if key == "title" else pub.description) or {}) if pub is not None else {}
        said = _translated(current, data, key, stored)
        if said is not None:
            fields[key] = said
        elif not patch and key == "description" and pub is not None and key not in data \
                and f"{key}_translated" not in data and stored:
            fields[key] = {}
    url = data.get("url", None if patch else "")
    if ("url" in data or not patch) and (url or "") != (current.get("url") or ""):
        fields["homepage"] = url
    if "image_url" in data or not patch:
        image = data.get("image_url") or ""
        display = data.get("image_display_url")
        if image and not str(image).lower().startswith(("http://", "https://")) and isinstance(display, str) \
                and display.lower().startswith(("http://", "https://")):
            image = display  # an uploaded logo of the CKAN it comes from: its address there
        if image != (current.get("image_url") or ""):
            if image and not str(image).lower().startswith(("http://", "https://")):
                raise invalid({"image_url": [T_("An organization's image is its address (http:// or https://): "
                                                "no file is uploaded here")]})
            fields["image_url"] = image
    if "extras" in data or not patch:
        extras = data.get("extras") or []
        if extras != (current.get("extras") or []):
            fields["extras"] = extras
    return fields


def _run(session: Session, user: User, service: Callable[..., Any], *args: Any) -> Any:
    """A publishers service through the CKAN door, its refusals naming CKAN's field (`url`, not `homepage`)."""
    def renamed(*a: Any) -> Any:
        try:
            return service(*a)
        except ServiceError as exc:
            field = exc.detail.get("field")
            exc.detail["field"] = _CKAN_FIELD.get(field, field)
            raise

    return _call(session, user, renamed, *args)


def _shown(session: Session, user: User, pub: Publisher) -> dict[str, Any]:
    return organization_show(session, {"id": pub.slug}, user)


def organization_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Create an organization (a publisher): a sysadmin's. `name` (its slug: 2 to 100 lower-case letters, digits,
    - and _; never changed after), `title` or ckanext-fluent's `title_translated` ({"en": ..., "zh": ...}),
    `description` (or `description_translated`), `url` (its homepage), `image_url` (its logo's http(s) address; a
    CKAN dump's uploaded logo is taken by its `image_display_url`) and `extras` (a list of {"key", "value"}, kept
    and shown as given). `id` may be another portal's (a CKAN dump's): it is kept, the organization's id here is
    its name. `users` other than [] is refused: members join by invitation or organization_member_create.
    Audited (publisher.created); answers organization_show's dict."""
    name = _id_param(params, "name")
    if not publishers.may_create(user):
        raise _ckan_error(publishers.cannot_create())
    fields = _fields(session, user, None, params, patch=True)
    source_id = params.get("id") if isinstance(params.get("id"), str) else None
    pub = _run(session, user, publishers.create, name, fields, source_id)
    return _shown(session, user, pub)


def _existing(session: Session, params: dict) -> Publisher:
    pub = _find_publisher(session, params.get("id")) or _find_publisher(session, params.get("name"))
    if pub is None:
        if not (params.get("id") or params.get("name")):
            raise invalid({"id": [T_("Missing value")]})
        raise not_found(T_("Organization not found"))
    return pub


def _same_name(pub: Publisher, params: dict) -> None:
    name = params.get("name")
    if name not in (None, "", pub.slug):
        raise invalid({"name": [T_("An organization's name is its publisher's slug, in its addresses and its datasets' "
                                   "records: it is not changed (%(name)s stays %(name)s)", name=pub.slug)]})


def _write(session: Session, params: dict, user: User, *, patch: bool) -> dict[str, Any]:
    pub = _existing(session, params)
    if not publishers.may_edit(session, user, pub):
        raise _ckan_error(publishers.cannot_edit(pub))
    _same_name(pub, params)
    fields = _fields(session, user, pub, params, patch=patch)
    _run(session, user, publishers.edit, pub, fields)
    return _shown(session, user, pub)


def organization_update(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Change an organization (`id`: its name): an admin of it or a sysadmin. Takes organization_create's keys and
    replaces what the organization says with them, as CKAN does: `description`, `url`, `image_url` and `extras`
    left out are emptied (`title` left out keeps the name); use organization_patch to change some. Its `name` is
    not changed (another one is a Validation Error); `users` is not written (CKAN's replaces the members): [] or
    the members organization_show gives change nothing, another list is refused. The keys organization_show
    computes (`display_name`, `created`, `package_count` ...) are taken back as given and ignored. What
    organization_show gave, sent back, changes nothing: no audit entry, the organization's time of change not
    moved (so `ckanapi load organizations` of a dump of this portal writes nothing). A change is audited
    (publisher.updated) and a new title has its datasets indexed again. Answers organization_show's dict."""
    return _write(session, params, user, patch=False)


def organization_patch(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Change only the keys sent of an organization (`id`: its name): an admin of it or a sysadmin. The keys of
    organization_update; `title` or `description` alone changes the text in the language organization_show showed
    it in. Answers organization_show's dict."""
    return _write(session, params, user, patch=True)


def organization_delete(session: Session, params: dict, user: User) -> None:
    """Delete an organization (`id`: its name): a sysadmin's, as `ckanapi delete organizations` asks it. Refused,
    as CKAN refuses it, while the organization still has datasets (drafts and withdrawn ones count: a withdrawn
    dataset's tombstone names its publisher; move them with package_owner_org_update or delete them first) or a
    harvest source feeds it: a Validation Error whose `message` says so, nothing changed. Its members lose their role
    there; the audit log keeps `publisher.deleted` with what it said of itself (app.services.publishers.delete)."""
    pub = _existing(session, {"id": params.get("id")})
    if not publishers.may_create(user):
        raise _ckan_error(publishers.cannot_delete())
    actor = _actor(session, user)
    try:
        publishers.delete(actor, pub)
    except ServiceError as exc:
        session.rollback()
        if exc.status == 409:  # CKAN's shape: {"__type": "Validation Error", "message": ...}
            raise ActionError(409, "Validation Error", exc.message, code=exc.code) from exc
        raise _ckan_error(exc) from exc
    finally:
        actor.runtime.close()
    return None


# --------------------------------------------------------------------------- groups: the EU data themes


def _themes_fixed(field: str = "id") -> ActionError:
    msg = T_("This catalog's groups are the EU data themes (group_list), a fixed vocabulary: they are not created, "
             "changed or deleted. A dataset's themes are its `groups` (package_patch)")
    return ActionError(409, "Validation Error", msg, **{field: [msg]})


def group_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Refused: the groups are the EU data themes, a fixed vocabulary (Validation Error). A dataset's themes are
    its `groups` (package_create, package_patch)."""
    raise _themes_fixed("name")


def _same_theme(params: dict) -> dict[str, Any]:
    """The theme a group_update or group_patch names, when it says of it only what group_show says."""
    ref = params.get("id") or params.get("name")
    code = next((c for c, t in vocab.THEMES.items() if isinstance(ref, str)
                 and (ref.upper() == c or ref == t.uri)), None)
    if code is None:
        raise not_found(T_("Group not found"))
    shown = _theme_group(code)
    for key in ("name", "title", "description", "image_url", "title_translated", "type", "state", "is_organization",
                "uri"):
        if key not in params or params[key] in (None, "") and not shown.get(key):
            continue
        if params[key] != shown.get(key, ""):
            raise _themes_fixed(key)
    for key in ("users", "groups", "extras"):
        if params.get(key):
            raise _themes_fixed(key)
    return shown


def _organization_as_group(session: Session, params: dict, user: User) -> dict[str, Any] | None:
    """A group write naming an organization (CKAN's organizations are groups: `ckanapi load organizations
    --upload-logo` sends each logo by group_update, a file as the part `image_upload`, an address as its text):
    organization_patch of the keys sent, the logo an address (an uploaded one is taken by its `image_display_url`,
    as organization_update takes it). None when it names no organization."""
    pub = _find_publisher(session, params.get("id")) or _find_publisher(session, params.get("name"))
    if pub is None:
        return None
    data = {k: v for k, v in params.items() if k not in ("image_upload", "clear_upload")}
    upload = params.get("image_upload")
    if isinstance(upload, str) and upload.lower().startswith(("http://", "https://")) and "image_url" not in data:
        data["image_url"] = upload
    return _write(session, data, user, patch=True)


def group_update(session: Session, params: dict, user: User) -> dict[str, Any]:
    """A theme as group_show gives it, sent back (`ckanapi load groups` of a dump of this portal): nothing changes,
    the answer is group_show's. Anything else is a Validation Error naming the field: the groups are the EU data
    themes, a fixed vocabulary. One naming an organization is its organization_patch (`ckanapi load organizations
    --upload-logo` sends an organization's logo so)."""
    written = _organization_as_group(session, params, user)
    if written is not None:
        return written
    shown = _same_theme(params)
    return group_show(session, {"id": shown["name"]}, user)


def group_patch(session: Session, params: dict, user: User) -> dict[str, Any]:
    """As group_update: only what group_show says of a theme is taken (nothing changes); an organization is
    patched."""
    return group_update(session, params, user)


def group_delete(session: Session, params: dict, user: User) -> None:
    """Refused: the groups are the EU data themes, a fixed vocabulary (Validation Error)."""
    raise _themes_fixed()


WRITES = {f.__name__: f for f in (organization_create, organization_update, organization_patch, organization_delete,
                                  group_create, group_update, group_patch, group_delete)}
