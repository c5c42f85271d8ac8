"""CKAN 2.10's read actions beyond the core ones of app/api/ckan_core.py, which clients call of a portal: tags
(`tag_show`, `tag_search`, `tag_autocomplete`, `vocabulary_list`), the autocompletes of a search form
(`package_autocomplete`, `format_autocomplete`, `organization_autocomplete`, `group_autocomplete`), a group's or an
organization's datasets and members (`group_package_show`, `member_list`), `resource_search`,
`package_relationships_list`, the accounts (`user_show`, `user_list`, `user_autocomplete`), a resource's views
(`resource_view_list`, `resource_view_show`: none here) and CKAN's runtime configuration options (`config_option_list`,
`config_option_show`: to sysadmins, as in CKAN).

Each takes CKAN's parameters and answers CKAN's shapes. What is answered is what the public sees (published
datasets only), but for accounts: this portal's accounts are its publishers' staff, named by their e-mail addresses,
which are private. `user_show` is the account's own and the portal administrators', `user_list` the administrators',
and `member_list`'s users are shown to who may see the organization's members (app/services/accounts.py); anyone else
gets CKAN's Authorization Error (403), which tells no one whether an account exists.

Tags are the datasets' keywords (no vocabularies: `vocabulary_list` is empty), groups the EU data themes and
organizations the publishers, as in ckan_core.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from app.api.ckan_core import (
    MAX_LIST,
    ActionError,
    _bool,
    _find_dataset,
    _find_publisher,
    _find_user,
    _id_param,
    _iso,
    _packages,
    _readable,
    _theme_group,
    denied,
    free_tags_only,
    int_param,
    invalid,
    not_found,
    organization_dict,
    resource_show,
    status_show,
)
from app.services import accounts, serving
from app.texts import T_
from catalog_schema import search, series, vocab
from catalog_schema.models import Dataset, Distribution, Publisher, User
from catalog_schema.record import pick_text

#: Every keyword of the published datasets is a tag the autocompletes and tag_search may suggest (the facet's cap).
_ALL_TAGS = 1000


def _text_param(params: dict, *keys: str, required: bool = False) -> str:
    """The first of `keys` given, as text ("" when none is); a Validation Error naming the first when `required`."""
    for key in keys:
        value = params.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    if required:
        raise invalid({keys[0]: [T_("Missing value")]})
    return ""


def _tag_dict(name: str) -> dict[str, Any]:
    """A tag as package dicts give it (catalog_schema.ckan.full_shape): a keyword, its name its id."""
    return {"id": name, "name": name, "display_name": name, "state": "active", "vocabulary_id": None}


def _tags(session: Session) -> list[str]:
    """The keywords of the published datasets, by name."""
    found = search.search(session, search.SearchQuery(limit=0, facets=["keyword"], facet_limit=_ALL_TAGS))
    return sorted(str(v) for v, _ in found.facets.get("keyword", []))


def _matching_tags(session: Session, params: dict) -> list[str]:
    free_tags_only(params)
    term = _text_param(params, "query", "q").casefold()
    return [t for t in _tags(session) if term in t.casefold()] if term else []


def tag_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """One tag (`id`: its name; tags are the published datasets' keywords), with `include_datasets` its datasets
    (up to 1000) as packages. A keyword no published dataset has is a Not Found Error."""
    name = _id_param(params, "id")
    free_tags_only(params)
    wanted = _bool(params, "include_datasets")
    found = search.search(session, search.SearchQuery(keyword=[name], limit=MAX_LIST if wanted else 0, sort="name",
                                                      facets=["keyword"], facet_limit=_ALL_TAGS))
    # the keyword itself among the found datasets' keywords: a filter value the index cannot hold (a NUL byte, too
    # long) is no filter there, and the search found every dataset
    if not any(str(v) == name for v, _ in found.facets.get("keyword", [])):
        raise not_found(T_("Could not find tag \"%(tag)s\"", tag=name))
    out = _tag_dict(name)
    if wanted:
        out["packages"] = _packages(session, list(found.ids))
    return out


def tag_search(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """The tags whose name holds `query` (or `q`), case aside, by name: {"count", "results": [tag dicts]}, paged by
    `limit` (default 10) and `offset`. No vocabularies here: a `vocabulary_id` is a Not Found Error."""
    tags = _matching_tags(session, params)
    limit = int_param(params, "limit", 10, 0, MAX_LIST)
    offset = int_param(params, "offset", 0, 0)
    return {"count": len(tags), "results": [_tag_dict(t) for t in tags[offset:offset + limit]]}


def tag_autocomplete(session: Session, params: dict, user: User | None) -> list[str]:
    """The names of the tags holding `q` (or `query`), case aside, by name; at most `limit` (default 10)."""
    return _matching_tags(session, params)[:int_param(params, "limit", 10, 0, MAX_LIST)]


def vocabulary_list(session: Session, params: dict, user: User | None) -> list[Any]:
    """Tag vocabularies: none here (tags are the datasets' free keywords; the controlled vocabularies, themes,
    licences and formats, are groups, `license_list` and resource formats)."""
    return []


def format_autocomplete(session: Session, params: dict, user: User | None) -> list[str]:
    """The published resources' formats holding `q` (required; case aside) in their name or code, the most used
    first, lower case as CKAN gives them; at most `limit` (default 5)."""
    term = _text_param(params, "q", required=True).casefold()
    limit = int_param(params, "limit", 5, 0, MAX_LIST)
    found = search.search(session, search.SearchQuery(limit=0, facets=["format"], facet_limit=_ALL_TAGS))
    out: list[str] = []
    for code, _count in found.facets.get("format", []):  # most used first
        fmt = vocab.format_by_code(str(code))
        label = (fmt.label if fmt else str(code)).lower()
        if (term in label or term in str(code).casefold()) and label not in out:
            out.append(label)
    return out[:limit]


def _like(term: str) -> str | None:
    """`term` as a LIKE pattern that finds it anywhere, its wildcards taken literally (escape `\\`); None for a term
    no stored text holds (a NUL byte: SQLite's LIKE ends the pattern there, and found everything; PostgreSQL refuses
    it)."""
    if "\x00" in term:
        return None
    return "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"


def package_autocomplete(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """Published datasets whose name holds `q` (case aside), by name, then those whose title matches it (the search
    index's words: a Chinese title by its two-character words), best first: [{"name", "title", "match_field":
    "name" | "title", "match_displayed"}], at most `limit` (default 10)."""
    term = _text_param(params, "q", required=True)
    limit = int_param(params, "limit", 10, 0, MAX_LIST)
    if not limit:
        return []
    pattern = _like(term.lower())
    if pattern is None:
        return []
    out: list[dict[str, Any]] = []
    named = session.execute(select(Dataset.slug, Dataset.title)
                            .where(Dataset.state == "active", Dataset.slug.like(pattern, escape="\\"))
                            .order_by(Dataset.slug).limit(limit)).all()
    for slug, title in named:
        out.append({"name": slug, "title": pick_text(serving.public_title({"title": title}), fallback=slug),
                    "match_field": "name",
                    "match_displayed": slug})
    if len(out) < limit and search.parse_query(term):  # words to match (`*` is every dataset, not a title's)
        found = search.search(session, search.SearchQuery(q=term, limit=limit * 2, count=False))
        seen = {o["name"] for o in out}
        rows = {ds_id: (slug, title) for ds_id, slug, title in session.execute(
            select(Dataset.id, Dataset.slug, Dataset.title).where(Dataset.id.in_(found.ids)))}
        for ds_id in found.ids:
            if ds_id not in rows or rows[ds_id][0] in seen or len(out) >= limit:
                continue
            slug, title = rows[ds_id]
            shown = pick_text(serving.public_title({"title": title}), fallback=slug)  # its personal data redacted
            out.append({"name": slug, "title": shown, "match_field": "title", "match_displayed": f"{shown} ({slug})"})
    return out


def _group_brief(out: dict[str, Any]) -> dict[str, Any]:
    return {"id": out["id"], "name": out["name"], "title": out["title"]}


def _names_match(term: str, *texts: Any) -> bool:
    for text in texts:
        values = text.values() if isinstance(text, dict) else [text]
        if any(isinstance(v, str) and term in v.casefold() for v in values):
            return True
    return False


def organization_autocomplete(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """Organizations whose name or title (in any language) holds `q`, case aside, by name: [{"id", "name",
    "title"}], at most `limit` (default 20)."""
    term = _text_param(params, "q", required=True).casefold()
    limit = int_param(params, "limit", 20, 0, MAX_LIST)
    pubs = sorted(session.scalars(select(Publisher)), key=lambda p: p.slug)
    return [_group_brief(organization_dict(p)) for p in pubs if _names_match(term, p.slug, p.name)][:limit]


def group_autocomplete(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """Groups (the EU data themes) whose name, code or title (English or Chinese) holds `q`, case aside, by name:
    [{"id", "name", "title"}], at most `limit` (default 20)."""
    term = _text_param(params, "q", required=True).casefold()
    limit = int_param(params, "limit", 20, 0, MAX_LIST)
    out = []
    for code in sorted(vocab.THEMES):
        group = _theme_group(code)
        if _names_match(term, group["name"], group.get("title_translated") or {}, group["title"]):
            out.append(_group_brief(group))
    return out[:limit]


def _group_or_organization(session: Session, ref: str) -> tuple[str | None, Publisher | None]:
    """(theme code, None) for a group, (None, publisher) for an organization; a Not Found Error for neither."""
    code = next((c for c, t in vocab.THEMES.items() if ref.upper() == c or ref == t.uri), None)
    if code is not None:
        return code, None
    pub = _find_publisher(session, ref)
    if pub is None:
        raise not_found(T_("Group not found"))
    return None, pub


def group_package_show(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The published datasets of a group (a theme) or an organization (`id`), as package_search gives them, the
    most recently changed first; `limit` of them (default 10, as package_search's rows; at most 1000)."""
    code, pub = _group_or_organization(session, _id_param(params, "id"))
    limit = int_param(params, "limit", 10, 0, MAX_LIST) or 10
    query = search.SearchQuery(theme=[code] if code else [], publisher=[pub.slug] if pub else [], limit=limit,
                               sort="-modified", count=False)
    return _packages(session, list(search.search(session, query).ids))


