"""KPI pages: import (upload → map columns → preview → commit), import
history with rollback, the team table for a month, a person's months, the
metric catalogue.

Access: imports and rollbacks — managers (their teams only) and admins;
team tables — staff within their scope; a person's page — the person and
staff who can see them; the catalogue — staff, edited by admins.
"""

from __future__ import annotations

import json
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.auth.forms import EmptyForm
from app.auth.models import Role, User
from app.auth.permissions import (
    STAFF_ROLES,
    get_visible_team_or_404,
    get_visible_user_or_404,
    managed_team_ids,
    role_required,
)
from app.extensions import db, htmx
from app.kpi import bp, catalogue, jobs, limits, reports
from app.kpi.files import FileRefused, read_table
from app.kpi.forms import KpiUploadForm, MetricForm
from app.kpi.importer import (
    ImportRefused,
    Mapping,
    MappingError,
    Preview,
    can_roll_back,
    rollback_batch,
    suggest_mapping,
)
from app.kpi.messages import shown
from app.kpi.models import (
    AGGREGATION_LABELS,
    DIRECTION_LABELS,
    UNIT_LABELS,
    ColumnMapping,
    ImportBatch,
    ImportJob,
    Metric,
)
from app.uploads import find_upload, stash_upload
from app.web import localized

importers_only = role_required(Role.MANAGER, Role.ADMIN)
staff_only = role_required(*STAFF_ROLES)
admin_only = role_required(Role.ADMIN)
ROLES = ("agent", "name", "period", "metric", "value", "contacts")


@bp.context_processor
def helpers():
    return {"fmt": reports.format_value, "shown": shown, "UNITS": UNIT_LABELS, "DIRECTIONS": DIRECTION_LABELS,
            "AGGREGATIONS": AGGREGATION_LABELS, "metric_name": reports.metric_name,
            "formula": lambda m: localized(m.formula_zh, m.formula_en)}


def role_labels() -> dict[str, str]:
    return {"": _("— not used —"), "agent": _("Employee number"), "name": _("Name (not used)"),
            "period": _("Date or month"), "metric": _("Metric (long layout)"), "value": _("Value (long layout)"),
            "contacts": _("Contacts")}


# ------------------------------------------------------------------ import

@bp.route("/import", methods=["GET", "POST"])
@importers_only
def upload():
    form = KpiUploadForm()
    if form.validate_on_submit():
        content = form.file.data.read()
        filename = form.file.data.filename or "kpi.csv"
        try:
            read_table(filename, content, form.encoding.data or None)
        except FileRefused as error:
            form.file.errors.append(error.msg.localized())
        else:
            stashed = stash_upload(current_user.id, "kpi", filename, content)
            db.session.commit()
            return redirect(url_for("kpi.mapping", key=stashed.key, encoding=form.encoding.data or None))
    templates = db.session.scalars(select(ColumnMapping).order_by(ColumnMapping.name)).all()
    return render_template("kpi/upload.html", form=form, templates=templates)


def _upload_or_gone(key: str):
    upload = find_upload(key, current_user.id, "kpi")
    if upload is None:
        flash(_("That upload has expired or was already imported. Upload the file again."), "error")
    return upload


def read_mapping(headers: list[str], form) -> Mapping:
    """The mapping as chosen on the page: col_<i> = role or m:<metric code>."""
    chosen: dict[str, str] = {}
    metrics: dict[str, str] = {}
    for index, header in enumerate(headers):
        choice = form.get(f"col_{index}", "")
        if choice.startswith("m:"):
            metrics[header] = choice[2:]
        elif choice in ROLES:
            if choice in chosen:
                raise MappingError(_("Two columns are mapped to “%(role)s”: %(a)s and %(b)s.",
                                     role=role_labels()[choice], a=chosen[choice], b=header))
            chosen[choice] = header
        elif choice:
            raise MappingError(_("Unknown choice for column %(col)s.", col=header))
    layout = "long" if "metric" in chosen or "value" in chosen else "wide"
    return Mapping(layout=layout, agent=chosen.get("agent", ""), period=chosen.get("period", ""),
                   metric=chosen.get("metric", ""), value=chosen.get("value", ""),
                   contacts=chosen.get("contacts", ""), metrics=metrics if layout == "wide" else {})


