"""Database URLs: read as their owners mean them, shown with every secret hidden.

A password may hold an unencoded `@`, `:` or `/` (the last `@` before the host ends it) and may come as a query
parameter (`?password=…`, as libpq allows); neither reaches a message, the `loads` table or a page.

>>> url = database_url("postgresql://crm:p@ss:w0rd@db.example:5432/shop?sslmode=require&password=hunter2")
>>> url.password, url.host
('p@ss:w0rd', 'db.example')
>>> shown(url)
'postgresql://crm:***@db.example:5432/shop?password=***&sslmode=require'
"""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

SECRET_KEYS = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
"""Query parameters whose values are secrets (password, sslpassword, api_key, access_token …)."""


UNSAFE = re.compile(r"[@:/?#\[\] ]")  # characters a password must not hold unencoded in a URL


def database_url(text: str) -> URL:
    """The URL `text` names, its password taken from the first `:` after the user to the last `@` before the host,
    encoded or not: it may hold `@`, `:`, `/`, `?` or `#` as typed.

    >>> database_url("postgresql://crm:a/b:c?d#e@db:5432/shop").password
    'a/b:c?d#e'
    >>> database_url("postgresql://crm:p%40ss@db/shop").password  # already encoded: read as encoded
    'p@ss'
    """
    scheme, separator, rest = text.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if separator and at:
        user, colon, password = userinfo.partition(":")
        if UNSAFE.search(user) or UNSAFE.search(password):
            text = f"{scheme}://{quote(user, safe='')}{colon}{quote(password, safe='')}@{hostpart}"
    return make_url(text)


def shown(url: URL) -> str:
    """`url` as text for people: the password and every secret query parameter as ***."""
    hidden = {k: "***" if SECRET_KEYS.search(k) else v for k, v in url.query.items()}
    return url.set(query=hidden).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