def _all_ids(session: Session, query: search.SearchQuery) -> list[str]:
    """Every dataset id `query` finds, a page of the search at a time."""
    out: list[str] = []
    while True:
        query.offset, query.limit = len(out), search.MAX_LIMIT
        found = search.search(session, query)
        out.extend(found.ids)
        if not found.ids or len(out) >= found.total:
            return out


def member_list(session: Session, params: dict, user: User | None) -> list[list[str]]:
    """The members of a group or an organization (`id`): [[id, object type, capacity], ...]. A group's members are
    its published datasets (`package`, capacity `public`); an organization's, its published datasets (capacity
    `organization`) and its accounts (`user`, capacity `admin` or `editor`, each named by its number), the accounts
    to who may see them (its members and sysadmins: app.services.accounts.may_see_members). `object_type` (`package`
    or `user`) and `capacity` narrow the list; asking for the users of an organization one may not see is an
    Authorization Error, and without `object_type` they are left out for them (as organization_show does)."""
    code, pub = _group_or_organization(session, _id_param(params, "id"))
    object_type = _text_param(params, "object_type")
    capacity = _text_param(params, "capacity")
    out: list[list[str]] = []
    if object_type in ("", "package"):
        if code:
            out += [[i, "package", "public"] for i in _all_ids(session, search.SearchQuery(theme=[code], sort="name"))]
        else:
            ids = session.scalars(select(Dataset.id).where(Dataset.publisher_id == pub.id, Dataset.state == "active")
                                  .order_by(Dataset.slug))
            out += [[i, "package", "organization"] for i in ids]
    if object_type in ("", "user") and pub is not None:
        if accounts.may_see_members(session, user, pub):
            out += [[str(m.user_id), "user", m.role] for m in accounts.visible_members(session, user, pub)]
        elif object_type == "user":
            raise denied(T_("the members of %(publisher)s are shown to its own members and the portal's "
                            "administrators", publisher=pub.slug))
    return [m for m in out if not capacity or m[2] == capacity]


