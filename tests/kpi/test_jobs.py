"""Import jobs in the browser: a large file is read and committed in a
background thread while the page polls a progress bar; jobs are private to
the person who started them; a stopped job says so."""

import time
from datetime import timedelta

from sqlalchemy import func, select

from app.db_types import utcnow
from app.extensions import db
from app.kpi import jobs, staging
from app.kpi.models import ImportJob, KpiValue
from app.uploads import PendingUpload
from tests.kpi.test_pages import HEADER, selections, upload, world  # noqa: F401 — world is a fixture

HX = {"HX-Request": "true"}


def wait_for(job_id: int, *statuses: str, seconds: float = 30) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.expire_all()
        job = db.session.get(ImportJob, job_id)
        if job.status in statuses:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {job.status}")


def big_file() -> str:
    rows = [f"KF700{agent},甲,2025-{month:02d}-{day:02d},40,{80 + day % 20}%,{day}"
            for agent in (1, 2) for month in range(3, 13) for day in range(1, 31)]      # 600 daily rows
    return HEADER + "\n".join(rows) + "\n"


def test_a_large_file_is_read_and_committed_in_the_background(app, client, login_as, world, monkeypatch):  # noqa: F811
    app.config["KPI_INLINE_BYTES"] = 0                 # every file counts as large
    monkeypatch.setattr(staging, "CHUNK", 100)         # many chunks, each with a heartbeat (a commit) between
    login_as(user=world["manager"])
    response = upload(client, big_file())
    key = response.headers["Location"].split("/kpi/import/")[1].split("?")[0]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    started = client.post_form(f"/kpi/import/{key}", selections(page))
    job_url = started.headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    job = wait_for(job_id, "checked", "failed")
    assert job.status == "checked" and job.rows_read == 600 and job.progress == 1.0, job.message
    done = client.get(f"{job_url}/progress", headers=HX)          # the poll sees the end: reload the page
    assert done.status_code == 204 and done.headers["HX-Refresh"] == "true"
    page = client.get(job_url).get_data(as_text=True)
    assert "kpi-commit" in page and 'data-testid="error-count">0<' in page
    committing = client.post_form(f"{job_url}/commit")
    assert committing.status_code == 302 and committing.headers["Location"].endswith(job_url)
    job = wait_for(job_id, "committed", "failed")
    assert job.status == "committed" and job.batch_id, job.message
    assert db.session.scalar(select(func.count(KpiValue.id))) == 2 * 10 * 2      # 2 agents × 10 months × 2 metrics
    assert not staging.exists(job_id)
    assert db.session.scalar(select(func.count(PendingUpload.id))) == 0          # the upload is done with
    assert "kpi-job-done" in client.get(job_url).get_data(as_text=True)
    assert client.post_form(f"{job_url}/commit").status_code == 302              # again: nothing more happens
    assert db.session.scalar(select(func.count(KpiValue.id))) == 40


def test_the_progress_bar_while_running_and_a_stopped_job(client, login_as, world):  # noqa: F811
    login_as(user=world["manager"])
    job = ImportJob(source="upload", user_id=world["manager"].id, filename="大文件.csv", status="reading",
                    progress=0.42, rows_read=1234)
    db.session.add(job)
    db.session.commit()
    bar = client.get(f"/kpi/jobs/{job.id}/progress", headers=HX)
    text = bar.get_data(as_text=True)
    assert bar.status_code == 200 and 'value="42"' in text and "1234" in text and "every 1s" in text
    page = client.get(f"/kpi/jobs/{job.id}").get_data(as_text=True)
    assert "kpi-progress" in page and 'http-equiv="refresh"' in page            # polls, or refreshes without JS
    assert client.get(f"/kpi/jobs/{job.id}/progress").status_code == 302        # without htmx: the page
    job.updated_at = utcnow() - jobs.STALLED_AFTER - timedelta(seconds=1)
    db.session.commit()
    assert "kpi-stalled" in client.get(f"/kpi/jobs/{job.id}").get_data(as_text=True)
    assert client.get(f"/kpi/jobs/{job.id}/progress", headers=HX).headers.get("HX-Refresh") == "true"


def test_jobs_are_private_and_an_expired_upload_fails_clearly(client, login_as, world, make_user):  # noqa: F811
    job = ImportJob(source="upload", user_id=world["manager"].id, upload_key="gone", filename="x.csv",
                    status="reading")
    db.session.add(job)
    db.session.commit()
    jobs.run_preview(job.id)
    db.session.expire_all()
    assert job.status == "failed" and "expired" in job.message
    login_as(user=make_user("manager"))
    assert client.get(f"/kpi/jobs/{job.id}").status_code == 404
    assert client.post_form(f"/kpi/jobs/{job.id}/commit").status_code == 404
    login_as(user=world["manager"])
    assert "kpi-job-failed" in client.get(f"/kpi/jobs/{job.id}").get_data(as_text=True)


def test_one_import_at_a_time_per_person_and_no_commit_of_a_bad_preview(client, login_as, world):  # noqa: F811
    login_as(user=world["manager"])
    running = ImportJob(source="upload", user_id=world["manager"].id, filename="a.csv", status="reading")
    db.session.add(running)
    db.session.commit()
    response = upload(client, HEADER + "KF7001,甲,2026-10-01,40,92%,12\n")
    key = response.headers["Location"].split("/kpi/import/")[1].split("?")[0]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    busy = client.post_form(f"/kpi/import/{key}", selections(page))
    assert busy.headers["Location"].endswith(f"/kpi/jobs/{running.id}")
    assert db.session.scalar(select(func.count(ImportJob.id))) == 1
    running.status = "failed"
    db.session.commit()
    started = client.post_form(f"/kpi/import/{key}", selections(page))
    assert "/kpi/jobs/" in started.headers["Location"]
    assert db.session.scalar(select(func.count(ImportJob.id))) == 2
    bad = ImportJob(source="upload", user_id=world["manager"].id, filename="b.csv", status="checked",
                    summary={"job_id": 0, "value_count": 0, "rollup": False, "fraction_columns": [], "errors": [],
                             "error_count": 2, "error_rows": 1, "warnings": [], "rows_read": 1, "rows_ok": 0,
                             "skipped_totals": 0, "agents": [], "months": [], "metrics": [], "samples": [],
                             "notes": []})
    db.session.add(bad)
    db.session.commit()
    assert client.post_form(f"/kpi/jobs/{bad.id}/commit").status_code == 302
    db.session.expire_all()
    assert db.session.get(ImportJob, bad.id).status == "checked"          # not claimed, not failed
