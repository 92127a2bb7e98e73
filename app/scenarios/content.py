"""Reading scenarios/: rubrics/*.yaml, drills/*.yaml and roleplays/*.yaml.

Errors come back as ContentError, shown as ``file:line: node: message``
(the line of the node or field at fault, found in the YAML itself), and
nothing is loaded while any remain.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from app import yaml_safe as safe_yaml
from app.bank.schema import ContentError
from app.scenarios.drills import SearchTooLarge, graph_errors, maximum
from app.scenarios.schema import DrillSpec, RoleplaySpec, RubricSpec


@dataclass
class LoadedScenario:
    spec: DrillSpec | RoleplaySpec
    path: str
    max_total: float | None = None
    max_competencies: dict[str, float] = field(default_factory=dict)

    @property
    def definition(self) -> dict:
        return self.spec.model_dump(mode="json", by_alias=True, exclude_none=True)

    @property
    def content_hash(self) -> str:
        return digest(self.definition)


@dataclass
class LoadedRubric:
    spec: RubricSpec
    path: str

    @property
    def definition(self) -> dict:
        return self.spec.model_dump(mode="json")

    @property
    def content_hash(self) -> str:
        return digest(self.definition)


@dataclass
class LoadedContent:
    rubrics: list[LoadedRubric] = field(default_factory=list)
    scenarios: list[LoadedScenario] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)


def digest(definition: dict) -> str:
    canonical = json.dumps(definition, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _read(file: Path, shown: str, model: type[BaseModel], errors: list[ContentError]):
    text = file.read_text(encoding="utf-8-sig")
    try:
        data = safe_yaml.load(text)
        composed = safe_yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(ContentError(shown, mark.line + 1 if mark else 1, "", "", f"YAML syntax error: {exc}"))
        return None, None
    try:
        return model.model_validate(data), composed
    except ValidationError as exc:
        for error in exc.errors():
            loc = list(error["loc"])
            where = ".".join(str(p) for p in loc)
            errors.append(ContentError(shown, safe_yaml.line_of(composed, loc), "", where, error["msg"]))
        return None, None


def load_scenarios(root: Path) -> LoadedContent:
    """Read every file under `root` (the scenarios/ folder) and check it."""
    out = LoadedContent()
    ids: dict[str, str] = {}
    base = Path(root.name)
    for file in sorted((root / "rubrics").glob("*.yaml")):
        shown = str(base / file.relative_to(root))
        spec, _ = _read(file, shown, RubricSpec, out.errors)
        if spec is None:
            continue
        if spec.id in {r.spec.id for r in out.rubrics}:
            out.errors.append(ContentError(shown, 1, "", "id", f"rubric {spec.id} is defined twice"))
            continue
        out.rubrics.append(LoadedRubric(spec, shown))
    rubric_ids = {r.spec.id for r in out.rubrics}
    for folder, model in (("drills", DrillSpec), ("roleplays", RoleplaySpec)):
        for file in sorted((root / folder).glob("*.yaml")):
            shown = str(base / file.relative_to(root))
            spec, composed = _read(file, shown, model, out.errors)
            if spec is None:
                continue
            if spec.id in ids:
                out.errors.append(ContentError(shown, 1, "", "id", f"scenario {spec.id} is also in {ids[spec.id]}"))
                continue
            ids[spec.id] = shown
            loaded = LoadedScenario(spec, shown)
            if isinstance(spec, RoleplaySpec):
                if spec.rubric not in rubric_ids:
                    out.errors.append(ContentError(shown, safe_yaml.line_of(composed, ["rubric"]), "", "rubric",
                                                   f"no rubric {spec.rubric} in rubrics/"))
                    continue
            else:
                problems = graph_errors(spec)
                for node, message in problems:
                    loc = ["start"] if node == "start" else ["nodes", node]
                    out.errors.append(ContentError(shown, safe_yaml.line_of(composed, loc), "", node, message))
                if problems:
                    continue
                try:
                    best = maximum(spec)
                except SearchTooLarge as exc:
                    out.errors.append(ContentError(shown, 1, "", "nodes", str(exc)))
                    continue
                if best.total <= 0:
                    out.errors.append(ContentError(shown, 1, "", "nodes", "no path earns any points"))
                    continue
                loaded.max_total, loaded.max_competencies = best.total, best.competencies
            out.scenarios.append(loaded)
    return out
