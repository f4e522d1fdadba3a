"""Login throttling, shared between processes through Redis when `INR_RATELIMIT_STORAGE` names one."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address)


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]
