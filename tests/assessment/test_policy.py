"""Assessment policies stored as versioned data."""

import pytest
from sqlalchemy import select

from app.assessment.models import PolicyVersion
from app.assessment.scoring import Policy, PolicyError, policy_from_json, policy_to_json
from app.assessment.services import current_policy, save_policy
from app.auth.models import AuditLog
from app.extensions import db


def test_a_policy_survives_json():
    policy = Policy(weights={"knowledge": 25, "skill": 25, "attitude": 25, "kpi": 25}, min_coverage=0.5,
                    redline_cap=None)
    assert policy_from_json(policy_to_json(policy)) == policy


@pytest.mark.parametrize("definition, part", [
    ([], "policy"), ({"weight": {}}, "weight"), ({"weights": [20, 30]}, "weights"),
    ({"bands": [[90, "excellent", 1]]}, "bands"), ({"min_coverage": "70%"}, "min_coverage"),
])
def test_a_stored_definition_that_is_not_a_policy_names_the_part(definition, part):
    with pytest.raises(PolicyError, match=part):
        policy_from_json(definition)


def test_defaults_until_saved_then_every_change_is_a_version_with_an_audit_row(app, make_user):
    admin = make_user("admin")
    assert current_policy() == (None, Policy())
    first = save_policy(admin, policy_to_json(Policy()), note="上线默认值")
    assert first.version == 1 and current_policy()[1] == Policy()
    assert save_policy(admin, policy_to_json(Policy())) is None               # unchanged: no version
    changed = policy_to_json(Policy(min_coverage=0.8))
    second = save_policy(admin, changed)
    assert second.version == 2 and current_policy()[1].min_coverage == 0.8
    assert db.session.get(PolicyVersion, first.id).definition["min_coverage"] == 0.7   # old versions never change
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "assessment.policy_changed")
                               .order_by(AuditLog.id)).all()
    assert [a.entity_id for a in audit] == ["1", "2"]
    assert audit[1].before["min_coverage"] == 0.7 and audit[1].after["min_coverage"] == 0.8
    assert audit[1].actor_id == admin.id


def test_a_bad_policy_writes_nothing(app, make_user):
    admin = make_user("admin")
    with pytest.raises(PolicyError, match="weights"):
        save_policy(admin, {"weights": {"knowledge": 20, "skill": 30, "attitude": 20, "kpi": float("inf")}})
    assert db.session.scalar(select(PolicyVersion)) is None
