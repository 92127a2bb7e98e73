"""GIFT, Moodle XML and Aiken as trainers' real files use them, written from
Moodle's documentation of each format ("GIFT format", "Moodle XML format",
"Aiken format") and from what Moodle itself reads and writes."""

from html.parser import HTMLParser

import pytest

from app.bank.interchange import parse
from app.bank.interchange.writers import write
from app.bank.services import check_parsed
from app.bank.types import get_type


def gift(text: str):
    return parse("gift", text.encode())


def xml(body: str, root: bool = True):
    text = f"<quiz>\n{body}\n</quiz>" if root else body
    return parse("moodlexml", f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode())


def only(result):
    assert result.errors == [] and check_parsed(result.questions) == [], (result.errors, check_parsed(result.questions))
    assert len(result.questions) == 1
    return result.questions[0]


def round_trip(format_name: str, result):
    text, skipped = write(format_name, [q.as_json() for q in result.questions])
    assert skipped == []
    back = parse(format_name, text.encode())
    assert back.errors == [] and check_parsed(back.questions) == [], text
    return back


# --- GIFT: format markers before any text -------------------------------------

MARKED = """[html]Which colour is <b>the sky</b>? {
	=[plain]blue #[markdown]*right*
	~[html]<i>red</i> #[html]<p>No &amp; never</p>
	~green
	####[plain]Look <up>.
}

[markdown]Match **them**. {
	=[html]<b>CSAT</b> -> [plain]satisfaction
	=[moodle]FCR -> first contact
	=AHT -> handling time
}

Capital of France? {=[plain]Paris #[html]<b>Oui</b> =[markdown]paris}

How many? {#[plain]3:1 #[html]<em>close enough</em>}

[html]<p>Is it?</p> {TRUE#[plain]wrong <not html>#[html]<b>right</b>}
"""


def test_gift_format_markers_before_answers_pairs_and_feedback():
    result = gift(MARKED)
    assert result.errors == [] and check_parsed(result.questions) == []
    colour, match, short, number, statement = result.questions

    assert colour.stem_format == "html"
    options = colour.payload["options"]
    assert [o["text"] for o in options] == ["blue", "<i>red</i>", "green"]
    # an answer without a marker takes the stem's format, as in Moodle
    assert [o.get("format", "plain") for o in options] == ["plain", "html", "html"]
    # feedback is shown as plain text: Markdown stays as written, HTML gives its text
    assert [o["feedback"] for o in options] == ["*right*", "No & never", ""]
    assert colour.general_feedback == "Look <up>."

    assert match.stem_format == "markdown"
    assert match.payload["pairs"] == [
        {"left": "<b>CSAT</b>", "right": "satisfaction", "format": "html"},
        {"left": "FCR", "right": "first contact"},
        {"left": "AHT", "right": "handling time", "format": "markdown"},
    ]
    assert [(a["text"], a["feedback"]) for a in short.payload["answers"]] == [("Paris", "Oui"), ("paris", "")]
    assert number.payload["answers"][0] == {"value": 3.0, "tolerance": 1.0, "fraction": 1.0,
                                                "feedback": "close enough"}
    assert (statement.payload["feedback_false"], statement.payload["feedback_true"]) == ("wrong <not html>", "right")
    for q in result.questions:
        assert "[plain]" not in repr(q.payload) and "[html]" not in repr(q.payload)


@pytest.mark.parametrize("format_name", ["gift", "moodlexml", "yaml"])
def test_formats_of_answers_survive_a_round_trip(format_name):
    result = gift(MARKED)
    back = round_trip(format_name, result)
    for before, after in zip(result.questions, back.questions, strict=True):
        assert (after.stem, after.stem_format, after.general_feedback) == \
            (before.stem, before.stem_format, before.general_feedback)
        assert after.payload | {"case_sensitive": False} == before.payload | {"case_sensitive": False}


def test_answer_formats_are_rendered_on_the_question_page(client, login_as):
    from app.bank.services import import_questions

    login_as("trainer")
    result = gift("Pick one {=[html]<i>slanted</i> ~[plain]a <b> tag ~[markdown]**strong**}")
    question = import_questions(result, None).created[0]
    page = client.get(f"/bank/questions/{question.id}/preview").get_data(as_text=True)
    assert "<i>slanted</i>" in page
    assert "a &lt;b&gt; tag" in page
    assert "<strong>strong</strong>" in page
    key = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "<i>slanted</i>" in key and "a &lt;b&gt; tag" in key


