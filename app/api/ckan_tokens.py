"""CKAN's API token actions (CKAN 2.9+), on this portal's tokens (app/services/accounts.py: the ones `opendata token
create` and the account page make): `api_token_create` (`user`, `name`, and the expiry CKAN's expire_api_token plugin
adds, `expires_in` times `unit` seconds) answers `{"token": ...}`, the token shown once; `api_token_list` (`user_id`,
or CKAN's older `user`) the account's tokens in force or expired, oldest first, as CKAN's token dicts (`id`, `name`,
`user_id`, `created_at`, `last_access`, `plugin_extras`); `api_token_revoke` (`token`, or its `jti`, which is the
`id` api_token_list gives) revokes one, and it opens nothing from the next request on. Scripts written for CKAN
2.10 rotate their keys with them; they answered "Action name not known".

As in CKAN, an account manages its own tokens and a sysadmin anyone's; anyone else gets CKAN's Authorization Error,
whether or not the account exists (the accounts are private here: `user_show`). An account is named by its number
(CKAN's user `id` and `name` here) or its e-mail address. The service audits each token made or revoked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from app.api.ckan_core import _call, _find_user, _iso, denied, invalid
from app.auth import aware
from app.services import accounts
from app.texts import T_
from catalog_schema.models import ApiToken, User, utcnow

#: The longest name a token keeps (ApiToken.name).
MAX_NAME = 200
#: The furthest expiry taken: a century (CKAN sets none; a database's timestamps end somewhere).
MAX_SECONDS = 100 * 366 * 86400
POSITIVE = T_("Must be a positive integer")


def _text(params: dict, key: str) -> str:
    value = params.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) else ""


def _positive(params: dict, key: str) -> int:
    value = params.get(key)
    if isinstance(value, bool):
        raise invalid({key: [POSITIVE]})
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise invalid({key: [POSITIVE]}) from None
    if number <= 0:
        raise invalid({key: [POSITIVE]})
    return number


def _expiry(params: dict) -> dt.datetime | None:
    """CKAN's expire_api_token: `expires_in` units of `unit` seconds (60 a minute, 3600 an hour, 86400 a day), both
    positive integers, or neither (a token without an expiry)."""
    given = [k for k in ("expires_in", "unit") if params.get(k) not in (None, "")]
    if not given:
        return None
    missing = {k: [T_("Missing value")] for k in ("expires_in", "unit") if k not in given}
    if missing:
        raise invalid(missing)
    seconds = _positive(params, "expires_in") * _positive(params, "unit")
    if seconds > MAX_SECONDS:
        raise invalid({"expires_in": [T_("Give an expiry within a hundred years")]})
    return utcnow() + dt.timedelta(seconds=seconds)


def _owner(session: Session, ref: str) -> User | None:
    return _find_user(session, ref) if ref else None


def api_token_create(session: Session, params: dict, user: User) -> dict[str, Any]:
    """A new API token for an account (`user`: its number or e-mail address), named (`name`, required), expiring
    after `expires_in` times `unit` seconds when both are given (CKAN's expire_api_token plugin), else never.
    Answers {"token": ...}: the token, shown this once. The account itself or a sysadmin only."""
    ref, name = _text(params, "user"), _text(params, "name")
    missing = {k: [T_("Missing value")] for k, v in (("user", ref), ("name", name)) if not v}
    if missing:
        raise invalid(missing)
    if len(name) > MAX_NAME:
        raise invalid({"name": [T_("At most %(max)s characters", max=MAX_NAME)]})
    expires = _expiry(params)
    _row, plain = _call(session, user, accounts.issue_token, _owner(session, ref), name=name, expires_at=expires)
    return {"token": plain}


def _token_dict(row: ApiToken) -> dict[str, Any]:
    """CKAN's token dict; an expiry where CKAN's expire_api_token plugin keeps it (`plugin_extras`, seconds)."""
    extras = None
    if row.expires_at is not None:
        extras = {"expire_api_token": {"exp": int(aware(row.expires_at).timestamp())}}
    return {"id": str(row.id), "name": row.name, "user_id": str(row.user_id), "created_at": _iso(row.created_at),
            "last_access": _iso(row.last_used_at), "plugin_extras": extras}


def api_token_list(session: Session, params: dict, user: User | None) -> list[dict[str, Any]]:
    """An account's API tokens (`user_id`, or CKAN 2.9's `user`: its number or e-mail address), oldest first: those
    in force and those expired; a revoked token is gone, as CKAN deletes it. Never the token itself, which is kept
    hashed. The account itself or a sysadmin only."""
    ref = _text(params, "user_id") or _text(params, "user")
    if not ref:
        raise invalid({"user_id": [T_("Missing value")]})
    if user is None:
        raise denied(T_("Only the account itself and the portal's administrators manage its API tokens."))
    rows = _call(session, user, accounts.tokens_of, _owner(session, ref))
    return [_token_dict(row) for row in rows]


def api_token_revoke(session: Session, params: dict, user: User) -> None:
    """Revoke an API token, named by `jti` (the `id` api_token_list gives; `id` is taken too) or by the token itself
    (`token`): from the next request on it opens nothing. The token's account or a sysadmin only; a token revoked
    already, or one nobody has, asked by a sysadmin, is nothing to do, as in CKAN."""
    jti = _text(params, "jti") or _text(params, "id")
    if jti:
        row = accounts.find_token(session, token_id=jti)
    else:
        plain = _text(params, "token")
        if not plain:
            raise invalid({"token": [T_("Missing value")]})
        row = accounts.find_token(session, plain=plain)
    _call(session, user, accounts.revoke_api_token, row)
    return None


ACTIONS = {f.__name__: f for f in (api_token_list,)}
WRITES = {f.__name__: f for f in (api_token_create, api_token_revoke)}