#: resource_search's fields: those the database filters (a column or two, substring, case aside), and those read
#: from the language maps of the rows the others leave (a resource's name and description in any language).
_RESOURCE_COLUMNS = {"url": (Distribution.download_url, Distribution.access_url),
                     "format": (Distribution.format, Distribution.format_raw), "mimetype": (Distribution.media_type,),
                     "id": (Distribution.id,), "package_id": (Distribution.dataset_id,)}
_RESOURCE_TEXTS = {"name": "title", "description": "description"}
_RESOURCE_ORDER = {"url": func.coalesce(Distribution.download_url, Distribution.access_url),
                   "format": Distribution.format, "mimetype": Distribution.media_type, "id": Distribution.id,
                   "package_id": Distribution.dataset_id, "position": Distribution.position}


def _resource_terms(query: Any) -> list[tuple[str, str]]:
    items = query if isinstance(query, list) else [query] if query not in (None, "") else []
    terms = []
    for item in items:
        field, sep, term = str(item).partition(":")
        field = field.strip()
        if not sep or not field:
            raise invalid({"query": [T_("Give field:term, as url:example.gov or format:csv (%(item)s)",
                                        item=str(item)[:80])]})
        if field not in _RESOURCE_COLUMNS and field not in _RESOURCE_TEXTS:
            raise invalid({"query": [T_("Field \"%(field)s\" not recognised in resource_search (give one of "
                                        "%(fields)s)", field=field[:80],
                                        fields=", ".join([*_RESOURCE_COLUMNS, *_RESOURCE_TEXTS]))]})
        terms.append((field, term.strip()))
    return terms


