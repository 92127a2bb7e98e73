"""What an attempt page shows for one slot: the pinned version rendered in
the pinned order, the saved answer, and never the key."""

from __future__ import annotations

from app.quiz.models import AttemptSlot


def ordered_context(slot: AttemptSlot) -> dict:
    version = slot.question_version
    context = version.qtype.render_context(version.payload)
    for key, order in (slot.option_order or {}).items():
        if key in context and sorted(order) == list(range(len(context[key]))):
            context[key] = [context[key][i] for i in order]
    return context


def slot_view(slot: AttemptSlot, seed: str) -> dict:
    return {"slot": slot, "position": slot.position, "version": slot.question_version,
            "render": ordered_context(slot), "response": slot.response, "flagged": slot.flagged,
            "seq": slot.response_seq, "saved_at": slot.saved_at}
