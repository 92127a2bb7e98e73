"""Where a question lives, and the rule between the files and the browser:
a browser edit is never silently overwritten by `content sync`; it is reported
and kept until `content export` writes it back (or `--force` takes the file)."""

import pytest
from sqlalchemy import func, select

from app.bank.models import Question, QuestionVersion
from app.bank.services import QuestionData, save_question
from app.extensions import db
from tests.bank.test_content_sync import ONE, write

GREETINGS = "etiquette/greetings.yaml"
COMMENTED = "# 服务礼仪 — 开场白（作者的注释必须保留）\n" + ONE


@pytest.fixture
def bank(tmp_path, app, runner):
    root = tmp_path / "question_bank"
    app.config["QUESTION_BANK_DIR"] = str(root)
    write(root, GREETINGS, COMMENTED)
    synced = runner.invoke(args=["content", "sync"])
    assert synced.exit_code == 0, synced.output
    return root


def question(uid) -> Question:
    return db.session.scalar(select(Question).where(Question.uid == uid))


def version_count() -> int:
    return db.session.scalar(select(func.count(QuestionVersion.id)))


def edit_in_browser(client, uid, stem=None, tags="开场白, 礼貌用语"):
    """Post the edit form as a trainer would, starting from the question's own values."""
    current = question(uid)
    version = current.current_version
    fields = {"type_key": version.type_key, "category": current.category, "tags": tags,
              "competency": current.competency, "difficulty": str(current.difficulty), "title": version.title,
              "stem": stem or version.stem, "stem_format": version.stem_format, "explanation": version.explanation}
    for index, option in enumerate(version.payload["options"]):
        fields |= {f"options-{index}-text": option["text"], f"options-{index}-fraction": str(option["fraction"]),
                   f"options-{index}-feedback": option["feedback"]}
    response = client.post_form(f"/bank/questions/{current.id}/edit", fields)
    assert response.status_code == 302, response.get_data(as_text=True)


def make_browser_question(author, stem="客户说“我要投诉你”，第一句话应该说什么？", explanation="先安抚情绪。"):
    return save_question(author, None, QuestionData(
        type_key="single_choice", category="投诉处理/情绪安抚", tags=["投诉"], competency="emotion", difficulty=2,
        title="", stem=stem, stem_format="plain", explanation=explanation,
        payload={"options": [{"text": "非常理解您的心情，我来帮您处理", "fraction": 1},
                             {"text": "您别激动", "fraction": 0}]}))[0]


def test_every_question_knows_its_file_and_line(bank):
    greeting = question("etq-001")
    assert (greeting.source, greeting.source_path, greeting.source_line) == ("file", "question_bank/" + GREETINGS, 2)
    assert question("kpi-001").source_line == 13
    assert greeting.synced_hash and greeting.state == "in_step"


