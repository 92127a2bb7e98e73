"""Export: interchange dicts → text in a format, and what it could not hold."""

from __future__ import annotations

from app.bank.interchange.aiken import write_aiken
from app.bank.interchange.gift import write_gift
from app.bank.interchange.moodlexml import write_moodle_xml
from app.bank.interchange.yaml_format import write_yaml


def write(format_name: str, questions: list[dict]) -> tuple[str, list[dict]]:
    if format_name == "gift":
        return write_gift(questions)
    if format_name == "moodlexml":
        return write_moodle_xml(questions)
    if format_name == "aiken":
        return write_aiken(questions)
    if format_name == "yaml":
        return write_yaml(questions), []
    raise ValueError(f"unknown export format {format_name}")
