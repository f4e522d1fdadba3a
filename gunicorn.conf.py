"""gunicorn settings for the INR companion: `gunicorn -c gunicorn.conf.py 'service:create_app()'`.

gunicorn refuses an over-long request line or header with an HTML page of its own. Its limits are set above the
app's (service.MAX_URL_LENGTH, MAX_HEADER_BYTES, MAX_HEADERS) so that the app sees such requests and answers
414 and 431 as problem documents; only beyond these hard limits does gunicorn's own answer remain (the proxy in
front should cap lower still).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
limit_request_line = 8190  # gunicorn's maximum; the app answers 414 above 4,096
limit_request_field_size = 16380  # the app answers 431 above 8,190 bytes in one header
limit_request_fields = 200  # the app answers 431 above 100 headers
