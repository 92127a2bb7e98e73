"""The scenario library: rubrics, branching drills and live role-play.

Pure parts: ``rubric.py`` (scoring), ``stats.py`` (rater agreement),
``replies.py`` (phrasing checks), ``drills.py`` (graph checks, run rules,
best score), ``schema.py`` / ``content.py`` (the files). Storage and pages:
``models.py``, ``services.py``, ``routes.py``.
"""

from flask import Blueprint

bp = Blueprint("scenarios", __name__)

from app.scenarios import routes  # noqa: E402,F401
