"""Who owns a question's current text: its file or the browser. Pure.

A question's state is its content hash, its metadata and its status. Three
states meet at a sync: the database's, the file's, and the one the database
last took from (or agreed with) the file, kept as a digest. Comparing them
tells "the file changed" from "the browser changed" — so a browser edit is
never overwritten silently.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import asdict, dataclass

ACTIVE, RETIRED = "active", "retired"


@dataclass(frozen=True)
class EntryState:
    content_hash: str
    category: str
    competency: str
    difficulty: int
    tags: tuple[str, ...]
    status: str

    @property
    def digest(self) -> str:
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def retired(self) -> EntryState:
        """What a file asks of a question whose entry is gone: the same question, retired."""
        return EntryState(self.content_hash, self.category, self.competency, self.difficulty, self.tags, RETIRED)


class Verdict(enum.StrEnum):
    IN_STEP = "in_step"                # the database holds what the file says
    FROM_FILE = "from_file"            # only the file changed since the last sync: take it
    FORCED = "forced"                  # the browser changed too, and the file was taken on request
    BROWSER_EDIT = "browser_edit"      # only the browser changed: keep it, export it
    BOTH_CHANGED = "both_changed"      # both changed: keep the browser's, report
    NO_RECORD = "no_record"            # they differ and no earlier sync says who changed: keep, report

    @property
    def keeps_browser(self) -> bool:
        return self in (Verdict.BROWSER_EDIT, Verdict.BOTH_CHANGED, Verdict.NO_RECORD)


def judge(database: EntryState, file: EntryState, synced_digest: str | None, *, force: bool = False) -> Verdict:
    if database == file:
        return Verdict.IN_STEP
    if synced_digest is not None and database.digest == synced_digest:
        return Verdict.FROM_FILE
    if force:
        return Verdict.FORCED
    if synced_digest is None:
        return Verdict.NO_RECORD
    if file.digest == synced_digest:
        return Verdict.BROWSER_EDIT
    return Verdict.BOTH_CHANGED


CONTENT_FIELDS = ("type_key", "title", "stem", "stem_format", "payload", "explanation")
METADATA_FIELDS = ("category", "competency", "difficulty", "tags", "status")


def differing_fields(database: dict, file: dict) -> list[str]:
    """Names of the fields that differ, in a fixed order (type_key shown as type)."""
    names = [name for name in CONTENT_FIELDS + METADATA_FIELDS if database.get(name) != file.get(name)]
    return ["type" if name == "type_key" else name for name in names]
