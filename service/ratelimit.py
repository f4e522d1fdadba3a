"""Login throttling, shared between processes through Redis when `INR_RATELIMIT_STORAGE` names one."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from service.settings import current_settings

limiter = Limiter(get_remote_address)


def login_limit() -> str:
    return current_settings().login_rate_limit