def _choices_for(headers: list[str], mapping: Mapping) -> list[str]:
    out = []
    for header in headers:
        if header in mapping.metrics:
            out.append("m:" + mapping.metrics[header])
            continue
        role = next((r for r in ROLES if getattr(mapping, r, "") == header), "")
        out.append(role)
    return out


@bp.route("/import/<key>", methods=["GET", "POST"])
@importers_only
def mapping(key):
    upload = _upload_or_gone(key)
    if upload is None:
        return redirect(url_for("kpi.upload"))
    encoding = request.values.get("encoding") or None
    try:
        table = read_table(upload.filename, upload.content, encoding)
    except FileRefused as error:
        flash(error.msg.localized(), "error")
        return redirect(url_for("kpi.upload"))
    metrics = catalogue.active_metrics()
    error = None
    template_name = request.values.get("template", "")
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        chosen = [request.form.get(f"col_{i}", "") for i in range(len(table.headers))]
        try:
            current = read_mapping(table.headers, request.form)
            current.check(table.headers, {m.code for m in metrics})
        except MappingError as problem:
            error = problem.msg.localized()
        else:
            save_as = request.form.get("save_as", "").strip()[:80]
            if save_as:
                _save_template(save_as, current)
                flash(_("Column mapping saved as “%(name)s”.", name=save_as), "success")
            busy = jobs.running_job(current_user)
            if busy is not None:
                flash(_("Your previous import is still running; this one can start when it is done."), "warning")
                return redirect(url_for("kpi.job", job_id=busy.id))
            job = jobs.create_job(current_user, upload, current, encoding)
            jobs.start(job, "preview")
            return redirect(url_for("kpi.job", job_id=job.id))
    else:
        saved = db.session.scalar(select(ColumnMapping).where(ColumnMapping.name == template_name)) \
            if template_name else None
        current = Mapping.from_json({"layout": saved.layout, **saved.columns}) if saved else \
            suggest_mapping(table.headers)[0]
        chosen = _choices_for(table.headers, current)
    return render_template(
        "kpi/mapping.html", key=key, filename=upload.filename, table=table, metrics=metrics,
        choices=chosen, roles=role_labels(), error=error, form=EmptyForm(), encoding=encoding or "",
        templates=db.session.scalars(select(ColumnMapping).order_by(ColumnMapping.name)).all(),
        template_name=template_name), (422 if error else 200)


def _save_template(name: str, current: Mapping) -> None:
    saved = db.session.scalar(select(ColumnMapping).where(ColumnMapping.name == name))
    columns = {k: v for k, v in current.as_json().items() if k != "layout"}
    if saved is None:
        db.session.add(ColumnMapping(name=name, layout=current.layout, columns=columns, created_by_id=current_user.id))
    else:
        saved.layout, saved.columns = current.layout, columns
    db.session.commit()


