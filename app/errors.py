"""Domain errors and the error pages: HTML for pages, JSON under /api/."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain refused the operation; the message is user-facing."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _titles():
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        413: _("The file is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def render_error(status: int, detail: str | None = None):
    title = _titles().get(status, _("Error"))
    if _wants_json():
        body = {"error": {"status": status, "title": title}}
        if detail:
            body["error"]["detail"] = detail
        return jsonify(body), status
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form expired or was sent without its security token. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        detail = None
        if error.code == 429:
            detail = _("Too many attempts. Wait a few minutes and try again.")
        elif error.code == 413:
            detail = _("Files up to %(mb)d MB are accepted.", mb=app.config["MAX_CONTENT_LENGTH"] // 2**20)
        elif error.code == 401 and error.description:
            detail = error.description
        return render_error(error.code or 500, detail)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("Unhandled error on %s", request.path)
        from app.extensions import db

        db.session.rollback()
        return render_error(500)