def resource_search(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """The resources of the published datasets matching every `query` term (`field:term`, or a list of them): the
    term held in the field, case aside; fields `url`, `format`, `mimetype`, `name`, `description` (in any language),
    `id`, `package_id` (or CKAN's older `fields`, {field: term}). {"count", "results": [resource dicts as
    resource_show gives them]}, ordered by `order_by`
    (`url`, `format`, `mimetype`, `id`, `package_id`, `position`; default: by dataset name, then position), paged
    by `offset` and `limit` (default and most 1000)."""
    terms = _resource_terms(params.get("query"))
    fields = params.get("fields")  # CKAN's older form, still taken: {"url": "example.gov", "format": "csv"}
    if isinstance(fields, dict):
        terms += _resource_terms([f"{k}:{v}" for k, v in fields.items()])
    order = _text_param(params, "order_by")
    if order and order not in _RESOURCE_ORDER:
        raise invalid({"order_by": [T_("Give one of %(fields)s", fields=", ".join(_RESOURCE_ORDER))]})
    offset = int_param(params, "offset", 0, 0)
    limit = int_param(params, "limit", MAX_LIST, 0, MAX_LIST)
    stmt = (select(Distribution.id, Distribution.dataset_id, Distribution.title, Distribution.description,
                   Dataset.contact_point, Dataset.creator, Publisher.email.label("pemail"))
            .join(Dataset, Dataset.id == Distribution.dataset_id).where(Dataset.state == "active")
            .outerjoin(Publisher, Publisher.id == Dataset.publisher_id))
    texts = []
    for field, term in terms:
        if field in _RESOURCE_TEXTS:
            texts.append((_RESOURCE_TEXTS[field], term.casefold()))
            continue
        pattern = _like(term.lower())
        if pattern is None:
            return {"count": 0, "results": []}
        stmt = stmt.where(or_(*(func.lower(cast(c, String)).like(pattern, escape="\\")
                                for c in _RESOURCE_COLUMNS[field])))
    keys = [_RESOURCE_ORDER[order]] if order else []
    stmt = stmt.order_by(*keys, Dataset.slug, Distribution.position, Distribution.id)
    found: list[tuple[str, str]] = []
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        # a file's name and description as the public reads them (serving.public_metadata): a redacted value in them
        # finds nothing, or the search would tell that it is there
        maps = {"title": row.title or {}, "description": row.description or {}}
        if texts:
            maps = serving.public_metadata({"contact_point": row.contact_point, "creator": row.creator,
                                            "publisher": {"email": row.pemail} if row.pemail else None,
                                            "distributions": [maps]})["distributions"][0]
        if all(_names_match(term, maps[key]) for key, term in texts):
            found.append((row.id, row.dataset_id))
    page = found[offset:offset + limit]
    packages = {p["id"]: p for p in _packages(session, list(dict.fromkeys(ds_id for _, ds_id in page)))}
    results = []
    for res_id, ds_id in page:
        res = next((r for r in packages.get(ds_id, {}).get("resources") or [] if r.get("id") == res_id), None)
        if res is not None:
            results.append(res)
    return {"count": len(found), "results": results}


def package_relationships_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """A dataset's relationships (`id`; `id2`: only those with that dataset; `rel`: of that type), as CKAN gives
    them: [{"subject", "type", "object", "comment"}], by name. The one relationship kept here is a dataset series'
    (DCAT-AP's dcat:inSeries): a member is `child_of` its series, a series `parent_of` each member; published ones
    only."""
    ds = _readable(session, _find_dataset(session, _id_param(params, "id")), user)
    out = [{"subject": ds.slug, "type": "child_of", "object": s.slug, "comment": ""}
           for s in series.series_of(session, ds.id)]
    if ds.kind == series.SERIES:
        out += [{"subject": ds.slug, "type": "parent_of", "object": m.slug, "comment": ""}
                for m in series.members(session, ds.id)]
    other = _text_param(params, "id2")
    if other:
        ds2 = _readable(session, _find_dataset(session, other), user)
        out = [r for r in out if r["object"] == ds2.slug]
    rel = _text_param(params, "rel")
    return [r for r in out if not rel or r["type"] == rel]


def _user_show_dict(account: User, *, email: bool) -> dict[str, Any]:
    """An account as CKAN's user dict: named by its number (its address is private; `email` only to the account
    itself and the administrators), its full name its display name when it gave one."""
    name = str(account.id)
    out = {"id": name, "name": name, "fullname": account.name, "display_name": account.name or name, "about": None,
           "created": _iso(account.created_at), "sysadmin": bool(account.is_sysadmin),
           "state": "active" if account.active else "deleted", "image_display_url": ""}
    if email:
        out["email"] = account.email
    return out


ACCOUNTS_PRIVATE = T_("the accounts of this portal are shown to the account itself and to the portal's administrators")


def user_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """An account (`id`: its number or e-mail address) as CKAN's user dict, to the account itself (its token) and
    to sysadmins, with its `email`; to anyone else, the public included, an Authorization Error, whether or not
    the account exists. A sysadmin asking for one nobody has gets a Not Found Error. Without `id`, the token's own
    account, as CKAN answers. CKAN's `include_datasets` adds
    nothing: this catalog does not keep who created a dataset (its publisher's people edit it together)."""
    if user is None or not user.active:
        _id_param(params, "id")  # (a request naming no account is told so first, as it was)
        raise denied(ACCOUNTS_PRIVATE)
    # no `id`: the token's own account, as CKAN answers a signed-in user (scripts ask it to learn whose key they hold)
    ref = _text_param(params, "id") or str(user.id)
    account = _find_user(session, ref)
    if not accounts.may_see_account(user, account):
        raise denied(ACCOUNTS_PRIVATE)
    if account is None:
        raise not_found(T_("User not found"))
    return _user_show_dict(account, email=True)


_USER_ORDER = {"name": User.id, "id": User.id, "created": User.created_at, "email": User.email}


def user_list(session: Session, params: dict, user: User | None) -> list[Any]:
    """Every account, to sysadmins only (an Authorization Error to anyone else, the public included): user dicts
    (`all_fields`, the default) or their names; `q` finds the accounts whose address, name or number holds it,
    `order_by` (`display_name`, the default, `name`, `id`, `created`, `email`), `limit` and `offset` page them."""
    if not accounts.may_list_accounts(user):
        raise denied(ACCOUNTS_PRIVATE)
    stmt = select(User)
    term = _text_param(params, "q")
    if term:
        pattern = _like(term.lower())
        if pattern is None:
            return []
        stmt = stmt.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                              func.lower(User.name).like(pattern, escape="\\"),
                              cast(User.id, String).like(pattern, escape="\\")))
    order = _text_param(params, "order_by") or "display_name"
    if order != "display_name" and order not in _USER_ORDER:
        raise invalid({"order_by": [T_("Give one of %(fields)s", fields=", ".join(["display_name", *_USER_ORDER]))]})
    users = list(session.scalars(stmt.order_by(_USER_ORDER.get(order, User.id))))
    if order == "display_name":
        users.sort(key=lambda u: (u.name is None, (u.name or "").casefold(), u.id))
    offset = int_param(params, "offset", 0, 0)
    limit = int_param(params, "limit", None, 0)
    users = users[offset:offset + limit if limit is not None else None]
    if not _bool(params, "all_fields", True):
        return [str(u.id) for u in users]
    return [_user_show_dict(u, email=True) for u in users]


