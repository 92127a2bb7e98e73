"""KPI pages through HTTP: upload → map → preview → commit, errors shown,
double commit, history and rollback with scope, team and person tables,
the catalogue and its versions."""

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.kpi import staging
from app.kpi.catalogue import seed_catalogue
from app.kpi.models import CatalogueVersion, ColumnMapping, ImportBatch, ImportJob, KpiValue, Metric

HEADER = "工号,姓名,日期,接待人数,客户满意度,首次响应(秒)\n"


@pytest.fixture
def world(app, make_user, make_team):
    seed_catalogue()
    team, other = make_team(), make_team()
    manager = make_user("manager")
    team.managers.append(manager)
    db.session.commit()
    return {"team": team, "other": other, "manager": manager,
            "a1": make_user("agent", team=team, employee_no="KF7001"),
            "a2": make_user("agent", team=team, employee_no="KF7002"),
            "outsider": make_user("agent", team=other, employee_no="KF7999")}


def upload(client, text, encoding="gbk", name="绩效.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post_form("/kpi/import", {"file": (io.BytesIO(data), name), "encoding": ""},
                            content_type="multipart/form-data")


def selections(page: str) -> dict:
    return dict(re.findall(r'name="(col_\d+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S))


def preview(client, text, **extra):
    """Upload, keep the suggested mapping, preview: (the job's page address, the page)."""
    response = upload(client, text)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    key = response.headers["Location"].split("/kpi/import/")[1].split("?")[0]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    started = client.post_form(f"/kpi/import/{key}", {**selections(page), **extra})
    assert started.status_code == 302 and "/kpi/jobs/" in started.headers["Location"], started.status_code
    return started.headers["Location"], client.get(started.headers["Location"])


def commit(client, job_url):
    return client.post_form(f"{job_url}/commit")


def test_a_manager_imports_a_gbk_file_end_to_end(client, login_as, world):
    login_as(user=world["manager"])
    job_url, response = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\nKF7002,乙,2026-10-02,35,0.95,9秒\n",
                                save_as="日报模板")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="error-count">0<' in page and "kpi-commit" in page
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0           # a preview writes nothing
    assert db.session.scalar(select(ColumnMapping.name)) == "日报模板"
    done = commit(client, job_url)
    assert done.status_code == 302 and done.headers["Location"].endswith("/kpi/imports")
    assert db.session.scalar(select(func.count(KpiValue.id))) == 4
    assert not staging.exists(int(job_url.rsplit("/", 1)[1]))                # the staged cells are gone
    again = commit(client, job_url)                                         # double click
    assert again.status_code == 302 and db.session.scalar(select(func.count(ImportBatch.id))) == 1
    team = client.get(f"/kpi/teams/{world['team'].id}?month=2026-10").get_data(as_text=True)
    assert "kpi-team" in team and "92.0%" in team and "kpi-lacking" in team   # 40 contacts < 30? no: fcr etc. missing
    person = client.get(f"/kpi/people/{world['a1'].id}").get_data(as_text=True)
    assert "kpi-person" in person and "data-chart" in person


def test_errors_are_listed_by_row_and_column_and_nothing_can_be_committed(client, login_as, world):
    login_as(user=world["manager"])
    job_url, response = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\nKF7003,丙,2026-02-30,40,高,12\n")
    page = response.get_data(as_text=True)
    assert 'data-testid="error-count">1<' in page and "kpi-commit" not in page
    refused = commit(client, job_url)                                       # posted anyway: refused, and why
    assert refused.status_code == 302
    assert "这个文件有错误或没有数据" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0
    table = page.split('data-testid="kpi-errors"')[1].split("</table>")[0]
    errors = re.findall(r'<td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>', table)
    assert [(row, column) for row, column, _ in errors] == [("3", "工号"), ("3", "日期"), ("3", "客户满意度")]
    assert "没有工号为 KF7003 的客服" in page and "不存在的日期" in page and "不是数字" in page   # in the reader's language


def test_bad_files_and_bad_mappings_are_explained(client, login_as, world):
    login_as(user=world["manager"])
    refused = upload(client, b"", name="kpi.xlsx")
    assert refused.status_code == 200 and "文件为空（0 字节）" in refused.get_data(as_text=True)
    job_url, _ = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\n")
    key = db.session.get(ImportJob, int(job_url.rsplit("/", 1)[1])).upload_key
    clash = client.post_form(f"/kpi/import/{key}", {"col_0": "agent", "col_1": "agent", "col_2": "period"})
    assert clash.status_code == 422 and "mapping-error" in clash.get_data(as_text=True)
    assert client.get("/kpi/import/not-a-key").status_code == 302


def test_a_manager_cannot_import_for_other_teams(client, login_as, world):
    login_as(user=world["manager"])
    job_url, response = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\nKF7999,外,2026-10-01,40,90%,12\n")
    page = response.get_data(as_text=True)
    assert "kpi-refused" in page and "KF7999" in page and "kpi-commit" not in page   # said at the preview
    refused = commit(client, job_url)                                       # posted anyway
    assert refused.status_code == 302 and refused.headers["Location"].endswith(job_url)
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0
    assert "kpi-change-mapping" in client.get(job_url).get_data(as_text=True)   # the upload is still there


def test_history_rollback_and_its_scope(client, login_as, world, make_user, make_team):
    login_as(user=world["manager"])
    job_url, _ = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\n")
    commit(client, job_url)
    batch = db.session.scalar(select(ImportBatch))
    stranger = make_user("manager")
    make_team(managers=[stranger])
    login_as(user=stranger)
    assert "kpi-history" in client.get("/kpi/imports").get_data(as_text=True)
    assert f"rollback-{batch.id}" not in client.get("/kpi/imports").get_data(as_text=True)
    assert client.post_form(f"/kpi/imports/{batch.id}/rollback").status_code == 404
    login_as(user=world["manager"])
    assert f"rollback-{batch.id}" in client.get("/kpi/imports").get_data(as_text=True)
    rolled = client.post_form(f"/kpi/imports/{batch.id}/rollback")
    assert rolled.status_code == 302
    assert "删除了它添加的 2 个数值" in client.get("/kpi/imports").get_data(as_text=True)
    assert db.session.scalar(select(func.count(KpiValue.id))) == 0
    assert db.session.get(ImportBatch, batch.id).status == "rolled_back"
    assert client.post_form(f"/kpi/imports/{batch.id}/rollback").status_code == 302   # again: a message


def test_tables_follow_the_scope(client, login_as, world, make_user):
    login_as("manager")                      # manages a fresh team only
    assert client.get(f"/kpi/teams/{world['team'].id}").status_code == 404
    login_as(user=world["a1"])
    assert client.get(f"/kpi/teams/{world['team'].id}").status_code == 403
    assert client.get(f"/kpi/people/{world['a1'].id}").status_code == 200
    assert client.get(f"/kpi/people/{world['a2'].id}").status_code == 404
    assert client.get("/kpi/import").status_code == 403


def test_admins_edit_the_catalogue_and_each_change_is_a_version(client, login_as, world):
    metric = db.session.scalar(select(Metric).where(Metric.code == "csat"))
    login_as("trainer")
    assert "kpi-metrics" in client.get("/kpi/metrics").get_data(as_text=True)
    assert client.get(f"/kpi/metrics/{metric.id}").status_code == 403
    login_as("admin", locale="en")
    form = {"name_zh": "客户满意度", "name_en": "CSAT", "direction": "higher", "aggregation": "weighted_mean",
            "min_contacts": "30", "weight": "30", "bands": "90 = 100\n80：80", "active": "y"}
    bad = client.post_form(f"/kpi/metrics/{metric.id}", {**form, "bands": "90 = 100\n高 = 80"})
    assert bad.status_code == 200 and "line 2" in bad.get_data(as_text=True)
    for bands, reason in (("inf = 100", "not a finite number"), ("nan = 100", "not a finite number"),
                          ("90 = nan", "points must be between 0 and 100"), ("150 = 100", "outside 0–100")):
        bad = client.post_form(f"/kpi/metrics/{metric.id}", {**form, "bands": "80 = 80\n" + bands})
        assert bad.status_code == 200 and "line 2" in bad.get_data(as_text=True) and reason in \
            bad.get_data(as_text=True), bands
    weight_before = metric.weight
    for weight, reason in (("nan", "Enter an ordinary number"), ("inf", "Enter an ordinary number"),
                           ("1e999", "Enter an ordinary number"), ("-1", "between 0 and 1000")):
        bad = client.post_form(f"/kpi/metrics/{metric.id}", {**form, "weight": weight})
        assert bad.status_code == 200 and reason in bad.get_data(as_text=True), weight
        assert db.session.get(Metric, metric.id).weight == weight_before
    versions = db.session.scalar(select(func.count(CatalogueVersion.id)))
    assert client.post_form(f"/kpi/metrics/{metric.id}", form).status_code == 302
    metric = db.session.get(Metric, metric.id)
    assert metric.weight == 30 and metric.bands == [{"threshold": 90, "points": 100}, {"threshold": 80, "points": 80}]
    assert db.session.scalar(select(func.count(CatalogueVersion.id))) == versions + 1
    client.post_form(f"/kpi/metrics/{metric.id}", form)                      # same again: no new version
    assert db.session.scalar(select(func.count(CatalogueVersion.id))) == versions + 1


def test_the_team_table_exports_as_csv_with_formula_cells_neutralised(client, login_as, world, make_user):
    make_user("agent", team=world["team"], employee_no="KF7003", name="=HYPERLINK(\"http://x\")")
    login_as(user=world["manager"])
    job_url, _ = preview(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\nKF7003,丙,2026-10-01,40,85%,12\n")
    commit(client, job_url)
    export = client.get(f"/kpi/teams/{world['team'].id}/export.csv?month=2026-10")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff工号")
    assert "'=HYPERLINK" in text and "\n=" not in text and ",=" not in text   # no cell can start a formula
    assert client.get(f"/kpi/teams/{world['team'].id}/export.csv?month=2020-01").status_code == 404
    login_as("manager")
    assert client.get(f"/kpi/teams/{world['team'].id}/export.csv?month=2026-10").status_code == 404
