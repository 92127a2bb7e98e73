from flask import render_template
from flask_login import current_user, login_required

from app.auth.models import Role
from app.auth.permissions import STAFF_ROLES, get_visible_team_or_404, get_visible_user_or_404, role_required
from app.dashboard import bp
from app.dashboard.services import onboarding_pipeline, people_counts, recent_audit, team_members, team_summaries


@bp.route("/")
@login_required
def home():
    context = {}
    if current_user.role in (Role.MANAGER, Role.TRAINER, Role.ADMIN):
        context["summaries"] = team_summaries(current_user)
    if current_user.role == Role.ADMIN:
        context["counts"] = people_counts()
        context["audit"] = recent_audit()
    return render_template("dashboard/home.html", **context)


@bp.route("/teams")
@role_required(*STAFF_ROLES)
def teams():
    return render_template("dashboard/teams.html", summaries=team_summaries(current_user))


@bp.route("/teams/<int:team_id>")
@role_required(*STAFF_ROLES)
def team(team_id):
    team = get_visible_team_or_404(current_user, team_id)
    members = team_members(team)
    return render_template("dashboard/team.html", team=team, members=members,
                           pipeline=onboarding_pipeline(members))


@bp.route("/people/<int:user_id>")
@login_required
def person(user_id):
    person = get_visible_user_or_404(current_user, user_id)
    from app.scenarios.services import practice_of

    runs, sessions = practice_of(person)
    from app.scenarios.models import ENDING_LABELS

    return render_template("dashboard/person.html", person=person, runs=runs, sessions=sessions,
                           ending_labels=ENDING_LABELS)