def user_autocomplete(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts whose address, name or number holds `q` (required), as CKAN's {"id", "name", "fullname"}, at most
    `limit` (default 20), not the asker's own with `ignore_self`: to sysadmins, as user_list (CKAN asks user_list's
    permission); to anyone else an Authorization Error. Named by their numbers, as user_show names them."""
    if not accounts.may_list_accounts(user):
        raise denied(ACCOUNTS_PRIVATE)
    term = _text_param(params, "q", required=True)
    pattern = _like(term.lower())
    if pattern is None:
        return []
    stmt = select(User).where(User.active.is_(True), or_(func.lower(User.email).like(pattern, escape="\\"),
                                                         func.lower(User.name).like(pattern, escape="\\"),
                                                         cast(User.id, String).like(pattern, escape="\\")))
    if _bool(params, "ignore_self"):
        stmt = stmt.where(User.id != user.id)
    found = session.scalars(stmt.order_by(User.id).limit(int_param(params, "limit", 20, 0, MAX_LIST)))
    return [{"id": str(u.id), "name": str(u.id), "fullname": u.name} for u in found]


def resource_view_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The views of a resource (`id`), as CKAN front ends and `ckanapi dump --resource-views` ask for them: none
    here (the portal keeps no CKAN views; its previews are made from each file's archived copy), so [] for a
    resource the reader may see, and resource_show's Not Found Error for one that does not exist or they may not."""
    resource_show(session, {"id": _id_param(params, "id")}, user)
    return []