def test_browser_edit_survives_sync_and_is_reported(bank, client, login_as, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", stem="下列哪句开场白最规范？")
    edited = question("etq-001")
    assert edited.current_version.version == 2 and edited.state == "browser_edit"

    result = runner.invoke(args=["content", "sync"])

    assert result.exit_code == 0, result.output            # a conflict is not an error: `make run` goes on
    kept = question("etq-001")
    assert kept.current_version.version == 2 and kept.current_version.stem == "下列哪句开场白最规范？"
    assert kept.tags == ["开场白", "礼貌用语"]              # metadata edits survive too
    assert version_count() == 3
    assert ("question_bank/etiquette/greetings.yaml:2: etq-001: edited in the browser since the last sync "
            "(fields: stem, tags)") in result.output
    assert "conflicts 1" in result.output
    assert "content export" in result.output and "--force" in result.output
    again = runner.invoke(args=["content", "sync"])         # reported every time, until resolved
    assert "etq-001: edited in the browser" in again.output and version_count() == 3


def test_a_tag_edit_alone_survives(bank, client, login_as, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", tags="开场白, 新标签")
    runner.invoke(args=["content", "sync"])
    assert question("etq-001").tags == ["开场白", "新标签"] and version_count() == 2


def test_file_change_without_browser_edit_still_loads(bank, runner):
    write(bank, GREETINGS, COMMENTED.replace("以下哪句开场白最规范？", "哪句开场白最规范？"))
    result = runner.invoke(args=["content", "sync"])
    assert "new version 1" in result.output and "conflicts 0" in result.output
    assert question("etq-001").current_version.stem == "哪句开场白最规范？"
    assert question("etq-001").state == "in_step"


def test_both_changed_is_a_conflict_and_force_takes_the_file(bank, client, login_as, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", stem="浏览器里的题干")
    write(bank, GREETINGS, COMMENTED.replace("以下哪句开场白最规范？", "文件里的题干"))

    kept = runner.invoke(args=["content", "sync"])
    assert "etq-001: changed in the file and in the browser since the last sync" in kept.output
    assert question("etq-001").current_version.stem == "浏览器里的题干"

    forced = runner.invoke(args=["content", "sync", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "etq-001: the file's version replaced the browser's edit (fields: stem, tags)" in forced.output
    taken = question("etq-001")
    assert [v.stem for v in taken.versions] == ["以下哪句开场白最规范？", "浏览器里的题干", "文件里的题干"]
    assert taken.tags == ["开场白"] and taken.state == "in_step"
    assert "conflicts 0" in runner.invoke(args=["content", "sync"]).output


def test_force_with_a_metadata_edit_only_makes_no_version(bank, client, login_as, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", tags="别的标签")
    runner.invoke(args=["content", "sync", "--force"])
    assert question("etq-001").tags == ["开场白"] and version_count() == 2


def test_retired_in_the_browser_stays_retired(bank, client, login_as, runner):
    login_as("trainer")
    client.post_form(f"/bank/questions/{question('kpi-001').id}/retire")
    result = runner.invoke(args=["content", "sync"])
    assert question("kpi-001").status == "retired" and "reactivated 0" in result.output
    assert "kpi-001: edited in the browser since the last sync (fields: status)" in result.output


def test_restored_in_the_browser_after_leaving_the_files_stays(bank, client, login_as, runner):
    write(bank, GREETINGS, COMMENTED.split("- id: kpi-001")[0])
    assert "retired 1" in runner.invoke(args=["content", "sync"]).output
    login_as("trainer")
    client.post_form(f"/bank/questions/{question('kpi-001').id}/restore")
    result = runner.invoke(args=["content", "sync"])
    assert question("kpi-001").status == "active"
    assert "kpi-001: removed from the files but changed in the browser since the last sync" in result.output


def test_a_browser_question_is_not_taken_over_by_a_file_with_its_id(bank, make_user, runner):
    made = make_browser_question(make_user("trainer"))
    clash = ONE.split("- id: kpi-001")[0].replace("etq-001", made.uid)
    write(bank, "complaints/clash.yaml", clash)
    result = runner.invoke(args=["content", "sync"])
    assert f"{made.uid}: made in the browser with the same id as this file entry" in result.output
    kept = question(made.uid)
    assert kept.source == "browser" and kept.current_version.stem.startswith("客户说") and len(kept.versions) == 1


def test_a_file_question_without_a_recorded_sync_is_not_overwritten(bank, runner):
    """Rows from before sources were recorded: a difference cannot be attributed, so it is kept and reported."""
    legacy = question("etq-001")
    legacy.synced_hash = None
    legacy.tags = ["浏览器里加的"]
    db.session.commit()
    result = runner.invoke(args=["content", "sync"])
    assert "etq-001: differs from its file and no sync has recorded which side changed (fields: tags)" in result.output
    assert question("etq-001").tags == ["浏览器里加的"]
    assert question("kpi-001").synced_hash  # in step: recorded now


def test_question_page_says_where_the_question_lives(bank, client, login_as, make_user):
    login_as("trainer", locale="en")
    page = client.get(f"/bank/questions/{question('etq-001').id}").get_data(as_text=True)
    assert 'data-testid="source"' in page and "question_bank/etiquette/greetings.yaml:2" in page
    form = client.get(f"/bank/questions/{question('etq-001').id}/edit").get_data(as_text=True)
    assert "question_bank/etiquette/greetings.yaml:2" in form and "content export" in form
    edit_in_browser(client, "etq-001", stem="下列哪句开场白最规范？")
    page = client.get(f"/bank/questions/{question('etq-001').id}").get_data(as_text=True)
    assert "Edited in the browser since the file version" in page and "content export" in page
    made = make_browser_question(make_user("trainer"))
    page = client.get(f"/bank/questions/{made.id}").get_data(as_text=True)
    assert "Made in the browser" in page and "question_bank/_browser/" in page
    made.source = "import"
    db.session.commit()
    assert "Imported in the app" in client.get(f"/bank/questions/{made.id}").get_data(as_text=True)


# --- content export -----------------------------------------------------------------

def test_export_round_trip_leaves_nothing_to_sync(bank, client, login_as, make_user, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", stem="下列哪句开场白最规范？\n请选一项。")
    made = make_browser_question(make_user("trainer"))
    before = (bank / GREETINGS).read_text(encoding="utf-8")

    exported = runner.invoke(args=["content", "export"])

    assert exported.exit_code == 0, exported.output
    assert "question_bank/etiquette/greetings.yaml: 1 updated" in exported.output
    assert "question_bank/_browser/投诉处理.yaml: 0 updated, 1 added" in exported.output
    after = (bank / GREETINGS).read_text(encoding="utf-8")
    assert after.startswith("# 服务礼仪 — 开场白（作者的注释必须保留）\n- id: etq-001\n")
    kpi_entry = before[before.index("- id: kpi-001"):]
    assert after.endswith(kpi_entry)                          # the other question is untouched, byte for byte
    assert "tags: [开场白, 礼貌用语]" in after and "fraction: 0" in after and "feedback: ''" not in after
    browser_file = (bank / "_browser" / "投诉处理.yaml").read_text(encoding="utf-8")
    assert f"- id: {made.uid}\n" in browser_file

    check = runner.invoke(args=["content", "sync", "--check"])
    assert check.exit_code == 0, check.output
    versions = version_count()
    synced = runner.invoke(args=["content", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "conflicts 0" in synced.output and "new version 0" in synced.output and "added 0" in synced.output
    assert "now in files 1" in synced.output
    assert version_count() == versions
    assert question("etq-001").state == "in_step" and question("etq-001").current_version.version == 2
    adopted = question(made.uid)
    assert (adopted.source, adopted.source_path, adopted.state) == ("file", "question_bank/_browser/投诉处理.yaml",
                                                                    "in_step")
    assert "nothing to export" in runner.invoke(args=["content", "export"]).output


def test_export_of_a_retired_question_removes_its_entry(bank, client, login_as, runner):
    login_as("trainer")
    client.post_form(f"/bank/questions/{question('kpi-001').id}/retire")
    exported = runner.invoke(args=["content", "export"])
    assert "question_bank/etiquette/greetings.yaml: 0 updated, 0 added, 1 removed" in exported.output
    assert "kpi-001" not in (bank / GREETINGS).read_text(encoding="utf-8")
    synced = runner.invoke(args=["content", "sync"])
    assert "conflicts 0" in synced.output and question("kpi-001").status == "retired"
    assert question("kpi-001").versions  # retired, never deleted


def test_export_to_another_folder_leaves_the_bank_alone(bank, client, login_as, runner, tmp_path):
    login_as("trainer")
    edit_in_browser(client, "etq-001", tags="开场白, 导出")
    before = (bank / GREETINGS).read_text(encoding="utf-8")
    out = tmp_path / "review"
    result = runner.invoke(args=["content", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (bank / GREETINGS).read_text(encoding="utf-8") == before
    assert "tags: [开场白, 导出]" in (out / GREETINGS).read_text(encoding="utf-8")


def test_an_imported_question_without_explanation_exports_and_syncs_back(bank, make_user, runner):
    author = make_user("trainer")
    empty = make_browser_question(author, stem="没有解析的题", explanation="")
    empty.source = "import"
    db.session.commit()
    result = runner.invoke(args=["content", "export"])
    assert result.exit_code == 0, result.output
    assert "没有解析的题" in "".join(p.read_text(encoding="utf-8") for p in (bank / "_browser").iterdir())
    assert runner.invoke(args=["content", "sync", "--check"]).exit_code == 0
    synced = runner.invoke(args=["content", "sync"])
    assert synced.exit_code == 0 and "conflicts 0" in synced.output, synced.output
    assert db.session.get(type(empty), empty.id).current_version.version == 1


def test_export_will_not_overwrite_a_file_change_unless_forced(bank, client, login_as, runner):
    login_as("trainer")
    edit_in_browser(client, "etq-001", stem="浏览器里的题干")
    write(bank, GREETINGS, COMMENTED.replace("以下哪句开场白最规范？", "文件里的题干"))
    refused = runner.invoke(args=["content", "export"])
    assert refused.exit_code == 1 and "etq-001: changed in the file and in the browser" in refused.output
    assert "文件里的题干" in (bank / GREETINGS).read_text(encoding="utf-8")
    forced = runner.invoke(args=["content", "export", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "浏览器里的题干" in (bank / GREETINGS).read_text(encoding="utf-8")
    assert "conflicts 0" in runner.invoke(args=["content", "sync"]).output


def test_export_needs_valid_files(bank, runner):
    write(bank, "broken/bad.yaml", "- id: x\n  type: true_false\n")
    result = runner.invoke(args=["content", "export"])
    assert result.exit_code == 1 and "question_bank/broken/bad.yaml:1: x:" in result.output
