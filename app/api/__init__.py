from flask import Blueprint

bp = Blueprint("api", __name__)

from app.api import routes  # noqa: E402,F401
from app.kpi import api as kpi_api  # noqa: E402,F401
