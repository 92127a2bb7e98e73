"""Administration: users, teams, bulk import, API tokens, the audit log."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.admin import bp
from app.admin.forms import (
    ImportCommitForm,
    ImportUploadForm,
    TeamForm,
    TokenForm,
    UserFilterForm,
    UserForm,
)
from app.api.models import ApiToken
from app.api.services import create_token, revoke_token
from app.auth.forms import EmptyForm
from app.auth.models import ROLE_LABELS, TIER_LABELS, AuditLog, Role, Team, User
from app.auth.permissions import role_required
from app.auth.services import (
    UserData,
    check_user_import,
    create_user,
    describe_file_error,
    describe_row_error,
    import_users,
    reset_password,
    save_team,
    set_active,
    update_user,
)
from app.auth.user_import import ImportFileError
from app.errors import DomainError
from app.extensions import db
from app.uploads import claim_upload, stash_upload
from app.web import page_number, wants_partial

admin_only = role_required(Role.ADMIN)


def _filtered_users(form: UserFilterForm):
    query = select(User).options(selectinload(User.team))
    if form.q.data:
        term = form.q.data.strip()
        query = query.where(or_(*(column.icontains(term, autoescape=True)
                                  for column in (User.name, User.employee_no, User.email))))
    if form.role.data:
        query = query.where(User.role == form.role.data)
    if form.team.data == "none":
        query = query.where(User.team_id.is_(None))
    elif form.team.data and form.team.data.isdigit() and len(form.team.data) < 10:
        query = query.where(User.team_id == int(form.team.data))
    if form.tier.data:
        query = query.where(User.tier == form.tier.data)
    status = form.status.data or "active"
    if status == "active":
        query = query.where(User.is_active)
    elif status == "inactive":
        query = query.where(~User.is_active)
    return query.order_by(User.employee_no)


@bp.route("/users")
@admin_only
def users():
    form = UserFilterForm(request.args)
    form.validate()
    page = db.paginate(_filtered_users(form), page=page_number(), per_page=current_app.config["USERS_PER_PAGE"],
                       error_out=False)
    args = {name: form[name].data for name in ("q", "role", "team", "tier", "status") if form[name].data}
    template = "admin/partials/_user_table.html" if wants_partial() else "admin/users.html"
    return render_template(template, form=form, page=page, filter_args=args)


def _user_data(form: UserForm) -> UserData:
    return UserData(
        employee_no=form.employee_no.data.strip(), name=form.name.data.strip(),
        email=(form.email.data or "").strip() or None, role=form.role.data,
        team_id=int(form.team_id.data) if form.team_id.data else None,
        hire_date=form.hire_date.data, tier=form.tier.data, ladder_level=form.ladder_level.data,
        cleared_for_live_on=form.cleared_for_live_on.data, locale=form.locale.data or None,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user, temporary = create_user(current_user, _user_data(form), password=None)
        except DomainError as error:
            getattr(form, error.field or "employee_no").errors.append(error.message)
        else:
            return render_template("admin/password_issued.html", user=user, password=temporary, created=True)
    return render_template("admin/user_form.html", form=form, user=None)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_user(user_id):
    user = _user_or_404(user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.team_id.data = str(user.team_id) if user.team_id else ""
        form.locale.data = user.locale or ""
        form.cleared_for_live_on.data = user.cleared_for_live_at.date() if user.cleared_for_live_at else None
    if form.validate_on_submit():
        try:
            update_user(current_user, user, _user_data(form))
        except DomainError as error:
            getattr(form, error.field or "employee_no").errors.append(error.message)
        else:
            flash(_("Saved %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user, action_form=EmptyForm())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_only
def deactivate_user(user_id):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@admin_only
def activate_user(user_id):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    if EmptyForm().validate_on_submit():
        try:
            set_active(current_user, user, active)
        except DomainError as error:
            flash(error.message, "error")
        else:
            message = _("%(name)s can sign in again.", name=user.name) if active else \
                _("%(name)s has been deactivated and signed out everywhere.", name=user.name)
            flash(message, "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@admin_only
def reset_user_password(user_id):
    user = _user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    temporary = reset_password(current_user, user)
    return render_template("admin/password_issued.html", user=user, password=temporary, created=False)


@bp.route("/teams")
@admin_only
def teams():
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    sizes = dict(db.session.execute(
        select(User.team_id, func.count(User.id)).where(User.is_active).group_by(User.team_id)
    ).all())
    return render_template("admin/teams.html", teams=teams, sizes=sizes)


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_team(team_id=None):
    team = db.session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        abort(404)
    form = TeamForm(obj=team)
    if team is not None and request.method == "GET":
        form.manager_ids.data = [m.id for m in team.managers]
    if form.validate_on_submit():
        try:
            saved = save_team(current_user, team, form.name.data, form.description.data or "",
                              form.manager_ids.data or [])
        except DomainError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(_("Saved team %(name)s.", name=saved.name), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team)


@bp.route("/users/import", methods=["GET", "POST"])
@admin_only
def import_users_view():
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        filename = upload.filename or "upload.csv"
        try:
            report = check_user_import(filename, content)
        except ImportFileError as error:
            form.file.errors.append(describe_file_error(error))
        else:
            stashed = stash_upload(current_user.id, "users", filename, content)
            db.session.commit()
            errors = [(e, describe_row_error(e)) for e in report.errors]
            return render_template("admin/import_preview.html", report=report, errors=errors,
                                   filename=filename, commit_form=ImportCommitForm(upload_key=stashed.key),
                                   field_labels=import_field_labels(), role_labels=ROLE_LABELS,
                                   tier_labels=TIER_LABELS)
    return render_template("admin/import_upload.html", form=form)


def import_field_labels() -> dict[str, str]:
    return {"employee_no": _("Employee number"), "name": _("Name"), "email": _("Email"), "role": _("Role"),
            "team": _("Team"), "hire_date": _("Hire date"), "tier": _("Tier"), "ladder_level": _("Career level"),
            "password": _("Password"), "locale": _("Language"), "cleared_for_live_on": _("Cleared for live work on")}


@bp.route("/users/import/commit", methods=["POST"])
@admin_only
def commit_user_import():
    form = ImportCommitForm()
    if not form.validate_on_submit():
        abort(400)
    claimed = claim_upload(form.upload_key.data, current_user.id, "users")
    if claimed is None:
        db.session.rollback()
        flash(_("That upload has expired or was already imported. Upload the file again."), "error")
        return redirect(url_for("admin.import_users_view"))
    try:
        # The claim commits with the import: a second click finds nothing to import.
        result = import_users(current_user, *claimed)
    except (DomainError, ImportFileError) as error:
        db.session.rollback()
        message = error.message if isinstance(error, DomainError) else describe_file_error(error)
        flash(message, "error")
        return redirect(url_for("admin.import_users_view"))
    return render_template("admin/import_done.html", result=result)


@bp.route("/tokens", methods=["GET", "POST"])
@admin_only
def tokens():
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        owner = db.session.scalar(select(User).where(User.employee_no == form.employee_no.data.strip()))
        if owner is None or not owner.is_active:
            form.employee_no.errors.append(_("No active user has this employee number."))
        else:
            token, value = create_token(current_user, owner, form.name.data)
            issued = (token, value)
            form = TokenForm(formdata=None)
    tokens = db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return render_template("admin/tokens.html", form=form, tokens=tokens, issued=issued, action_form=EmptyForm())


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@admin_only
def revoke_api_token(token_id):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if EmptyForm().validate_on_submit():
        revoke_token(current_user, token)
        flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("admin.tokens"))


@bp.route("/audit")
@admin_only
def audit_log():
    page_no = page_number()
    action = request.args.get("action", "").strip()[:64]
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    page = db.paginate(query, page=page_no, per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, action=action)
