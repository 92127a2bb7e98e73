from flask import g, jsonify, request

from app.api import bp
from app.api.auth import token_required
from app.api.openapi import openapi_document
from app.auth.models import Team, User
from app.auth.permissions import get_visible_user_or_404, visible_teams, visible_users
from app.extensions import db

MAX_PAGE_SIZE = 200


def user_json(user: User) -> dict:
    return {
        "id": user.id, "employee_no": user.employee_no, "name": user.name, "email": user.email,
        "role": user.role, "team_id": user.team_id,
        "hire_date": user.hire_date.isoformat() if user.hire_date else None,
        "tier": user.tier, "ladder_level": user.ladder_level,
        "cleared_for_live_at": user.cleared_for_live_at.isoformat() if user.cleared_for_live_at else None,
        "is_active": user.is_active,
    }


def team_json(team: Team) -> dict:
    return {"id": team.id, "name": team.name, "description": team.description,
            "manager_ids": [m.id for m in team.managers]}


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/me")
@token_required()
def me():
    return jsonify(user_json(g.api_user))


@bp.route("/users")
@token_required()
def users():
    page = max(request.args.get("page", 1, type=int), 1)
    size = min(max(request.args.get("per_page", 50, type=int), 1), MAX_PAGE_SIZE)
    query = visible_users(g.api_user).order_by(User.employee_no)
    if request.args.get("team_id", type=int):
        query = query.where(User.team_id == request.args.get("team_id", type=int))
    result = db.paginate(query, page=page, per_page=size, error_out=False)
    return jsonify({"items": [user_json(u) for u in result.items], "page": page,
                    "per_page": size, "total": result.total})


@bp.route("/users/<int:user_id>")
@token_required()
def user(user_id):
    return jsonify(user_json(get_visible_user_or_404(g.api_user, user_id)))


@bp.route("/teams")
@token_required()
def teams():
    teams = db.session.scalars(visible_teams(g.api_user).order_by(Team.name))
    return jsonify({"items": [team_json(t) for t in teams]})
