"""Error pages: HTML for pages, JSON under /api/ (for every status, 500 included)."""
from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from ..domain.errors import NotFound
from ..extensions import view_body_limit

ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 500: "server_error"}

PAGES = {
    400: ("请求无效", "请求无效。"),
    403: ("无权操作", "您没有权限执行此操作。"),
    404: ("页面不存在", "您要找的页面或记录不存在。"),
    405: ("方法不允许", "该页面不支持此请求方法。"),
    413: ("提交内容过大", "提交的内容超过了允许的大小，请删减后重试。"),
    500: ("系统错误", "服务器处理请求时出错，已记录日志。请稍后重试。"),
}


def json_error(code, error, message, **extra):
    body = {"error": error, "message": message}
    body.update(extra)
    return jsonify(body), code


def error_page(code, message=None, title=None):
    default_title, default_message = PAGES.get(code, ("出错了", "请求未能完成。"))
    message = message or default_message
    if request.path.startswith("/api/"):
        # API clients get JSON for every error, even on URLs no route matches.
        return json_error(code, ERROR_CODES.get(code, "error"), message)
    return render_template("errors.html", code=code, title=title or default_title,
                           message=message), code


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(400, "表单令牌缺失或已过期，请返回刷新页面后重新提交。", "表单已失效")

    @app.errorhandler(400)
    def bad_request(exc):
        return error_page(400, getattr(exc, "description", "") or None)

    @app.errorhandler(NotFound)
    def not_found_row(exc):
        return error_page(404)

    for code in (403, 404, 405):
        app.register_error_handler(code, lambda exc, code=code: error_page(code))

    @app.errorhandler(413)
    def too_large(exc):
        own = view_body_limit()  # the import upload: IMPORT_MAX_BYTES
        limit = own[0] if own else current_app.config.get("MAX_CONTENT_LENGTH")
        if not limit:
            return error_page(413)
        return error_page(413, f"提交的内容超过了允许的大小（上限 {limit / 1024 / 1024:g} MB），"
                               "请删减后重试。")

    @app.errorhandler(500)
    def server_error(exc):
        # Flask has logged the traceback already (app.log_exception, to stderr).
        return error_page(500)
