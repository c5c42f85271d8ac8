"""CKAN's following actions, on this portal's follows (app/services/follows.py: a user follows a dataset or a
publisher and gets a digest of their changes by e-mail): `follow_dataset`, `unfollow_dataset`, `am_following_dataset`,
`dataset_follower_count`, and for organizations (CKAN's groups that are organizations) `follow_group`,
`unfollow_group`, `am_following_group`, `group_follower_count` and `organization_follower_count`. CKAN front ends ask
them of each dataset page; they answered "Action name not known".

A dataset is one the reader may see (a draft to its publisher's people only), named by id or name; one they may not
is CKAN's Validation Error on `id` (`Not found: Dataset`), as CKAN's follow schema says of a dataset it has not. The
groups here are the EU data themes, which are not followed (a search of one is: `fq=groups:<name>` on its page):
their follower count is 0, `am_following_group` false, and following one a Validation Error saying so. The writes
take a token, as CKAN's; `am_following_*` without one is CKAN's Authorization Error.

Who follows what, as CKAN 2.10 tells it: `dataset_follower_list`, `organization_follower_list`, `group_follower_list`
(an organization's followers; a theme's: none) and `user_follower_list` (none: accounts are not followed) to sysadmins;
`followee_list`, `followee_count`, `dataset_followee_list`, `organization_followee_list` (and `group_followee_list`,
`user_followee_list`: none here) to the account itself and sysadmins (CKAN tells `followee_count` to anyone; here, as
`user_show`, the accounts are private).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.api.ckan_core import (
    _actor,
    _call,
    _find_dataset,
    _find_publisher,
    _find_user,
    _id_param,
    _iso,
    _package_counts,
    _packages,
    denied,
    invalid,
    organization_dict,
)
from app.api.ckan_reads import _user_show_dict
from app.services import accounts, follows, lifecycle
from app.texts import T_
from catalog_schema import vocab
from catalog_schema.models import Dataset, Follow, Publisher, User

NO_DATASET = T_("Not found: Dataset")
NO_GROUP = T_("Not found: Group")
SIGN_IN = T_("You must be logged in to determine if you are following it")


def _dataset(session: Session, params: dict, user: User | None) -> Dataset:
    ref = _id_param(params, "id")
    ds = _find_dataset(session, ref) or lifecycle.find(session, ref)[0]
    if ds is None or lifecycle.visible(session, ds, user) != lifecycle.FOUND:
        raise invalid({"id": [NO_DATASET]})
    return ds


def _organization(session: Session, params: dict) -> Publisher | None:
    """The organization `id` names; None for a theme (a group here); a Validation Error for neither."""
    ref = _id_param(params, "id")
    pub = _find_publisher(session, ref)
    if pub is None and not any(ref.upper() == code or ref == theme.uri for code, theme in vocab.THEMES.items()):
        raise invalid({"id": [NO_GROUP]})
    return pub



def _follower_dict(user: User, object_id: str, row: Follow) -> dict[str, Any]:
    """CKAN's follower dict: who follows what, since when."""
    return {"follower_id": str(user.id), "object_id": object_id, "datetime": _iso(row.created_at)}


def _mine(session: Session, user: User | None, kind: str, ref: str) -> Follow | None:
    if user is None or not user.active:
        return None
    actor = _actor(session, user)
    try:
        return follows.find(actor, kind, ref)
    finally:
        actor.runtime.close()


# --------------------------------------------------------------------------- datasets


def dataset_follower_count(session: Session, params: dict, user: User | None) -> int:
    """How many users follow a dataset (`id`: its id or name), as CKAN tells anyone."""
    return follows.followers(session, "dataset", _dataset(session, params, user).id)


def am_following_dataset(session: Session, params: dict, user: User | None) -> bool:
    """Whether the token's user follows a dataset (`id`); without a token, an Authorization Error."""
    ds = _dataset(session, params, user)
    if user is None or not user.active:
        raise denied(SIGN_IN)
    return _mine(session, user, "dataset", ds.slug) is not None


