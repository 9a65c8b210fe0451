"""Flask extensions, created once and bound to each app in create_app."""

from __future__ import annotations

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

babel = Babel()
bootstrap = Bootstrap5()
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limits: only the sign-in form is throttled (per account and per address).
limiter = Limiter(key_func=get_remote_address)
