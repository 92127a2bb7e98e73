"""/api/v1/kpi/values: push KPI values from another system, read them back.

POST (managers for their teams, admins) takes
``{"values": [{"employee_no", "period", "metric", "value", "contacts"?}, …]}``
— at most MAX_ITEMS — with the same checks as a file import and the same
all-or-nothing commit: any bad item answers 422 with every error by item
index and field, and nothing is written. Rates are percentages (92.5 or
"92.5%"; a bare 0.925 means 0.925 %), times seconds or "00:03:25"/"3分25秒",
periods a month "2026-10" or a day (rolled up to its month with the other
items); every number finite and inside the ranges of app/kpi/limits.py
(JSON's 1e999, NaN and Infinity are errors of their field). GET returns values within the token owner's scope, filtered by
``agent`` (employee number), ``period`` (YYYY-MM) and ``metric``.
"""

from __future__ import annotations

import math
from datetime import date

from flask import abort, g, jsonify, request
from sqlalchemy import select

from app.api import bp
from app.api.auth import token_required
from app.auth.models import User
from app.auth.permissions import visible_users
from app.extensions import db
from app.kpi.files import Table
from app.kpi.importer import ImportRefused, Mapping, commit_import, discard_preview, file_hash, plan_import
from app.kpi.models import KpiValue

MAX_ITEMS = 10_000
MAX_RETURNED = 5_000
FIELDS = ("employee_no", "period", "metric", "value", "contacts")


def _problem(status: int, title: str, errors: list[dict] | None = None):
    body = {"error": {"status": status, "title": title}}
    if errors is not None:
        body["error"]["errors"] = errors
    return jsonify(body), status


@bp.route("/kpi/values", methods=["POST"])
@token_required("manager", "admin")
def push_kpi_values():
    payload = request.get_json(silent=True)
    items = payload.get("values") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        return _problem(400, 'Send JSON {"values": [{"employee_no", "period", "metric", "value", "contacts"}, …]}.')
    if len(items) > MAX_ITEMS:
        return _problem(413, f"At most {MAX_ITEMS} values per request.")
    shape_errors, rows = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            shape_errors.append({"index": index, "field": "", "message": "each value must be an object"})
            continue
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            shape_errors.append({"index": index, "field": unknown[0], "message": "unknown field"})
        for field in FIELDS[:4]:
            if item.get(field) in (None, ""):
                shape_errors.append({"index": index, "field": field, "message": "required"})
        rows.append((index + 1, [_cell(item.get(field)) for field in FIELDS]))
    if shape_errors:
        return _problem(422, "Some values are not valid; nothing was stored.", shape_errors)
    mapping = Mapping(layout="long", agent="employee_no", period="period", metric="metric", value="value",
                      contacts="contacts")
    preview = plan_import(Table(list(FIELDS), iter(rows), "json"), mapping, fractions=False, source="api")
    if preview.error_count:
        discard_preview(preview)
        errors = [{"index": e.row - 1, "field": e.column, "message": str(e.message)} for e in preview.errors]
        return _problem(422, "Some values are not valid; nothing was stored.", errors)
    try:
        result = commit_import(preview, g.api_user, source="api", filename="api",
                               digest=file_hash(request.get_data()), mapping=mapping)
    except ImportRefused as error:
        discard_preview(preview)
        return _problem(403 if "teams you manage" in str(error) else 422, str(error))
    body = {"batch_id": result.batch.id if result.batch else None, "added": result.added,
            "replaced": result.replaced, "unchanged": result.unchanged,
            "warnings": [{"index": w.row - 1, "field": w.column, "message": str(w.message)}
                         for w in preview.warnings]}
    return jsonify(body), (201 if result.batch else 200)


def _cell(value):
    return value if isinstance(value, int | float | str) and not isinstance(value, bool) else \
        ("" if value is None else str(value))


@bp.route("/kpi/values")
@token_required()
def read_kpi_values():
    query = select(KpiValue, User.employee_no).join(User, User.id == KpiValue.user_id).where(
        KpiValue.user_id.in_(visible_users(g.api_user).with_only_columns(User.id)))
    if request.args.get("agent"):
        query = query.where(User.employee_no == request.args["agent"])
    if request.args.get("period"):
        try:
            year, month = (int(p) for p in request.args["period"].split("-"))
            query = query.where(KpiValue.month == date(year, month, 1))
        except ValueError:
            abort(400, description="period must be YYYY-MM")
    if request.args.get("metric"):
        query = query.where(KpiValue.metric_code == request.args["metric"])
    rows = db.session.execute(query.order_by(User.employee_no, KpiValue.month, KpiValue.metric_code)
                              .limit(MAX_RETURNED + 1)).all()
    return jsonify({"items": [{"employee_no": no, "period": v.month.isoformat()[:7], "metric": v.metric_code,
                               "value": v.value if math.isfinite(v.value) else None,    # stored before checks
                               "contacts": v.contacts, "batch_id": v.batch_id}
                              for v, no in rows[:MAX_RETURNED]],
                    "truncated": len(rows) > MAX_RETURNED})