def follow_dataset(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Follow a dataset (`id`): its changes come in the user's digest by e-mail (weekly, unless they choose daily
    on their account's page). Following it again changes nothing and answers the same, as CKAN's. Answers CKAN's
    follower dict, {"follower_id", "object_id", "datetime"}."""
    ds = _dataset(session, params, user)
    row = _mine(session, user, "dataset", ds.slug) or _call(session, user, follows.follow, "dataset", ds.slug)
    return _follower_dict(user, ds.id, row)


def unfollow_dataset(session: Session, params: dict, user: User) -> None:
    """Stop following a dataset (`id`); one not followed is left as it is, as CKAN's."""
    ds = _dataset(session, params, user)
    row = _mine(session, user, "dataset", ds.slug)
    if row is not None:
        _call(session, user, follows.unfollow, row.id)
    return None


# --------------------------------------------------------------------------- organizations (and the themes)


def group_follower_count(session: Session, params: dict, user: User | None) -> int:
    """How many users follow an organization (`id`: its name); a theme: 0 (themes are not followed here)."""
    pub = _organization(session, params)
    return follows.followers(session, "publisher", str(pub.id)) if pub is not None else 0


def organization_follower_count(session: Session, params: dict, user: User | None) -> int:
    """How many users follow an organization (`id`: its name)."""
    pub = _find_publisher(session, _id_param(params, "id"))
    if pub is None:
        raise invalid({"id": [T_("Not found: Organization")]})
    return follows.followers(session, "publisher", str(pub.id))


def am_following_group(session: Session, params: dict, user: User | None) -> bool:
    """Whether the token's user follows an organization (`id`); a theme: false. Without a token, an Authorization
    Error."""
    pub = _organization(session, params)
    if user is None or not user.active:
        raise denied(SIGN_IN)
    return pub is not None and _mine(session, user, "publisher", pub.slug) is not None


def _followable(session: Session, params: dict) -> Publisher:
    pub = _organization(session, params)
    if pub is None:
        raise invalid({"id": [T_("The groups here are the EU data themes, which are not followed: follow the search "
                                 "of one (fq=groups:<name>, on its page) instead")]})
    return pub


def follow_group(session: Session, params: dict, user: User) -> dict[str, Any]:
    """Follow an organization (`id`: its name): its datasets' changes come in the user's digest. Following it again
    changes nothing. Answers CKAN's follower dict. A theme is not followed (a Validation Error saying so)."""
    pub = _followable(session, params)
    row = _mine(session, user, "publisher", pub.slug) or _call(session, user, follows.follow, "publisher", pub.slug)
    return _follower_dict(user, pub.slug, row)


def unfollow_group(session: Session, params: dict, user: User) -> None:
    """Stop following an organization (`id`); one not followed is left as it is."""
    pub = _followable(session, params)
    row = _mine(session, user, "publisher", pub.slug)
    if row is not None:
        _call(session, user, follows.unfollow, row.id)
    return None


# --------------------------------------------------------------------------- who follows what


FOLLOWERS_SYSADMINS = T_("who follows a dataset or an organization is shown to the portal's administrators (anyone "
                         "may ask how many follow it)")
ACCOUNT_FOLLOWERS_SYSADMINS = T_("who follows an account is shown to the portal's administrators")
FOLLOWEES_PRIVATE = T_("what an account follows is shown to the account itself and to the portal's administrators")


def dataset_follower_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts that follow a dataset (`id`: its id or name), as CKAN's user dicts (named by their numbers, no
    address), the earliest follower first: to sysadmins, as CKAN 2.10's (an Authorization Error to anyone else)."""
    if not accounts.may_list_accounts(user):
        raise denied(FOLLOWERS_SYSADMINS)
    ds = _dataset(session, params, user)
    return [_user_show_dict(u, email=False) for u in follows.followers_of(session, "dataset", ds.id)]


def organization_follower_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts that follow an organization (`id`: its name), as dataset_follower_list: to sysadmins."""
    if not accounts.may_list_accounts(user):
        raise denied(FOLLOWERS_SYSADMINS)
    pub = _find_publisher(session, _id_param(params, "id"))
    if pub is None:
        raise invalid({"id": [T_("Not found: Organization")]})
    return [_user_show_dict(u, email=False) for u in follows.followers_of(session, "publisher", str(pub.id))]


def group_follower_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts that follow a group (`id`): an organization's followers, as organization_follower_list (CKAN's
    organizations are groups); a theme (the groups here, which are not followed), none. To sysadmins, as CKAN 2.10's
    (an Authorization Error to anyone else); another name is CKAN's Validation Error, `Not found: Group`."""
    if not accounts.may_list_accounts(user):
        raise denied(FOLLOWERS_SYSADMINS)
    pub = _organization(session, params)
    if pub is None:
        return []
    return [_user_show_dict(u, email=False) for u in follows.followers_of(session, "publisher", str(pub.id))]


