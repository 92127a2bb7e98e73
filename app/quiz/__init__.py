from flask import Blueprint

bp = Blueprint("quiz", __name__)

from app.quiz import routes, staff_routes  # noqa: E402,F401
