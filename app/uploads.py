"""Uploaded files held between a dry-run preview and the commit.

The preview parses the file and shows every error; the commit re-reads the
same bytes from here (not from the browser), so what is committed is exactly
what was previewed. Kept in the database so any worker can serve the commit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from app.db_types import UTCDateTime, utcnow
from app.extensions import db

UPLOAD_TTL = timedelta(hours=12)


class PendingUpload(db.Model):
    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(43), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def stash_upload(user_id: int, kind: str, filename: str, content: bytes) -> PendingUpload:
    """Keep an upload for a later commit; drops expired ones. Caller commits."""
    db.session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - UPLOAD_TTL))
    upload = PendingUpload(
        key=secrets.token_urlsafe(32), user_id=user_id, kind=kind, filename=filename[-255:], content=content
    )
    db.session.add(upload)
    return upload


def claim_upload(key: str, user_id: int, kind: str) -> tuple[str, bytes] | None:
    """Take the caller's unexpired upload out of the store: (filename, content),
    or None when it is gone — so a second commit of the same upload (double
    click, two tabs) finds nothing. Part of the caller's transaction."""
    upload = find_upload(key, user_id, kind)
    if upload is None:
        return None
    filename, content = upload.filename, upload.content
    claimed = db.session.execute(
        delete(PendingUpload).where(PendingUpload.id == upload.id).execution_options(synchronize_session=False)
    ).rowcount
    db.session.expunge(upload)
    return (filename, content) if claimed == 1 else None


def find_upload(key: str, user_id: int, kind: str) -> PendingUpload | None:
    """The caller's own, unexpired upload of that kind, or None."""
    return db.session.scalar(
        select(PendingUpload).where(
            PendingUpload.key == key,
            PendingUpload.user_id == user_id,
            PendingUpload.kind == kind,
            PendingUpload.created_at >= utcnow() - UPLOAD_TTL,
        )
    )
