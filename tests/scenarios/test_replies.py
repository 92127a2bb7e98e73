"""Reply phrasing checks, in Chinese: full-width punctuation, synonyms,
patterns, forbidden phrasings, length bounds."""

from app.scenarios.replies import ForbiddenRule, ReplyRules, RequiredRule, check_reply, normalise

APOLOGY = RequiredRule("apology", "致歉", ("抱歉", "不好意思", "对不起", "理解您"), competency="emotion", points=2,
                       feedback_ok="有致歉", feedback_missing="请先致歉")
TIME = RequiredRule("time", "时间", ("今天下午", "明天"), (r"\d+(个)?(小时|工作日|天)",), competency="problem_solving",
                    points=3)
BLAME = ForbiddenRule("blame", "推卸", ("不归我们管", "你自己去问"), penalty=-2, feedback="不要推卸")
RULES = ReplyRules(required=(APOLOGY, TIME), forbidden=(BLAME,), min_chars=10, max_chars=120)


def outcome(check, code):
    return next(o for o in check.outcomes if o.code == code)


def test_normalise_folds_full_width_and_drops_punctuation_and_spaces():
    assert normalise("非常抱歉！请您２４ 小时内留意短信。ＯＫ？") == "非常抱歉请您24小时内留意短信ok"
    assert normalise("  ") == ""


def test_a_complete_reply_with_full_width_punctuation_passes_and_earns_every_rule():
    check = check_reply(RULES, "非常抱歉，让您久等了！我们会在２４小时内给您回复。")
    assert check.passed
    assert check.points == {"emotion": 2, "problem_solving": 3}
    assert outcome(check, "apology").matched == "抱歉"
    assert outcome(check, "time").matched == "24小时"   # the pattern runs on the normalised text
    assert outcome(check, "blame").ok


def test_any_synonym_of_a_group_satisfies_it():
    for phrase in ("不好意思", "对不起", "我理解您的心情"):
        check = check_reply(RULES, f"{phrase}，包裹明天就能送到您手上。")
        assert outcome(check, "apology").ok, phrase
        assert check.passed, phrase


def test_a_phrase_split_by_spaces_or_punctuation_still_matches():
    check = check_reply(RULES, "抱 歉！今天 下午，我们会再发一次货给您。")
    assert outcome(check, "apology").ok
    assert outcome(check, "time").matched == "今天下午"


def test_a_missing_element_fails_with_its_feedback_and_no_points_for_it():
    check = check_reply(RULES, "您的包裹明天就能送到，请放心等待。")
    assert not check.passed
    missing = outcome(check, "apology")
    assert not missing.ok and missing.feedback == "请先致歉"
    assert check.points == {"problem_solving": 3}


def test_a_forbidden_phrasing_fails_the_reply_names_what_was_found_and_costs_its_penalty():
    check = check_reply(RULES, "抱歉，物流不归我们管，明天再看看吧。")
    assert not check.passed
    broken = outcome(check, "blame")
    assert not broken.ok and broken.matched == "不归我们管" and broken.feedback == "不要推卸"
    assert check.points == {"emotion": 2, "problem_solving": 3, "communication": -2}


def test_length_bounds_count_the_typed_characters():
    short = check_reply(RULES, "抱歉，明天。")
    assert not short.passed and outcome(short, "too_short").matched == "6"
    long = check_reply(RULES, "抱歉" * 61 + "明天")
    assert not long.passed and outcome(long, "too_long").matched == "124"


def test_an_empty_reply_fails_everything_without_error():
    check = check_reply(RULES, "")
    assert not check.passed
    assert check.points == {}