def user_follower_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts that follow an account (`id`: its number or e-mail address): none, accounts are not followed here
    (user_followee_list is empty too). To sysadmins, as CKAN 2.10's (an Authorization Error to anyone else, whether or
    not the account exists); an account not found is CKAN's Validation Error, `Not found: User`."""
    if not accounts.may_list_accounts(user):
        raise denied(ACCOUNT_FOLLOWERS_SYSADMINS)
    if _find_user(session, _id_param(params, "id")) is None:
        raise invalid({"id": [T_("Not found: User")]})
    return []


def _followee_account(session: Session, params: dict, user: User | None) -> User:
    """The account (`id`: its number or e-mail address) whose followees are asked for: the token's own or, to a
    sysadmin, any (CKAN's auth); anyone else gets an Authorization Error whether or not the account exists."""
    if user is None or not user.active:
        raise denied(FOLLOWEES_PRIVATE)
    ref = _id_param(params, "id")
    account = _find_user(session, ref)
    if not accounts.may_see_account(user, account):
        raise denied(FOLLOWEES_PRIVATE)
    if account is None:
        raise invalid({"id": [T_("Not found: User")]})
    return account


def _followees(session: Session, params: dict, user: User | None) -> tuple[list[Dataset], list[Publisher]]:
    return follows.followed_by(session, user, _followee_account(session, params, user))


def dataset_followee_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The datasets an account (`id`) follows, as package_show's dicts, in the order followed: to the account itself
    and sysadmins, as CKAN's. A dataset the reader may no longer see (withdrawn since) is left out."""
    found, _pubs = _followees(session, params, user)
    return _packages(session, [ds.id for ds in found])


def organization_followee_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The organizations an account (`id`) follows, as organization_list's dicts with `package_count`: to the account
    itself and sysadmins, as CKAN's."""
    _found, pubs = _followees(session, params, user)
    counts = _package_counts(session)
    return [organization_dict(p, counts.get(p.id, 0)) for p in pubs]


def group_followee_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The groups (here the EU data themes, which are not followed) an account (`id`) follows: none, to whom
    organization_followee_list answers."""
    _followee_account(session, params, user)
    return []


def user_followee_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """The accounts an account (`id`) follows: none (accounts are not followed here), to whom followee_list answers."""
    _followee_account(session, params, user)
    return []


def _followee_entries(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    found, pubs = _followees(session, params, user)
    counts = _package_counts(session)
    entries = [{"type": "dataset", "display_name": pkg.get("title") or pkg["name"], "dict": pkg}
               for pkg in _packages(session, [ds.id for ds in found])]
    for pub in pubs:
        org = organization_dict(pub, counts.get(pub.id, 0))
        entries.append({"type": "organization", "display_name": org["display_name"], "dict": org})
    return sorted(entries, key=lambda e: e["display_name"])


def followee_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """What an account (`id`: its number or e-mail address) follows, each {"type": "dataset" or "organization",
    "display_name", "dict": package_show's or organization_show's dict}, by display name; `q`: those whose display
    name begins with it, case aside. To the account itself and sysadmins, as CKAN's; anyone else, the public included,
    gets an Authorization Error. Its followed searches are on its account page (CKAN has no such followee)."""
    entries = _followee_entries(session, params, user)
    q = params.get("q")
    if isinstance(q, str) and q.strip():
        prefix = q.strip().casefold()
        entries = [e for e in entries if str(e["display_name"]).strip().casefold().startswith(prefix)]
    return entries


def followee_count(session: Session, params: dict, user: User | None) -> int:
    """How many datasets and organizations an account (`id`) follows: followee_list's length. CKAN tells anyone; here,
    as user_show, the account itself and sysadmins (the accounts are private), an Authorization Error to others."""
    return len(_followee_entries(session, params, user))


ACTIONS = {f.__name__: f for f in (dataset_follower_count, am_following_dataset, group_follower_count,
                                   organization_follower_count, am_following_group, dataset_follower_list,
                                   organization_follower_list, group_follower_list, user_follower_list,
                                   followee_list, followee_count, dataset_followee_list, organization_followee_list,
                                   group_followee_list, user_followee_list)}
WRITES = {f.__name__: f for f in (follow_dataset, unfollow_dataset, follow_group, unfollow_group)}