def resource_view_show(session: Session, params: dict, user: User | None) -> dict[str, Any]:
    """A resource view by `id`: there are none here (resource_view_list), so a Not Found Error."""
    _id_param(params, "id")
    raise not_found(T_("Resource view not found"))


#: CKAN's core runtime-editable configuration options: config_option_show says what this portal has of each (read
#: only: config_option_update changes none of them, so config_option_list, "the keys config_option_update can update"
#: in CKAN, names none).
_CONFIG_OPTIONS = ("ckan.site_title", "ckan.site_logo", "ckan.site_url", "ckan.site_description", "ckan.site_about",
                   "ckan.site_intro_text", "ckan.site_custom_css", "ckan.theme", "logo_upload", "clear_logo_upload")
CONFIG_SYSADMINS = T_("the portal's configuration options are shown to its administrators (status_show gives its "
                      "title and address to everyone)")


def _sysadmin(user: User | None) -> None:
    if user is None or not user.active or not user.is_sysadmin:
        raise denied(CONFIG_SYSADMINS)


def config_option_list(session: Session, params: dict, user: User | None) -> list[str]:
    """The configuration options config_option_update can change, as CKAN defines this list: none here, so [] (to
    sysadmins, as in CKAN). This portal's settings are read from each process's environment when it starts
    (config_option_update says why none is changed at runtime); config_option_show still reads CKAN's own
    runtime-editable keys, read only. It used to name those keys, which config_option_update then refused, every one:
    a client that lists the options and updates them failed on the first."""
    _sysadmin(user)
    return []


def config_option_show(session: Session, params: dict, user: User | None) -> Any:
    """The value of one of CKAN's core runtime-editable options (`key`), read only here (config_option_list names
    none, as none can be updated), to sysadmins as in CKAN: `ckan.site_title` (in the request's language, as
    status_show), `ckan.site_url`, `ckan.site_description` (""), the others null (not kept here: this portal's
    settings come from its environment, `opendata settings`). Another key is CKAN's Validation Error."""
    _sysadmin(user)
    key = _text_param(params, "key", required=True)
    if key not in _CONFIG_OPTIONS:
        raise ActionError(409, "Validation Error", T_("Configuration option '%(key)s' can not be shown", key=key))
    status = status_show(session, {}, user)
    return {"ckan.site_title": status["site_title"], "ckan.site_url": status["site_url"],
            "ckan.site_description": status["site_description"]}.get(key)


def config_option_update(session: Session, params: dict, user: User) -> dict[str, Any]:
    """CKAN's runtime change of configuration options (`{key: value, ...}`), a sysadmin's: none can be changed here.
    CKAN keeps such changes in its database (`system_info`) and each process reads them; this portal reads its
    settings (app/settings.py, one registry) from each process's environment at its start, and has no store a running
    process reads them from, so a change here would hold in the one process that took it. Every key given is
    therefore CKAN's own refusal of an option it cannot update (a Validation Error, `Configuration option(s) '<key>'
    can not be updated`), nothing changed; set the setting (`OPENDATA_SITE_TITLE` ...) and restart instead. Given
    no option, it changes nothing and answers {}, as CKAN's. Anyone but a sysadmin gets an Authorization Error."""
    _sysadmin(user)
    keys = sorted(params)
    if keys:
        raise ActionError(409, "Validation Error", T_("Configuration option(s) '%(keys)s' can not be updated",
                                                      keys=" ".join(keys)))
    return {}


ACTIONS = {f.__name__: f for f in (tag_show, tag_search, tag_autocomplete, vocabulary_list, format_autocomplete,
                                   package_autocomplete, organization_autocomplete, group_autocomplete,
                                   group_package_show, member_list, resource_search, package_relationships_list,
                                   user_show, user_list, user_autocomplete, resource_view_list, resource_view_show,
                                   config_option_list, config_option_show)}
WRITES = {f.__name__: f for f in (config_option_update,)}
