"""Drill files: graph errors, rules of a run, the best-score search."""

import textwrap

import pytest
import yaml
from pydantic import ValidationError

from app.scenarios import drills
from app.scenarios.schema import DrillSpec
from tests.scenarios.samples import DRILL, drill_spec


def spec_of(nodes: str, start="a", **extra) -> DrillSpec:
    head = {"id": "g", "title_zh": "图", "title_en": "graph", "situation": "daily_inquiry", "difficulty": 1,
            "competencies": ["communication"], "start": start, **extra}
    data = {**head, "nodes": yaml.safe_load(textwrap.dedent(nodes))}
    return DrillSpec.model_validate(data)


def choice(to, points=0, mood=0, text=None):
    return {"text": text or f"去 {to}", "next": to, "points": {"communication": points} if points else {},
            "mood": mood}


# ------------------------------------------------------------ graph errors

def test_the_sample_drill_has_no_graph_errors():
    assert drills.graph_errors(drill_spec()) == []


def test_unknown_next_node_is_named_with_the_choice():
    spec = spec_of("""
        a: {emotion: calm, customer: 你好, choices: [{text: 好, next: b}, {text: 坏, next: nowhere}]}
        b: {ending: resolved}
    """)
    assert drills.graph_errors(spec) == [("a", "choice 2 goes to unknown node nowhere")]


def test_unknown_start_node():
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 好, next: b}]}
        b: {ending: resolved}
    """, start="zz")
    assert drills.graph_errors(spec) == [("start", "unknown start node zz")]


def test_unreachable_node():
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 好, next: b}]}
        b: {ending: resolved}
        island: {choices: [{text: 回, next: b}]}
    """)
    assert drills.graph_errors(spec) == [("island", "unreachable: no route from the start node leads here")]


