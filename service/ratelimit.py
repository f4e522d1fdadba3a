"""Login throttling: failed attempts are limited per client address and, separately, per account.

Only failures count, so a clinic's staff logging in all morning from one address behind a proxy never run out;
guesses at one account from many addresses share the account's budget. Counters live in Redis when
`INR_RATELIMIT_STORAGE` names one (several processes), in memory otherwise.
"""

from __future__ import annotations

import hashlib
import json

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.settings import current_settings

limiter = Limiter(get_remote_address, headers_enabled=False)  # Retry-After is sent on a 429 only


def failed_per_address() -> str:
    return current_settings().login_rate_limit


def failed_per_account() -> str:
    return current_settings().login_account_rate_limit


def failed(response) -> bool:
    return response.status_code == 401


def account_key() -> str:
    """The account a login attempt names (the e-mail, normalized and hashed: no address is stored in clear).

    Read from the raw body before the view parses it, so anything unreadable shares one key rather than failing.
    """
    from service.api import too_deep

    body = request.get_data(cache=True)
    email = ""
    if len(body) <= 4096 and not too_deep(body):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("email"), str):
            email = data["email"].strip().lower()
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "surrogatepass")).hexdigest()
