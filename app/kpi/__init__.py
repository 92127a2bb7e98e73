"""KPI data: the metric catalogue, imports from managers' files and the
push API, banded points. Pure parts: ``scoring.py`` (banding, month
aggregation, the dimension score) and ``parsing.py`` (cells of exports);
``files.py`` opens CSV/XLSX, ``importer.py`` maps, checks, commits and rolls
back; ``reports.py`` reads values back for the pages in ``routes.py``."""

from flask import Blueprint

bp = Blueprint("kpi", __name__)

from app.kpi import routes  # noqa: E402,F401