def test_a_node_with_no_way_to_an_ending_and_the_closed_cycle_behind_it():
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 好, next: b}, {text: 绕, next: c}]}
        b: {ending: resolved}
        c: {choices: [{text: 进, next: d}]}
        d: {choices: [{text: 转, next: e}]}
        e: {choices: [{text: 回, next: d}]}
    """)
    assert drills.graph_errors(spec) == [
        ("c", "no way to an ending from this node"),
        ("d", "cycle with no exit: d → e → d"),
        ("e", "cycle with no exit: d → e → d"),
    ]


def test_a_self_loop_with_no_exit_is_a_cycle_and_a_loop_with_an_exit_is_fine():
    stuck = spec_of("""
        a: {emotion: calm, choices: [{text: 好, next: b}, {text: 等, next: w}]}
        b: {ending: resolved}
        w: {choices: [{text: 再等, next: w}]}
    """)
    assert drills.graph_errors(stuck) == [("w", "cycle with no exit: w → w")]
    fine = spec_of("""
        a: {emotion: calm, choices: [{text: 好, next: b}, {text: 再问, next: a}]}
        b: {ending: resolved}
    """)
    assert drills.graph_errors(fine) == []


def test_conditional_routes_are_all_checked():
    spec = spec_of("""
        a:
          emotion: calm
          choices:
            - text: 好
              next: [{if: {mood_at_least: angry}, to: gone}, {to: b}]
        b: {ending: resolved}
    """)
    assert drills.graph_errors(spec) == [("a", "choice 1 goes to unknown node gone")]


@pytest.mark.parametrize("node, message", [
    ({"emotion": "calm"}, "exactly one of"),
    ({"emotion": "calm", "choices": [{"text": "x", "next": "b"}], "ending": "lost"}, "exactly one of"),
    ({"emotion": "calm", "choices": [{"text": "x", "next": [{"if": {"score_at_least": 1}, "to": "b"}]}]},
     "last route needs no `if`"),
    ({"emotion": "furious", "choices": [{"text": "x", "next": "b"}]}, "Input should be"),
    ({"emotion": "calm", "reply": {"next": "b"}}, "at least one rule"),
    ({"emotion": "calm", "reply": {"next": "b", "required": [{"code": "t", "label": "t",
                                                              "patterns": ["(unclosed"]}]}}, "regular expression"),
])
def test_node_shape_errors(node, message):
    with pytest.raises(ValidationError, match=message.replace("`", ".").replace("(", r"\(")):
        DrillSpec.model_validate({"id": "g", "title_zh": "图", "title_en": "g", "situation": "outage",
                                  "difficulty": 2, "competencies": ["emotion"], "start": "a",
                                  "nodes": {"a": node, "b": {"ending": "resolved"}}})


# ------------------------------------------------------------ rules of a run

def test_a_run_through_the_sample_drill():
    spec = drill_spec()
    state = drills.start(spec)
    assert (state.node, drills.EMOTIONS[state.mood]) == ("open", "anxious")
    first = drills.choose(spec, state, 0)
    assert first.points == {"communication": 2} and state.node == "reply"
    assert drills.EMOTIONS[state.mood] == "confused"   # anxious − 1
    second = drills.answer(spec, state, "非常抱歉！包裹明天送到。")
    assert second.reply.passed and state.finished and state.ending == "resolved"
    assert state.points == {"communication": 2 + 1 + 1, "emotion": 2}


def test_a_failed_reply_loops_back_and_the_retry_earns_nothing_more():
    spec = drill_spec()
    state = drills.start(spec)
    drills.choose(spec, state, 0)
    failed = drills.answer(spec, state, "明天就到了，请等一下。")     # no apology
    assert not failed.reply.passed and failed.points == {"communication": 1}
    assert state.node == "open"
    again = drills.choose(spec, state, 0)
    assert again.repeated and again.points == {}
    retry = drills.answer(spec, state, "抱歉，明天一定送到。")
    assert retry.reply.passed and retry.repeated and retry.points == {}
    assert state.points == {"communication": 2 + 1 + 1}


def test_a_reply_outside_the_length_bounds_earns_nothing():
    spec = drill_spec()
    state = drills.start(spec)
    drills.choose(spec, state, 0)
    result = drills.answer(spec, state, "抱歉明天")
    assert not result.reply.passed and result.points == {}


def test_routes_read_the_mood_after_the_step():
    spec = drill_spec()
    calm_enough = drills.start(spec)
    calm_enough.mood = 1                        # confused + 2 → annoyed: not angry yet
    drills.choose(spec, calm_enough, 1)
    assert calm_enough.node == "reply"
    upset = drills.start(spec)                  # anxious + 2 → angry
    drills.choose(spec, upset, 1)
    assert upset.node == "lost" and upset.ending == "lost"


def test_a_finished_run_takes_no_more_steps():
    spec = drill_spec()
    state = drills.start(spec)
    state.mood = 4
    drills.choose(spec, state, 1)
    with pytest.raises(ValueError):
        drills.choose(spec, state, 0)


# ------------------------------------------------------------ best score

def test_best_path_of_the_sample_prefers_passing_the_reply():
    best = drills.maximum(drill_spec())
    assert best.total == 2 + 3 + 1
    assert best.path.steps == (("open", "您好，请提供订单号，我马上查。"), ("reply", "pass"))
    assert best.path.ending == "resolved"
    assert best.competencies == {"communication": 4, "emotion": 2}


def test_best_path_over_branches_takes_the_richest_one():
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 左, next: l, points: {communication: 1}}, {text: 右, next: r}]}
        l: {choices: [{text: 完, next: end, points: {communication: 1}}]}
        r: {choices: [{text: 完, next: end, points: {communication: 5}}]}
        end: {ending: resolved, points: {problem_solving: 2}}
    """)
    best = drills.maximum(spec)
    assert best.total == 7 and [s[1] for s in best.path.steps] == ["右", "完"]
    assert best.competencies == {"communication": 5, "problem_solving": 2}


