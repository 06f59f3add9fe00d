"""Flask extensions, created once here and bound to the app in the factory."""
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "warning"


def init_app(app):
    csrf.init_app(app)
    login_manager.init_app(app)