# --- GIFT numerical ------------------------------------------------------------

@pytest.mark.parametrize("block, answers, other", [
    ("{#1..5}", [(3.0, 2.0, 1.0, "")], ""),
    ("{#3:2}", [(3.0, 2.0, 1.0, "")], ""),
    ("{#-2.5}", [(-2.5, 0.0, 1.0, "")], ""),
    ("{# =%50%3:1 =3:0}", [(3.0, 1.0, 0.5, ""), (3.0, 0.0, 1.0, "")], ""),
    ("{#3:2 ~#Completely wrong}", [(3.0, 2.0, 1.0, "")], "Completely wrong"),
    ("{#\n\t=1822:0 #Correct!\n\t=%50%1822:2 #Close.\n\t~#Not even near.\n}",
     [(1822.0, 0.0, 1.0, "Correct!"), (1822.0, 2.0, 0.5, "Close.")], "Not even near."),
    ("{#3.14159:0.0005 #Right}", [(3.14159, 0.0005, 1.0, "Right")], ""),
])
def test_gift_numerical_answers(block, answers, other):
    q = only(gift(f"What is it? {block}"))
    assert q.type == "numeric"
    assert [(a["value"], a["tolerance"], a["fraction"], a["feedback"]) for a in q.payload["answers"]] == answers
    assert q.payload.get("other_feedback", "") == other


def test_numeric_feedback_for_any_other_answer_is_given_when_nothing_matches():
    numeric = get_type("numeric")
    payload = numeric.validate(only(gift("Pi? {#3.14:0.01 #Good ~#Think of a circle}")).payload)
    assert numeric.grade(payload, "3.14").feedback == ["Good"]
    wrong = numeric.grade(payload, "7")
    assert (wrong.score, wrong.feedback) == (0.0, ["Think of a circle"])


@pytest.mark.parametrize("block, words", [
    ("{#1e999}", ["answer 1", "value", "1e999"]),
    ("{#nan}", ["answer 1", "value", "nan"]),
    ("{#inf..5}", ["answer 1", "inf"]),
    ("{#3:1e999}", ["answer 1", "tolerance", "1e999"]),
    ("{#=3:0 =%50%NaN:1}", ["answer 2", "value", "NaN"]),
    ("{#5..1}", ["runs backwards"]),
    ("{#=%1e999%3}", ["weight", "1e999"]),
    ("{#=%nan%3}", ["weight", "nan"]),
])
def test_gift_numbers_that_are_not_finite_are_errors_naming_line_and_field(block, words):
    result = gift(f"// a comment\n\nHow many? {block}")
    assert result.questions == []
    assert [e["line"] for e in result.errors] == [3]
    for word in words:
        assert word in result.errors[0]["message"]


@pytest.mark.parametrize("block, field", [
    ("{#3:1e300}", "answers[0].tolerance"),
    ("{#1e300}", "answers[0].value"),
    ("{#1e308..1.7e308}", "answers[0].value"),
])
def test_gift_numbers_outside_the_documented_range_are_errors(block, field):
    result = gift(f"How many? {block}")
    problems = check_parsed(result.questions)
    assert result.errors == [] and [p["line"] for p in problems] == [1]
    assert field in problems[0]["message"] and "1e+15" in problems[0]["message"]


# --- numbers from the other formats -----------------------------------------------------

@pytest.mark.parametrize("cell", ["1e999", "nan", "3:1e999", "3:inf", "0x10"])
def test_csv_numbers_that_are_not_finite_are_row_errors_naming_the_column(cell):
    result = parse("csv", f"type,stem,answer\nnumeric,good,3:1\nnumeric,bad,{cell}\n".encode())
    assert [q.stem for q in result.questions] == ["good"]
    assert [e["line"] for e in result.errors] == [3] and result.errors[0]["message"].startswith("answer:")


