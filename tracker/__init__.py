"""tracker: investment-promotion project pipeline tracker (招商专班项目台账)."""
import os

from flask import Flask

from . import config as config_module


def create_app(config=None, instance_path=None):
    """Application factory. ``config`` (a mapping) overrides every other source;
    ``instance_path`` overrides the instance folder (tests use a temporary one)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_object(config_module.Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if config:
        app.config.from_mapping(config)

    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "tracker.db")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.load_secret_key(app.instance_path)
    config_module.cookies_secure(app.config)

    from . import cli, db, extensions, web
    db.init_app(app)
    extensions.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