def test_a_loop_with_points_counts_them_once():
    # Going round a → b → a earns b's 3 points once; the search must end.
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 绕, next: b}, {text: 结束, next: end, points: {communication: 1}}]}
        b: {choices: [{text: 回, next: a, points: {communication: 3}}]}
        end: {ending: resolved}
    """)
    assert drills.maximum(spec).total == 3 + 1


def test_negative_loops_are_avoided_and_zero_loops_terminate():
    spec = spec_of("""
        a: {emotion: calm, choices: [{text: 停, next: a}, {text: 罚, next: a, points: {communication: -2}},
                                     {text: 走, next: end, points: {communication: 1}}]}
        end: {ending: resolved}
    """)
    assert drills.maximum(spec).total == 1


def test_the_search_follows_score_conditions():
    # The bonus route opens only with 4 points already earned: taking both
    # 2-point detours first reaches it.
    spec = spec_of("""
        a:
          emotion: calm
          choices:
            - {text: 甲, next: a, points: {communication: 2}}
            - {text: 乙, next: a, points: {communication: 2}}
            - text: 走
              next: [{if: {score_at_least: 4}, to: bonus}, {to: plain}]
        bonus: {ending: resolved, points: {communication: 10}}
        plain: {ending: escalated, points: {communication: 1}}
    """)
    best = drills.maximum(spec)
    assert best.total == 14 and best.path.ending == "resolved"


def test_the_search_follows_mood_conditions_and_arrival_emotions():
    # Calming the customer first (mood −1) makes the good ending reachable.
    spec = spec_of("""
        a:
          emotion: annoyed
          choices:
            - {text: 安抚, next: a, mood: -1}
            - text: 方案
              next: [{if: {mood_at_most: anxious}, to: good}, {to: bad}]
        good: {ending: resolved, points: {communication: 5}}
        bad: {ending: lost}
    """)
    best = drills.maximum(spec)
    # Revisiting `a` resets the mood to annoyed (the node names an emotion),
    # so calming never sticks: the best is the plain ending.
    assert best.total == 0 and best.path.ending == "lost"
    spec_carry = spec_of("""
        a:
          emotion: annoyed
          choices: [{text: 安抚, next: b, mood: -1}]
        b:
          choices:
            - {text: 再安抚, next: b, mood: -1}
            - text: 方案
              next: [{if: {mood_at_most: confused}, to: good}, {to: bad}]
        good: {ending: resolved, points: {communication: 5}}
        bad: {ending: lost}
    """)
    best = drills.maximum(spec_carry)
    assert best.total == 5 and [s[1] for s in best.path.steps] == ["安抚", "再安抚", "再安抚", "方案"]


def test_the_search_gives_up_on_an_explosive_graph(monkeypatch):
    monkeypatch.setattr(drills, "MAX_SEARCH_STATES", 5)
    with pytest.raises(drills.SearchTooLarge):
        drills.maximum(drill_spec(DRILL))


# ------------------------------------------------------------ search against brute force

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

REPLY_TOKENS = ["甲乙", "丙丁", "戊己"]


def reply_node(draw, targets):
    """A reply step whose rules are plain tokens, so a brute force can write
    every combination of them."""
    required = [{"code": f"r{k}", "label": f"r{k}", "any": [REPLY_TOKENS[k]],
                 "competency": draw(st.sampled_from(["communication", "emotion"])), "points": draw(st.integers(0, 3))}
                for k in range(draw(st.integers(0, 2)))]
    forbidden = [{"code": "f0", "label": "f0", "any": [REPLY_TOKENS[2]], "penalty": draw(st.integers(-2, 0))}] \
        if draw(st.booleans()) else []
    reply = {"required": required, "forbidden": forbidden, "next": draw(st.sampled_from(targets)),
             "mood_if_passed": draw(st.integers(-1, 1)), "mood_if_failed": draw(st.integers(-1, 1))}
    if draw(st.booleans()) or not (required or forbidden):
        reply["min_chars"] = 3
    if draw(st.booleans()):
        condition = draw(st.sampled_from([{"score_at_most": 1}, {"score_at_least": 2}, {"mood_at_least": "annoyed"}]))
        reply["next_if_failed"] = [{"if": condition, "to": draw(st.sampled_from(targets))},
                                   {"to": draw(st.sampled_from(targets))}]
    return {"reply": reply}


def reply_texts(node):
    """Every reply that matters: each combination of the tokens, padded to
    pass the length bound, and one too short."""
    from itertools import combinations

    texts = ["x"]
    for size in range(len(REPLY_TOKENS) + 1):
        for chosen in combinations(REPLY_TOKENS, size):
            texts.append("".join(chosen) + "好的好的")
    return texts


@st.composite
def small_drills(draw):
    inner = [f"n{i}" for i in range(draw(st.integers(1, 4)))]
    endings = [f"e{i}" for i in range(draw(st.integers(1, 2)))]
    nodes = {}
    for index, name in enumerate(inner):
        if index > 0 and draw(st.integers(0, 2)) == 0:
            nodes[name] = reply_node(draw, inner + endings)
            if draw(st.booleans()):
                nodes[name]["emotion"] = draw(st.sampled_from(drills.EMOTIONS))
            continue
        choices = []
        for k in range(draw(st.integers(1, 3))):
            target = draw(st.sampled_from(inner + endings))
            route = target
            if draw(st.booleans()):
                condition = draw(st.sampled_from([{"mood_at_least": "annoyed"}, {"mood_at_most": "confused"},
                                                  {"score_at_least": 3}, {"score_at_most": 0}]))
                route = [{"if": condition, "to": draw(st.sampled_from(inner + endings))}, {"to": target}]
            choices.append({"text": f"{name}-{k}", "next": route, "mood": draw(st.integers(-2, 2)),
                            "points": {"communication": draw(st.integers(-2, 3))}})
        node = {"choices": choices}
        if index == 0 or draw(st.booleans()):
            node["emotion"] = draw(st.sampled_from(drills.EMOTIONS))
        nodes[name] = node
    for name in endings:
        nodes[name] = {"ending": draw(st.sampled_from(["resolved", "escalated", "lost"])),
                       "points": {"problem_solving": draw(st.integers(0, 3))}}
    return DrillSpec.model_validate({"id": "h", "title_zh": "h", "title_en": "h", "situation": "outage",
                                     "difficulty": 1, "competencies": ["communication"], "start": "n0",
                                     "nodes": nodes})


def brute_force_best(spec: DrillSpec) -> float:
    """Every state a run can reach, played with the run engine itself; the
    total of a finished run depends only on the steps that scored."""
    import copy

    best, seen = float("-inf"), set()
    todo = [drills.start(spec)]
    while todo:
        state = todo.pop()
        key = (state.node, state.mood, frozenset(state.used), state.score, state.ending)
        if key in seen:
            continue
        seen.add(key)
        if state.finished:
            best = max(best, state.score)
            continue
        node = spec.nodes[state.node]
        for index in range(len(node.choices)):
            after = copy.deepcopy(state)
            drills.choose(spec, after, index)
            todo.append(after)
        if node.reply is not None:
            for text in reply_texts(node):
                after = copy.deepcopy(state)
                drills.answer(spec, after, text)
                todo.append(after)
    return best


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(small_drills())
def test_the_search_matches_brute_force_on_random_small_graphs(spec):
    if drills.graph_errors(spec):
        return
    expected = brute_force_best(spec)
    assert drills.best_path(spec).value == expected


def test_the_search_keeps_apart_equal_steps_reached_with_different_scores():
    # Failing the reply with one element (1 point) keeps the total low enough
    # for the bonus route; passing (2 points) does not.
    spec = spec_of("""
        a: {emotion: calm, reply: {required: [{code: x, label: X, any: [您好]}, {code: y, label: Y, any: [抱歉]}],
                                   next: b}}
        b: {choices: [{text: 走, next: [{if: {score_at_most: 1}, to: bonus}, {to: plain}]}]}
        bonus: {ending: resolved, points: {communication: 10}}
        plain: {ending: resolved}
    """)
    best = drills.best_path(spec)
    assert best.value == 11 and best.steps[0] == ("a", "fail")


def test_a_reply_that_earns_nothing_can_be_retried_for_points():
    # Matching nothing earns nothing and does not use the step up: looping
    # back for the 5 points and then passing is the best walk.
    spec = spec_of("""
        a: {emotion: calm, reply: {required: [{code: x, label: X, any: [您好]}, {code: y, label: Y, any: [抱歉]}],
                                   next: end, next_if_failed: loop}}
        loop: {choices: [{text: 再来, next: a, points: {communication: 5}}]}
        end: {ending: resolved}
    """)
    assert drills.best_path(spec).value == 7
    state = drills.start(spec)
    drills.answer(spec, state, "嗯")
    drills.choose(spec, state, 0)
    drills.answer(spec, state, "您好，抱歉")
    assert state.finished and state.score == 7       # the engine agrees