@pytest.mark.parametrize("fields, field", [
    ("answers: [{value: .inf}]", "answers[0].value"),
    ("answers: [{value: .nan}]", "answers[0].value"),
    ("answers: [{value: 3, tolerance: 1e300}]", "answers[0].tolerance"),
    ("answers: [{value: 3, tolerance: -1}]", "answers[0].tolerance"),
    (f"answers: [{{value: {10 ** 400}}}]", "answers[0].value"),
    (f"answers: [{{value: 3, fraction: {10 ** 400}}}]", "answers[0].fraction"),
    ("answers: [{value: 3, fraction: .nan}]", "answers[0].fraction"),
])
def test_yaml_numbers_not_finite_or_out_of_range_name_line_and_field(fields, field):
    result = parse("yaml", f"- type: numeric\n  stem: ok\n  answers: [{{value: 1}}]\n- type: numeric\n  stem: bad\n  {fields}\n".encode())
    problems = check_parsed(result.questions)
    assert [p["line"] for p in problems] == [4] and field in problems[0]["message"]


@pytest.mark.parametrize("points", [".inf", ".nan", "1e9", str(10 ** 400), "0", "-3"])
def test_yaml_rubric_points_must_be_finite_and_in_range(points):
    result = parse("yaml", f"- type: case_analysis\n  stem: case\n  rubric: [{{criterion: all, points: {points}}}]\n".encode())
    problems = check_parsed(result.questions)
    assert [p["line"] for p in problems] == [1] and "rubric[0].points" in problems[0]["message"]


def test_yaml_integer_too_long_to_read_is_an_error_with_its_line():
    result = parse("yaml", ("- type: numeric\n  stem: x\n  answers:\n  - value: " + "9" * 5000 + "\n").encode())
    assert result.questions == [] and [e["line"] for e in result.errors] == [4]


# --- GIFT short answers and escapes ------------------------------------------------

@pytest.mark.parametrize("block, answers", [
    ("{One}", ["One"]),
    ("{one two}", ["one two"]),
    ("{=\\\\}", ["\\"]),
    ("{=\\=}", ["="]),
    ("{\\{}", ["{"]),
    ("{=\\~ =\\#}", ["~", "#"]),
    ("{=a\\:b}", ["a:b"]),
    ("{=C:\\\\temp}", ["C:\\temp"]),
    ("{=a\\b}", ["a\\b"]),  # a backslash before an ordinary character is kept, as in Moodle
    ("{Paris =paris}", ["Paris", "paris"]),
])
def test_gift_short_answers(block, answers):
    q = only(gift(f"Answer? {block}"))
    assert q.type == "fill_blank"
    assert [a["text"] for a in q.payload["answers"]] == answers


