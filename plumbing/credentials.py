"""Credentials out of addresses and sentences shown to people.

A harvest source's address may carry a password (``https://user:pw@host/...``) or a key in its query
(``?api_key=...``), and a harvest error repeats the address it failed on. `hidden(text)` gives the text with each
such secret said as ``***``: the password of a URL's user part, and the value of a query parameter whose name looks
secret (key, token, secret, password, auth, credential, signature). What reads the source keeps the address whole.
"""

from __future__ import annotations

import re

MASK = "***"
#: user:password@ right after a scheme's //
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@?#]*):[^@\s/?#]*@")
#: name=value in a query or a fragment, where the name looks like a secret's (api_key, access_token, X-Amz-Signature)
_SECRET_PARAM = re.compile(r"(?P<head>[?&;#](?:[^=&;#\s]*?)(?:key|token|secret|passw(?:or)?d|auth|credential|"
                           r"signature|sig)(?:[^=&;#\s]*)=)(?P<value>[^&;#\s\"'<>]+)", re.I)


def hidden(text: str | None) -> str:
    """`text` with the secrets of the addresses in it said as ``***`` (see the module); None is ""."""
    if not text:
        return text or ""
    text = _USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: m["head"] + MASK, text)
