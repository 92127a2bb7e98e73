"""Branching drills: graph checks, the rules of a run, and the best score. Pure.

The rules of a run (the player and the maximum-score search share them):

* The run starts at ``start`` with the start node's emotion as the
  customer's mood (0 calm … 4 angry).
* Taking a choice adds its points and shifts the mood by its ``mood``
  (clamped to calm…angry); a reply step does the same with the points its
  rules earned and ``mood_if_passed`` / ``mood_if_failed``.
* The next node is the first route whose condition holds, tested on the
  mood and total score *after* the step. Arriving at a node that names an
  ``emotion`` sets the mood to it; a node without one keeps the mood.
* A step's points count the first time it earns any in a run: each choice
  is a step, and a reply node is one step whatever the reply (so failing
  first and passing on a second visit earns no more than the first reply
  did). Going round a loop therefore earns nothing more, which keeps the
  maximum finite.
* A reply outside its length bounds fails and earns nothing (its phrasings
  are still reported, for feedback).
* An ending adds its own points and finishes the run.

The graph checks look at every route regardless of its condition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from app.scenarios.replies import ForbiddenRule, ReplyCheck, ReplyRules, RequiredRule, check_reply
from app.scenarios.schema import COMPETENCIES, EMOTIONS, Condition, DrillSpec, NodeSpec, ReplySpec, Route

MOOD = {name: index for index, name in enumerate(EMOTIONS)}
MAX_SEARCH_STATES = 200_000


class SearchTooLarge(ValueError):
    """The best-score search met more states than MAX_SEARCH_STATES."""


# ------------------------------------------------------------ graph checks

def _targets(node: NodeSpec) -> list[tuple[str, str]]:
    """(where, target) for every route out of a node."""
    out = []
    for index, choice in enumerate(node.choices):
        out += [(f"choice {index + 1}", route.to) for route in choice.next]
    if node.reply is not None:
        out += [("reply", route.to) for route in node.reply.next]
        out += [("reply (failed)", route.to) for route in node.reply.next_if_failed or []]
    return out


def _strongly_connected(nodes: Iterable[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (content files must not blow the stack)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
    return out


def graph_errors(spec: DrillSpec) -> list[tuple[str, str]]:
    """(node, message) for every structural problem, in file order."""
    errors: list[tuple[str, str]] = []
    names = list(spec.nodes)
    if spec.start not in spec.nodes:
        return [("start", f"unknown start node {spec.start}")]
    edges: dict[str, set[str]] = {}
    for name, node in spec.nodes.items():
        edges[name] = set()
        for where, target in _targets(node):
            if target not in spec.nodes:
                errors.append((name, f"{where} goes to unknown node {target}"))
            else:
                edges[name].add(target)
    reached, todo = {spec.start}, [spec.start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in reached:
                reached.add(target)
                todo.append(target)
    for name in names:
        if name not in reached:
            errors.append((name, "unreachable: no route from the start node leads here"))
    reverse: dict[str, set[str]] = {name: set() for name in names}
    for name, targets in edges.items():
        for target in targets:
            reverse[target].add(name)
    finishing = {name for name, node in spec.nodes.items() if node.ending is not None}
    todo = list(finishing)
    while todo:
        for source in reverse[todo.pop()]:
            if source not in finishing:
                finishing.add(source)
                todo.append(source)
    stuck = [name for name in names if name in reached and name not in finishing]
    if stuck:
        stuck_edges = {name: edges[name] & set(stuck) for name in stuck}
        in_cycle: dict[str, str] = {}
        for component in _strongly_connected(stuck, stuck_edges):
            members = set(component)
            cyclic = len(component) > 1 or component[0] in edges[component[0]]
            closed = all(edges[m] <= members for m in component)
            if cyclic and closed:
                ordered = [n for n in names if n in members]
                loop = " → ".join(ordered + [ordered[0]])
                for member in ordered:
                    in_cycle[member] = loop
        for name in stuck:
            if name in in_cycle:
                errors.append((name, f"cycle with no exit: {in_cycle[name]}"))
            else:
                errors.append((name, "no way to an ending from this node"))
    order = {name: i for i, name in enumerate(["start", *names])}
    return sorted(errors, key=lambda e: order.get(e[0], 0))


# ------------------------------------------------------------ rules of a run

def clamp_mood(value: int) -> int:
    return max(0, min(len(EMOTIONS) - 1, value))


def holds(condition: Condition | None, mood: int, score: float) -> bool:
    if condition is None:
        return True
    if condition.mood_at_least is not None and mood < MOOD[condition.mood_at_least]:
        return False
    if condition.mood_at_most is not None and mood > MOOD[condition.mood_at_most]:
        return False
    if condition.score_at_least is not None and score < condition.score_at_least:
        return False
    return condition.score_at_most is None or score <= condition.score_at_most


def pick_route(routes: list[Route], mood: int, score: float) -> str:
    for route in routes:
        if holds(route.when, mood, score):
            return route.to
    return routes[-1].to  # unreachable: the last route has no condition


def reply_rules(reply: ReplySpec) -> ReplyRules:
    return ReplyRules(
        required=tuple(RequiredRule(r.code, r.label, tuple(r.any), tuple(r.patterns), r.competency, r.points,
                                    r.ok, r.missing) for r in reply.required),
        forbidden=tuple(ForbiddenRule(f.code, f.label, tuple(f.any), f.competency, f.penalty, f.feedback)
                        for f in reply.forbidden),
        min_chars=reply.min_chars, max_chars=reply.max_chars)


@dataclass(frozen=True)
class Outcome:
    """One way a step can go: its key (for counting points once), points,
    mood shift and routes."""

    key: str
    points: dict[str, float]
    mood: int
    routes: list[Route]
    label: str = ""


def step_outcomes(name: str, node: NodeSpec) -> list[list[Outcome]]:
    """The ways out of a node, grouped by what the agent does: one group per
    choice; for a reply step one group holding the passing reply and every
    distinct way to fail it (the search tries them all)."""
    groups = [[Outcome(f"{name}#c{i}", dict(c.points), c.mood, c.next, c.text)]
              for i, c in enumerate(node.choices)]
    reply = node.reply
    if reply is not None:
        full = _sum_points([(r.competency, r.points) for r in reply.required])
        failed_routes = reply.next_if_failed or reply.next
        groups.append([Outcome(f"{name}#reply", full, reply.mood_if_passed, reply.next, "pass")]
                      + [Outcome(f"{name}#reply", p, reply.mood_if_failed, failed_routes, "fail")
                         for p in _failing_points(reply)])
    return groups


def _sum_points(pairs) -> dict[str, float]:
    out: dict[str, float] = {}
    for competency, points in pairs:
        out[competency] = out.get(competency, 0.0) + points
    return out


MAX_RULES_ENUMERATED = 8


def _failing_points(reply: ReplySpec) -> list[dict[str, float]]:
    """Every distinct set of points a failing reply can earn: any subset of
    the required elements found with any subset of the forbidden ones used,
    short of a pass; a reply outside the length bounds earns nothing. Past
    MAX_RULES_ENUMERATED rules, the likeliest ones: nothing, all but one
    element, all with one forbidden phrasing."""
    required = [(r.competency, r.points) for r in reply.required]
    forbidden = [(f.competency, f.penalty) for f in reply.forbidden]
    length_bound = bool(reply.min_chars or reply.max_chars)
    found: dict[tuple, dict[str, float]] = {}

    def add(points: dict[str, float]) -> None:
        found.setdefault(tuple(sorted((k, v) for k, v in points.items() if v)), points)

    if required or length_bound:
        add({})
    if len(required) + len(forbidden) <= MAX_RULES_ENUMERATED:
        for r_size in range(len(required) + 1):
            for kept in combinations(required, r_size):
                for f_size in range(len(forbidden) + 1):
                    for broken in combinations(forbidden, f_size):
                        if r_size == len(required) and not broken:
                            continue            # that reply passes
                        add(_sum_points([*kept, *broken]))
    else:
        full = _sum_points(required)
        for index in range(len(required)):
            add(_sum_points(required[:index] + required[index + 1:]))
        for rule in forbidden:
            add(_sum_points([*required, rule]))
        if full:
            add({})
    return list(found.values())



@dataclass
class RunState:
    node: str
    mood: int
    points: dict[str, float] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    ending: str | None = None

    @property
    def score(self) -> float:
        return sum(self.points.values())

    @property
    def finished(self) -> bool:
        return self.ending is not None

    def as_json(self) -> dict:
        return {"node": self.node, "mood": self.mood, "points": self.points, "used": self.used,
                "ending": self.ending}

    @classmethod
    def from_json(cls, data: dict) -> RunState:
        return cls(node=data["node"], mood=data["mood"], points=dict(data.get("points", {})),
                   used=list(data.get("used", [])), ending=data.get("ending"))


def _add(points: dict[str, float], more: dict[str, float]) -> None:
    for key, value in more.items():
        points[key] = points.get(key, 0.0) + value


def _arrive(spec: DrillSpec, state: RunState, name: str) -> None:
    node = spec.nodes[name]
    state.node = name
    if node.emotion is not None:
        state.mood = MOOD[node.emotion]
    if node.ending is not None:
        _add(state.points, node.points)
        state.ending = node.ending


def start(spec: DrillSpec) -> RunState:
    state = RunState(node=spec.start, mood=0)
    _arrive(spec, state, spec.start)
    return state


@dataclass(frozen=True)
class StepResult:
    outcome_key: str
    points: dict[str, float]     # what this step added (empty when repeated)
    repeated: bool
    mood_before: int
    next_node: str
    reply: ReplyCheck | None = None


def _apply(spec: DrillSpec, state: RunState, outcome: Outcome, points: dict[str, float],
           reply: ReplyCheck | None) -> StepResult:
    mood_before = state.mood
    repeated = outcome.key in state.used
    earned = {} if repeated else {k: v for k, v in points.items() if v}
    if earned:
        state.used.append(outcome.key)
        _add(state.points, earned)
    state.mood = clamp_mood(state.mood + outcome.mood)
    target = pick_route(outcome.routes, state.mood, state.score)
    _arrive(spec, state, target)
    return StepResult(outcome.key, earned, repeated, mood_before, target, reply)


def choose(spec: DrillSpec, state: RunState, index: int) -> StepResult:
    node = spec.nodes[state.node]
    if state.finished or not 0 <= index < len(node.choices):
        raise ValueError("no such choice here")
    outcome = step_outcomes(state.node, node)[index][0]
    return _apply(spec, state, outcome, outcome.points, None)


def answer(spec: DrillSpec, state: RunState, text: str) -> StepResult:
    node = spec.nodes[state.node]
    if state.finished or node.reply is None:
        raise ValueError("this step takes no reply")
    check = check_reply(reply_rules(node.reply), text)
    reply = node.reply
    points = check.points
    if any(o.kind == "length" and not o.ok for o in check.outcomes):
        points = {}
    if check.passed:
        outcome = Outcome(f"{state.node}#reply", {}, reply.mood_if_passed, reply.next)
    else:
        outcome = Outcome(f"{state.node}#reply", {}, reply.mood_if_failed, reply.next_if_failed or reply.next)
    return _apply(spec, state, outcome, points, check)


# ------------------------------------------------------------ best score

@dataclass(frozen=True)
class BestPath:
    value: float
    steps: tuple[tuple[str, str], ...]    # (node, outcome label: choice text, "pass" or "fail")
    ending: str


def best_path(spec: DrillSpec, objective: Callable[[dict[str, float]], float] = lambda p: sum(p.values())
              ) -> BestPath:
    """The walk from the start that maximises `objective` of the points it
    earns, under the rules of a run. Exact: a depth-first search over
    (node, mood, steps already scored, total so far — routes may test it)
    with memoisation; a state met again
    on the current walk is cut (returning to it gains nothing). Raises
    SearchTooLarge past MAX_SEARCH_STATES states."""
    groups = {name: step_outcomes(name, node) for name, node in spec.nodes.items()}
    memo: dict[tuple, tuple[float, tuple, str]] = {}
    on_stack: dict[tuple, int] = {}
    visited = [0]
    minus = float("-inf")

    def search(node: str, mood: int, used: frozenset, score: float) -> tuple[float, tuple, str, int]:
        key = (node, mood, used, score)
        if key in memo:
            value, steps, ending = memo[key]
            return value, steps, ending, len(on_stack) + 1
        if key in on_stack:
            return minus, (), "", on_stack[key]
        visited[0] += 1
        if visited[0] > MAX_SEARCH_STATES:
            raise SearchTooLarge(f"more than {MAX_SEARCH_STATES} states; simplify the loops")
        spec_node = spec.nodes[node]
        if spec_node.ending is not None:
            result = (objective(dict(spec_node.points)), (), spec_node.ending)
            memo[key] = result
            return (*result, len(on_stack) + 1)
        depth = len(on_stack)
        on_stack[key] = depth
        best: tuple[float, tuple, str] = (minus, (), "")
        low = depth + 1
        for group in groups[node]:
            for outcome in group:
                fresh = outcome.key not in used
                earned = {k: v for k, v in outcome.points.items() if v} if fresh else {}
                next_used = used | {outcome.key} if fresh and earned else used
                next_score = score + sum(earned.values())
                next_mood = clamp_mood(mood + outcome.mood)
                target = pick_route(outcome.routes, next_mood, next_score)
                target_node = spec.nodes[target]
                arrive_mood = MOOD[target_node.emotion] if target_node.emotion is not None else next_mood
                value, steps, ending, reached = search(target, arrive_mood, next_used, next_score)
                low = min(low, reached)
                if value == minus:
                    continue
                value += objective(earned)
                if value > best[0]:
                    best = (value, ((node, outcome.label),) + steps, ending)
        del on_stack[key]
        if low >= depth:   # no cut above this state: its value does not depend on the walk here
            memo[key] = best
        return (*best, low)

    first = spec.nodes[spec.start]
    value, steps, ending, _ = search(spec.start, MOOD[first.emotion or "calm"], frozenset(), 0.0)
    return BestPath(value, steps, ending)


@dataclass(frozen=True)
class Maximum:
    total: float
    competencies: dict[str, float]
    path: BestPath


def maximum(spec: DrillSpec) -> Maximum:
    """The best total and, separately, the best attainable in each competency."""
    total = best_path(spec)
    per = {}
    for competency in COMPETENCIES:
        found = best_path(spec, lambda p, c=competency: p.get(c, 0.0)).value
        if found > 0:
            per[competency] = found
    return Maximum(total.value, per, total)