@pytest.mark.parametrize("block, correct", [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE#no#yes}", False)])
def test_gift_true_false_words_stay_true_false(block, correct):
    q = only(gift(f"Is it? {block}"))
    assert q.type == "true_false" and q.payload["correct"] is correct


def test_gift_escapes_in_category_names_and_titles():
    result = gift("$CATEGORY: $course$/top/售后\\: 退款 \\~ 换货/规则 \\{新\\}\n\n::标题\\:一::题干 \\= 问号? {=是 ~否}")
    q = only(result)
    assert q.category == "售后: 退款 ~ 换货/规则 {新}"
    assert (q.title, q.stem) == ("标题:一", "题干 = 问号?")


def test_gift_choice_text_before_the_first_marker_is_a_wrong_option_as_in_moodle():
    q = only(gift("Which? {Lyon ~Nice =Paris}"))
    assert [(o["text"], o["fraction"]) for o in q.payload["options"]] == [("Lyon", 0.0), ("Nice", 0.0), ("Paris", 1.0)]


# --- matching distractors ----------------------------------------------------------

def test_gift_matching_keeps_right_items_without_a_left_as_distractors():
    q = only(gift("Animals and sounds. {\n\t=cat -> meow\n\t=dog -> woof\n\t= -> moo\n\t=->quack\n}"))
    assert q.type == "matching"
    assert q.payload["pairs"] == [{"left": "cat", "right": "meow"}, {"left": "dog", "right": "woof"}]
    assert q.payload["distractors"] == ["moo", "quack"]


def test_moodle_xml_matching_keeps_subquestions_without_text_as_distractors():
    q = only(xml("""<question type="matching"><name><text>m</text></name>
      <questiontext format="html"><text>Pair them</text></questiontext>
      <subquestion format="html"><text>cat</text><answer><text>meow</text></answer></subquestion>
      <subquestion format="html"><text>dog</text><answer><text>woof</text></answer></subquestion>
      <subquestion format="html"><text></text><answer><text>moo</text></answer></subquestion>
    </question>"""))
    assert q.payload["pairs"] == [{"left": "cat", "right": "meow", "format": "html"},
                                  {"left": "dog", "right": "woof", "format": "html"}]
    assert q.payload["distractors"] == ["moo"]


@pytest.mark.parametrize("format_name", ["gift", "moodlexml", "yaml"])
def test_matching_distractors_survive_a_round_trip(format_name):
    result = gift("Animals and sounds. {=cat -> meow =dog -> woof = -> moo}")
    q = only(round_trip(format_name, result))
    assert q.payload["distractors"] == ["moo"]
    assert [p["right"] for p in q.payload["pairs"]] == ["meow", "woof"]


def test_matching_distractors_are_offered_and_earn_nothing():
    matching = get_type("matching")
    payload = matching.validate({"pairs": [{"left": "cat", "right": "meow"}, {"left": "dog", "right": "woof"}],
                                 "distractors": ["moo"]})
    rights = matching.render_context(payload)["rights"]
    assert [r["text"] for r in rights] == ["meow", "woof", "moo"]
    assert len(matching.render_context(payload)["lefts"]) == 2
    assert matching.grade(payload, matching.correct_response(payload)).score == 1.0
    assert matching.grade(payload, [2, 1]).score == 0.5  # cat → moo earns nothing
    assert matching.grade(payload, {0: 2, 1: 2}).score == 0.0
    with pytest.raises(Exception, match="distractors"):
        matching.validate({"pairs": payload["pairs"], "distractors": ["meow"]})
    with pytest.raises(Exception, match="distractors"):
        matching.validate({"pairs": payload["pairs"], "distractors": [""]})
    assert "distractors" not in matching.validate({"pairs": payload["pairs"]})


# --- Moodle XML ---------------------------------------------------------------------

MULTI_OVER = """<question type="multichoice">
    <name><text>over</text></name>
    <questiontext format="html"><text>Which are colours?</text></questiontext>
    <single>false</single>
    <answer fraction="100" format="html"><text>red</text></answer>
    <answer fraction="100" format="html"><text>blue</text></answer>
    <answer fraction="-50" format="html"><text>cat</text></answer>
  </question>"""


def test_moodle_xml_multichoice_over_100_percent_is_all_or_nothing_with_a_warning():
    result = xml(MULTI_OVER)
    q = only(result)
    assert q.type == "multiple_choice" and q.payload["grading"] == "all_or_nothing"
    assert [o["fraction"] for o in q.payload["options"]] == [0.5, 0.5, -0.5]
    assert [w["line"] for w in result.warnings] == [3]
    assert "200" in result.warnings[0]["message"] and "all-or-nothing" in result.warnings[0]["message"]
    multiple = get_type("multiple_choice")
    payload = multiple.validate(q.payload)
    assert multiple.grade(payload, [0, 1]).score == 1.0
    assert multiple.grade(payload, [0]).score == 0.0


def test_moodle_xml_single_choice_with_partial_answers_is_no_warning():
    result = xml(MULTI_OVER.replace("false", "true").replace('fraction="100" format="html"><text>blue',
                                                              'fraction="50" format="html"><text>blue'))
    q = only(result)
    assert q.type == "single_choice" and result.warnings == []


NUMERICAL_CATCH_ALL = """<question type="numerical">
    <name><text>n</text></name>
    <questiontext format="html"><text>How many?</text></questiontext>
    <answer fraction="100"><text>42</text><tolerance>0.5</tolerance><feedback format="html"><text>&lt;p&gt;Yes&lt;/p&gt;</text></feedback></answer>
    <answer fraction="0"><text>*</text><tolerance>0</tolerance><feedback format="html"><text>No, count again.</text></feedback></answer>
  </question>"""


def test_moodle_xml_numerical_any_other_answer_is_skipped_with_a_note():
    result = xml(NUMERICAL_CATCH_ALL)
    q = only(result)
    assert q.payload["answers"] == [{"value": 42.0, "tolerance": 0.5, "fraction": 1.0, "feedback": "Yes"}]
    assert q.payload["other_feedback"] == "No, count again."
    assert len(result.warnings) == 1 and "*" in result.warnings[0]["message"]
    back = only(round_trip("moodlexml", result))
    assert back.payload == q.payload


def test_moodle_xml_numerical_any_answer_with_credit_is_an_error():
    result = xml(NUMERICAL_CATCH_ALL.replace('fraction="0"><text>*', 'fraction="50"><text>*'))
    assert result.questions == [] and [e["line"] for e in result.errors] == [3]
    assert "*" in result.errors[0]["message"]


@pytest.mark.parametrize("attribute, words", [
    ('fraction="1e999"', ["fraction", "1e999"]),
    ('fraction="NaN"', ["fraction", "NaN"]),
    ('fraction="inf"', ["fraction", "inf"]),
])
def test_moodle_xml_fractions_that_are_not_finite_are_errors(attribute, words):
    result = xml(MULTI_OVER.replace('fraction="-50"', attribute))
    assert result.questions == [] and [e["line"] for e in result.errors] == [3]
    for word in words:
        assert word in result.errors[0]["message"]


@pytest.mark.parametrize("tolerance, words", [("1e999", ["tolerance", "1e999"]), ("NaN", ["tolerance", "NaN"])])
def test_moodle_xml_tolerances_that_are_not_finite_are_errors(tolerance, words):
    result = xml(NUMERICAL_CATCH_ALL.replace("<tolerance>0.5</tolerance>", f"<tolerance>{tolerance}</tolerance>"))
    assert result.questions == [] and [e["line"] for e in result.errors] == [3]
    for word in words:
        assert word in result.errors[0]["message"]


def test_moodle_xml_huge_tolerance_is_outside_the_documented_range():
    result = xml(NUMERICAL_CATCH_ALL.replace("<tolerance>0.5</tolerance>", "<tolerance>1e300</tolerance>"))
    problems = check_parsed(result.questions)
    assert [p["line"] for p in problems] == [3] and "answers[0].tolerance" in problems[0]["message"]


def test_moodle_xml_description_and_cloze_are_skipped_with_the_reason():
    result = xml("""<question type="description"><name><text>d</text></name>
      <questiontext format="html"><text>Read this first.</text></questiontext></question>
  <question type="cloze"><name><text>c</text></name>
      <questiontext format="html"><text>2 + 2 = {1:NUMERICAL:=4}</text></questiontext></question>""")
    assert result.questions == [] and result.errors == []
    reasons = [s["reason"] for s in result.skipped]
    assert [s["line"] for s in result.skipped] == [3, 5]
    assert "description" in reasons[0] and "cloze" in reasons[1] and "embedded" in reasons[1]


def test_moodle_xml_questions_without_a_quiz_root_are_read_with_a_warning():
    one = """<question type="shortanswer"><name><text>s</text></name>
    <questiontext format="plain_text"><text>CRM stands for?</text></questiontext>
    <answer fraction="100"><text>Customer relationship management</text></answer></question>"""
    single = xml(one, root=False)
    assert only(single).type == "fill_blank"
    assert len(single.warnings) == 1 and "<quiz>" in single.warnings[0]["message"]
    several = xml(one + "\n" + one.replace("CRM", "ERP"), root=False)
    assert [q.stem for q in several.questions] == ["CRM stands for?", "ERP stands for?"]
    assert [q.line for q in several.questions] == [2, 5]
    assert several.errors == [] and len(several.warnings) == 1


def test_moodle_xml_without_a_quiz_root_still_refuses_entities():
    result = parse("moodlexml", b'<?xml version="1.0"?>\n<!DOCTYPE q [<!ENTITY a "b">]>\n'
                                b'<question type="shortanswer"><questiontext><text>&a;</text></questiontext></question>')
    assert result.questions == [] and "DOCTYPE" in result.errors[0]["message"]
    other = parse("moodlexml", b"<html><body>not a quiz</body></html>")
    assert other.questions == [] and "<quiz>" in other.errors[0]["message"]


# --- Aiken ----------------------------------------------------------------------------

AIKEN = """Which one is a colour?
A. Red
B. Cat
ANSWER: A

A. an option where the question should be
B. another
ANSWER: A

Only one option?
A. lonely
ANSWER: A

Where is the answer line?
A. here
B. there

What letter is right?
A. first
B. second
ANSWER: C

Which is an animal?
A) Dog
B) Table
ANSWER: A
"""


def test_aiken_reports_each_malformed_block_on_its_own_line():
    result = parse("aiken", AIKEN.encode())
    assert [q.stem for q in result.questions] == ["Which one is a colour?", "Which is an animal?"]
    errors = {e["line"]: e["message"] for e in result.errors}
    assert sorted(errors) == [6, 10, 14, 21]
    assert "no question text" in errors[6]
    assert "at least two options" in errors[10]
    assert "no ANSWER" in errors[14]
    assert "C" in errors[21] and "A, B" in errors[21]


def test_aiken_questions_without_blank_lines_between_them():
    result = parse("aiken", b"Q1?\nA. a\nB. b\nANSWER: B\nQ2?\nA. c\nB. d\nANSWER: A\n")
    assert result.errors == [] and [q.stem for q in result.questions] == ["Q1?", "Q2?"]


def test_aiken_only_valid_imports_the_good_blocks(client, login_as):
    import io

    from sqlalchemy import func, select

    from app.bank.models import Question
    from app.extensions import db

    login_as("trainer")
    preview = client.post_form("/bank/import", {"format": "aiken", "file": (io.BytesIO(AIKEN.encode()), "q.txt")},
                               content_type="multipart/form-data").get_data(as_text=True)
    errors = preview.split('data-testid="import-errors"')[1].split("</table>")[0]
    assert errors.count("<tr") == 5  # header + one row for each of the four broken blocks
    key = preview.split('name="upload_key" type="hidden" value="')[1].split('"')[0]
    client.post_form("/bank/import/commit", {"upload_key": key, "format": "aiken", "only_valid": "y"})
    assert db.session.scalar(select(func.count(Question.id))) == 2


# --- the preview shows warnings and notes ----------------------------------------------

def test_import_preview_shows_warnings(client, login_as):
    import io

    login_as("trainer", locale="en")
    body = f'<?xml version="1.0"?>\n<quiz>\n{MULTI_OVER}\n{NUMERICAL_CATCH_ALL}\n</quiz>\n'.encode()
    page = client.post_form("/bank/import", {"format": "moodlexml", "file": (io.BytesIO(body), "q.xml")},
                            content_type="multipart/form-data").get_data(as_text=True)
    warnings = page.split('data-testid="import-warnings"')[1].split("</table>")[0]
    assert warnings.count("<tr") == 3  # header + two warnings
    assert "all-or-nothing" in warnings and "*" in warnings
    assert 'data-testid="import-errors"' not in page


def test_cli_dry_run_prints_warnings(runner, tmp_path):
    path = tmp_path / "q.xml"
    path.write_text(f'<?xml version="1.0"?>\n<quiz>\n{MULTI_OVER}\n</quiz>\n', encoding="utf-8")
    result = runner.invoke(args=["questions", "import", str(path), "--format", "moodlexml", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{path}:3: warning:" in result.output and "all-or-nothing" in result.output


# --- the browser form keeps what the files brought ------------------------------------

class _FormFields(HTMLParser):
    """The fields a browser would post back from the question form, unchanged."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def _posted_back(page: str) -> dict:
    form = next(part for part in page.split("<form")[1:] if 'name="type_key"' in part).split("</form>")[0]
    parser = _FormFields()
    parser.feed("<form" + form)
    return {name: value.removeprefix("\r\n").removeprefix("\n") for name, value in parser.fields.items()}


def test_browser_edit_keeps_distractors_answer_formats_and_other_feedback(client, login_as):
    from app.bank.models import Question
    from app.bank.services import import_questions
    from app.extensions import db

    login_as("trainer")
    result = gift("Sounds? {=[html]<b>cat</b> -> meow =dog -> woof = -> moo}\n\n"
                  "Pi? {#3.14:0.01 ~#Think of a circle}\n\nPick {=[html]<i>x</i> ~y}")
    created = import_questions(result, None).created
    assert len(created) == 3
    for question in created:
        before = dict(question.current_version.payload)
        page = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
        response = client.post_form(f"/bank/questions/{question.id}/edit", _posted_back(page))
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        question = db.session.get(Question, question.id)
        assert len(question.versions) == 1 and question.current_version.payload == before


def test_a_pair_row_with_only_a_right_side_is_a_distractor(client, login_as):
    from sqlalchemy import select

    from app.bank.models import Question
    from app.extensions import db

    login_as("trainer")
    response = client.post_form("/bank/questions/new", {
        "category": "a/b", "competency": "knowledge", "difficulty": "3", "stem_format": "plain",
        "type_key": "matching", "stem": "Sounds?", "pairs-0-left": "cat", "pairs-0-right": "meow",
        "pairs-1-left": "dog", "pairs-1-right": "woof", "pairs-2-left": "", "pairs-2-right": "moo"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    question = db.session.scalar(select(Question))
    assert question.current_version.payload["distractors"] == ["moo"]
