"""Import jobs in the browser: reading a file (the preview) and committing
it. A file up to KPI_INLINE_BYTES is handled within the request; a larger
one in a background thread of the same process, which writes its progress
to the job row every 5,000 rows, so the page can poll it (htmx) from any
worker. The commit is one transaction either way, so a job that dies
half-way (the process restarted) has written nothing; a job silent for
longer than STALLED_AFTER (COMMIT_STALLED_AFTER while committing) is shown
as stopped. One running import per person.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from app.auth.models import User
from app.db_types import utcnow
from app.extensions import db
from app.kpi import staging
from app.kpi.files import FileRefused, read_table
from app.kpi.importer import (
    ImportRefused,
    Mapping,
    MappingError,
    Preview,
    check_scope,
    commit_import,
    drop_old_jobs,
    file_hash,
    plan_import,
    take_write_turn,
)
from app.kpi.messages import N_, Msg, msg
from app.kpi.models import ImportJob
from app.uploads import PendingUpload, find_upload

log = logging.getLogger(__name__)
STALLED_AFTER = timedelta(minutes=3)          # reading: a heartbeat every 5,000 rows
COMMIT_STALLED_AFTER = timedelta(minutes=30)  # committing: one statement, no heartbeat until it ends
RUNNING = ("reading", "committing")


def create_job(user: User, upload: PendingUpload, mapping: Mapping, encoding: str | None) -> ImportJob:
    """A job reading this upload with this mapping. Drops jobs (and their
    staging rows) older than the uploads they came from. Commits."""
    drop_old_jobs()
    job = ImportJob(source="upload", user_id=user.id, upload_key=upload.key, filename=upload.filename,
                    file_hash=file_hash(upload.content), size=len(upload.content), encoding=encoding or "",
                    mapping=mapping.as_json(), status="reading")
    db.session.add(job)
    db.session.commit()
    return job


def runs_inline(size: int) -> bool:
    return size <= current_app.config["KPI_INLINE_BYTES"]


def start(job: ImportJob, work: str) -> None:
    """Run `preview` or `commit` for the job: now, or in a background thread for large files."""
    if runs_inline(job.size):
        RUNNERS[work](job.id)
        return
    app = current_app._get_current_object()
    threading.Thread(target=_in_background, args=(app, work, job.id), name=f"kpi-job-{job.id}", daemon=True).start()


def _in_background(app, work: str, job_id: int) -> None:
    with app.app_context():
        try:
            RUNNERS[work](job_id)
        finally:
            db.session.remove()


def _fail(job_id: int, problem: Msg) -> None:
    db.session.rollback()
    staging.discard(job_id)
    job = db.session.get(ImportJob, job_id)
    job.status, job.message, job.updated_at = "failed", str(problem), utcnow()
    job.summary = {**(job.summary or {}), "problem": problem.as_json()}
    db.session.commit()


def problem_of(job: ImportJob) -> Msg | None:
    """Why the job failed or cannot be committed, for the reader."""
    stored = (job.summary or {}).get("problem")
    return Msg.from_json(stored) if stored else (Msg(job.message) if job.message else None)


def run_preview(job_id: int) -> None:
    """Read and check the job's upload into the staging tables."""
    job = db.session.get(ImportJob, job_id)
    user = db.session.get(User, job.user_id) if job and job.user_id else None
    upload = find_upload(job.upload_key, job.user_id, "kpi") if user else None
    if upload is None:
        _fail(job_id, msg(N_("the upload has expired; upload the file again")))
        return
    filename, content = upload.filename, upload.content
    db.session.expunge(upload)

    def progress(rows: int, share: float | None) -> None:
        job.rows_read, job.progress, job.updated_at = rows, share if share is not None else 0.0, utcnow()
        db.session.commit()

    try:
        preview = plan_import(read_table(filename, content, job.encoding or None), Mapping.from_json(job.mapping),
                              job=job, progress=progress)
        try:
            check_scope(user, preview)
        except ImportRefused as refused:
            job.message = str(refused)
            job.summary = {**job.summary, "problem": refused.msg.as_json()}
            db.session.commit()
    except (FileRefused, MappingError) as error:
        _fail(job_id, error.msg)
    except Exception:
        log.exception("KPI import job %s failed while reading", job_id)
        _fail(job_id, msg(N_("the file could not be read (unexpected error; it has been logged)")))


def claim_for_commit(job: ImportJob) -> bool:
    """checked → committing, once: a second click (or tab) finds it taken. Commits."""
    claimed = db.session.execute(update(ImportJob).where(ImportJob.id == job.id, ImportJob.status == "checked",
                                                         ImportJob.message == "").values(
        status="committing", progress=0.0, updated_at=utcnow())).rowcount
    db.session.commit()
    return claimed == 1


def run_commit(job_id: int) -> None:
    job = db.session.get(ImportJob, job_id)
    user = db.session.get(User, job.user_id) if job.user_id else None
    preview = Preview.from_json(job.summary)
    try:
        take_write_turn()        # before any write, so a busy SQLite lock is refused as such, not as a failure
        # The upload goes with the commit's transaction: done with once imported, kept if the import fails.
        db.session.execute(delete(PendingUpload).where(PendingUpload.key == job.upload_key))
        commit_import(preview, user, source="upload", filename=job.filename, digest=job.file_hash,
                      mapping=Mapping.from_json(job.mapping))
    except ImportRefused as refused:
        _fail(job_id, refused.msg)
        return
    except Exception:
        log.exception("KPI import job %s failed while committing", job_id)
        _fail(job_id, msg(N_("the import failed (unexpected error; it has been logged); nothing was imported")))


RUNNERS = {"preview": run_preview, "commit": run_commit}


def stalled(job: ImportJob) -> bool:
    """Running, but silent for too long: the process that ran it is gone."""
    limit = COMMIT_STALLED_AFTER if job.status == "committing" else STALLED_AFTER
    return job.status in RUNNING and job.updated_at < utcnow() - limit


def running_job(user: User) -> ImportJob | None:
    """The person's import still under way (one at a time each)."""
    for job in db.session.scalars(select(ImportJob).where(ImportJob.user_id == user.id,
                                                          ImportJob.status.in_(RUNNING))):
        if not stalled(job):
            return job
    return None