def _own_job_or_404(job_id: int) -> ImportJob:
    """A job is seen only by the person who started it."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.source != "upload" or job.user_id != current_user.id:
        abort(404)
    return job


@bp.route("/jobs/<int:job_id>")
@importers_only
def job(job_id):
    job = _own_job_or_404(job_id)
    preview = Preview.from_json(job.summary) if job.status == "checked" else None
    names = {m.code: reports.metric_name(m) for m in db.session.scalars(select(Metric))}
    result = (job.summary or {}).get("result") if job.status == "committed" else None
    upload = find_upload(job.upload_key, current_user.id, "kpi")
    return render_template("kpi/job.html", job=job, preview=preview, result=result, form=EmptyForm(),
                           stalled=jobs.stalled(job), upload_alive=upload is not None, problem=jobs.problem_of(job),
                           names=names)


@bp.route("/jobs/<int:job_id>/progress")
@importers_only
def job_progress(job_id):
    """The progress bar, polled by htmx; once the job is done the page reloads."""
    job = _own_job_or_404(job_id)
    if job.status in jobs.RUNNING and not jobs.stalled(job):
        if htmx:
            return render_template("kpi/_progress.html", job=job)
        return redirect(url_for("kpi.job", job_id=job.id))
    if htmx:
        return "", 204, {"HX-Refresh": "true"}
    return redirect(url_for("kpi.job", job_id=job.id))


@bp.route("/jobs/<int:job_id>/commit", methods=["POST"])
@importers_only
def job_commit(job_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    job = _own_job_or_404(job_id)
    if job.status == "checked" and not Preview.from_json(job.summary).ok:
        flash(_("This file has errors or no values, so nothing can be imported from it."), "error")
        return redirect(url_for("kpi.job", job_id=job.id))
    if job.status == "checked" and job.message:
        flash(shown(jobs.problem_of(job)), "error")
        return redirect(url_for("kpi.job", job_id=job.id))
    if job.status != "checked" or not jobs.claim_for_commit(job):
        flash(_("This import is already under way or done."), "info")
        return redirect(url_for("kpi.job", job_id=job.id))
    jobs.start(job, "commit")
    db.session.refresh(job)
    if job.status == "committed":
        result = job.summary["result"]
        if job.batch_id is None:
            flash(_("Nothing changed: all %(n)d values are already there.", n=result["unchanged"]), "info")
        else:
            flash(_("Imported: %(added)d added, %(replaced)d replaced, %(same)d unchanged.",
                    added=result["added"], replaced=result["replaced"], same=result["unchanged"]), "success")
        return redirect(url_for("kpi.history"))
    if job.status == "failed":
        flash(shown(jobs.problem_of(job)), "error")
    return redirect(url_for("kpi.job", job_id=job.id))


# ------------------------------------------------------------------ history and rollback

def _visible_batches() -> list[ImportBatch]:
    """Admins: every import. Managers: their own and those touching a team they manage."""
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
                                 .limit(500)).all()
    if current_user.role == Role.ADMIN:
        return list(batches)
    managed = set(db.session.scalars(managed_team_ids(current_user)))
    return [b for b in batches if b.created_by_id == current_user.id or (set(b.team_ids or []) & managed)]


@bp.route("/imports")
@importers_only
def history():
    batches = _visible_batches()
    return render_template("kpi/history.html", batches=batches, form=EmptyForm(),
                           can_roll_back={b.id: can_roll_back(current_user, b) for b in batches})


@bp.route("/imports/<int:batch_id>/rollback", methods=["POST"])
@importers_only
def rollback(batch_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    batch = db.session.get(ImportBatch, batch_id)
    visible = batch is not None and (current_user.role == Role.ADMIN or batch in _visible_batches())
    if not visible:
        abort(404)
    if batch.status != "committed":
        flash(_("This import was already rolled back."), "warning")
        return redirect(url_for("kpi.history"))
    if not can_roll_back(current_user, batch):
        abort(403)
    try:
        rollback_batch(batch, current_user)
    except ImportRefused as error:
        db.session.rollback()
        flash(error.msg.localized(), "error")
    else:
        flash(_("Import #%(id)d rolled back: %(removed)d values it added removed, %(restored)d it replaced "
                "restored.", id=batch.id, removed=batch.added, restored=batch.replaced), "success")
    return redirect(url_for("kpi.history"))


# ------------------------------------------------------------------ tables

def _month_arg() -> date | None:
    raw = request.args.get("month", "")
    try:
        year, month = (int(p) for p in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def _team_and_members(team_id: int):
    """The team (404 outside the viewer's scope) and its active agents."""
    team = get_visible_team_or_404(current_user, team_id)
    return team, db.session.scalars(select(User).where(
        User.team_id == team.id, User.role == Role.AGENT.value, User.is_active).order_by(User.employee_no)).all()


@bp.route("/teams/<int:team_id>")
@staff_only
def team(team_id):
    team, members = _team_and_members(team_id)
    months = reports.months_with_data([m.id for m in members])
    month = _month_arg() or (months[0] if months else None)
    table = reports.team_table(members, month) if month in months else None
    return render_template("kpi/team.html", team=team, month=month, months=months, table=table)


@bp.route("/teams/<int:team_id>/export.csv")
@staff_only
def team_export(team_id):
    team, members = _team_and_members(team_id)
    month = _month_arg()
    if month is None or month not in reports.months_with_data([m.id for m in members]):
        abort(404)
    body = reports.team_csv(reports.team_table(members, month))
    return Response(body, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=kpi-team{team.id}-{month.strftime('%Y-%m')}.csv"})


@bp.route("/people/<int:user_id>")
@login_required
def person(user_id):
    person = get_visible_user_or_404(current_user, user_id)
    history = reports.person_history(person, 12)
    return render_template("kpi/person.html", person=person, history=history,
                           chart=json.dumps(reports.chart_data(history), ensure_ascii=False))


# ------------------------------------------------------------------ catalogue

@bp.route("/metrics")
@staff_only
def metrics():
    rows = db.session.scalars(select(Metric).order_by(Metric.position, Metric.id)).all()
    return render_template("kpi/metrics.html", metrics=rows, version=catalogue.current_version(),
                           total_weight=sum(m.weight for m in rows if m.active))


def parse_bands(text: str, unit: str) -> list[dict]:
    """`90 = 100` per line (also 90:100, 90，100); thresholds unique and
    values the metric's unit allows."""
    bands, seen = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip().replace("：", ":").replace("，", ",").replace("＝", "=")
        if not line:
            continue
        for separator in ("=", ":", ","):
            if separator in line:
                left, right = line.split(separator, 1)
                break
        else:
            raise ValueError(_("line %(n)d: write “threshold = points”", n=number))
        try:
            threshold, points = float(left.strip().rstrip("%")), float(right.strip())
        except ValueError:
            raise ValueError(_("line %(n)d: “%(text)s” is not two numbers", n=number, text=line)) from None
        if not 0 <= points <= 100:
            raise ValueError(_("line %(n)d: points must be between 0 and 100", n=number))
        problem = limits.value_problem(unit, threshold)
        if problem is not None:
            raise ValueError(_("line %(n)d: %(problem)s", n=number, problem=problem.localized()))
        if threshold in seen:
            raise ValueError(_("line %(n)d: threshold %(t)s appears twice", n=number, t=f"{threshold:g}"))
        seen.add(threshold)
        bands.append({"threshold": threshold, "points": points})
    if not bands:
        raise ValueError(_("give at least one band"))
    return bands


@bp.route("/metrics/<int:metric_id>", methods=["GET", "POST"])
@admin_only
def edit_metric(metric_id):
    metric = db.session.get(Metric, metric_id)
    if metric is None:
        abort(404)
    form = MetricForm(obj=metric if request.method == "GET" else None)
    form.direction.choices = [SelectChoice(k, v) for k, v in DIRECTION_LABELS.items()]
    form.aggregation.choices = [SelectChoice(k, v) for k, v in AGGREGATION_LABELS.items()]
    if request.method == "GET":
        form.bands.data = "\n".join(f"{b['threshold']:g} = {b['points']:g}" for b in metric.bands or [])
    if form.validate_on_submit():
        try:
            bands = parse_bands(form.bands.data, metric.unit)
        except ValueError as error:
            form.bands.errors.append(str(error))
        else:
            changes = {name: getattr(form, name).data for name in (
                "name_zh", "name_en", "direction", "aggregation", "min_contacts", "interpolate", "weight",
                "active")}
            changes.update(formula_zh=form.formula_zh.data or "", formula_en=form.formula_en.data or "")
            changes["bands"] = bands
            if catalogue.update_metric(current_user, metric, changes):
                flash(_("Saved as catalogue version %(v)d. Months already published keep the version they used.",
                        v=catalogue.current_version().version), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("kpi.metrics"))
    return render_template("kpi/edit_metric.html", form=form, metric=metric)
