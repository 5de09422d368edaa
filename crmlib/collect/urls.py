"""Database URLs: read as their owners mean them, shown with every secret hidden.

A password may hold an unencoded `@` (the last `@` before the host ends it) and may come as a query parameter
(`?password=…`, as libpq allows); neither reaches a message, the `loads` table or a page.

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


def database_url(text: str) -> URL:
    """The URL `text` names, its password taken up to the last `@` before the host (encoded or not)."""
    scheme, separator, rest = text.partition("://")
    authority, slash, tail = rest.partition("/")
    if separator and authority.count("@") > 1:
        userinfo, _, host = authority.rpartition("@")
        user, colon, password = userinfo.partition(":")
        authority = f"{quote(user, safe='')}{colon}{quote(password, safe='')}@{host}"
        text = f"{scheme}://{authority}{slash}{tail}"
    return make_url(text)


def shown(url: URL) -> str:
    """`url` as text for people: the password and every secret query parameter as ***."""
    hidden = {k: "***" if SECRET_KEYS.search(k) else v for k, v in url.query.items()}
    return url.set(query=hidden).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
