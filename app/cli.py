"""Commands under `flask --app app …`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
    def seed_demo_command(if_empty):
        """Create the demo organisation (idempotent) and print the log-ins."""
        from app.auth.models import User
        from app.demo import DEMO_PASSWORD, seed_demo

        if if_empty and db.session.scalar(select(func.count(User.id))):
            click.echo("Database already has users; demo data not loaded.")
            return
        from app.demo import seed_quiz_history

        result = seed_demo()
        click.echo(f"Demo data: {result.created_users} users and {result.created_teams} teams created.")
        attempts = seed_quiz_history()
        click.echo(f"Quiz history: {attempts} attempts created"
                   + ("" if attempts else " (none: run `flask --app app content sync` first, or they exist)") + ".")
        from app.scenarios.demo import seed_scenario_history

        runs, sessions = seed_scenario_history()
        click.echo(f"Scenario history: {runs} drill runs and {sessions} role-play sessions created.")
        from app.kpi.demo import seed_kpi_history

        click.echo(f"KPI history: {seed_kpi_history()} monthly values imported from generated files.")
        click.echo(f"Demo log-ins (password '{DEMO_PASSWORD}'):")
        for number, name, role in result.logins:
            click.echo(f"  {number:<8} {name:<6} {role}")

    content = click.Group("content", help="Authored content in question_bank/ and scenarios/.")
    app.cli.add_command(content)

    @content.command("sync")
    @click.option("--check", is_flag=True, help="Only validate; exit non-zero with file:line errors.")
    @click.option("--force", is_flag=True,
                  help="Take the files' versions even over questions edited in the browser since the last sync.")
    def content_sync_command(check: bool, force: bool):
        """Load question_bank/ and scenarios/ into the database (idempotent, all or nothing).

        A question edited in the browser since the last sync keeps the browser's
        version: it is listed as a conflict on stderr (exit status stays 0) until
        `content export` writes it to its file or `--force` takes the file's.
        """
        from app.bank.schema import load_question_bank
        from app.bank.services import sync_questions
        from app.quiz.content import load_quiz_files
        from app.quiz.services import sync_quizzes
        from app.scenarios.content import load_scenarios
        from app.scenarios.services import sync_content

        root = Path(app.config["QUESTION_BANK_DIR"])
        questions, errors = load_question_bank(root)
        quizzes, quiz_errors = load_quiz_files(root, {q.uid for q in questions})
        errors += quiz_errors
        scenario_root = Path(app.config["SCENARIOS_DIR"])
        scenarios = load_scenarios(scenario_root)
        errors += scenarios.errors
        for error in errors:
            click.echo(str(error), err=True)
        if errors:
            click.echo(f"{len(errors)} errors in {root} and {scenario_root}; nothing loaded.", err=True)
            sys.exit(1)
        if check:
            click.echo(f"{len(questions)} questions, {len(quizzes)} quizzes, {len(scenarios.rubrics)} rubrics "
                       f"and {len(scenarios.scenarios)} scenarios OK.")
            return
        report = sync_questions(questions, force=force)
        for replaced in report.overridden:
            click.echo(replaced.message, err=True)
        for conflict in report.conflicts:
            click.echo(conflict.message, err=True)
        if report.conflicts:
            click.echo(f"{len(report.conflicts)} conflicts: the browser's versions stay current. Run "
                       "`flask --app app content export` to write them to the files, or "
                       "`flask --app app content sync --force` to take the files' versions.", err=True)
        counts = report.summary()
        click.echo("questions: " + ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in counts.items()))
        quiz_report = sync_quizzes(quizzes, force=force)
        for conflict in quiz_report.conflicts:
            click.echo(conflict, err=True)
        click.echo("quizzes: " + ", ".join(f"{name} {n}" for name, n in quiz_report.counts.items()))
        scenario_counts = sync_content(scenarios)
        click.echo("scenarios: " + ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in scenario_counts.items()))
        from app.kpi.catalogue import seed_catalogue

        click.echo(f"KPI catalogue: {seed_catalogue()} default metrics added.")

    @content.command("export")
    @click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                  help="Write the changed files under this folder instead of question_bank/.")
    @click.option("--force", is_flag=True, help="Also write browser versions over entries changed in their file "
                                                "since the last sync.")
    def content_export_command(out: Path | None, force: bool):
        """Write questions made or edited in the browser back to question_bank/ YAML (all or nothing)."""
        from app.bank.services import export_to_files

        root = Path(app.config["QUESTION_BANK_DIR"])
        result = export_to_files(root, out or root, force=force)
        for problem in result.problems:
            click.echo(problem, err=True)
        if result.problems:
            click.echo(f"{len(result.problems)} problems; nothing written.", err=True)
            sys.exit(1)
        if not result.files:
            click.echo("Every question is in step with its file: nothing to export.")
            return
        for written in result.files:
            click.echo(f"{written.shown}: {written.updated} updated, {written.added} added, "
                       f"{written.removed} removed")
        click.echo(f"{len(result.files)} files written. Review and commit them, then run "
                   "`flask --app app content sync` to record them.")

    kpi = click.Group("kpi", help="KPI data.")
    app.cli.add_command(kpi)

    @kpi.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--mapping", "mapping_name", default="", help="A saved column mapping (default: guessed from the headers).")
    @click.option("--encoding", default=None, help="Force the CSV encoding (default: UTF-8, else GBK/GB18030).")
    @click.option("--dry-run", is_flag=True, help="Check and preview; write nothing.")
    def kpi_import_command(file: Path, mapping_name: str, encoding: str | None, dry_run: bool):
        """Import KPI values from CSV or XLSX, all or nothing."""
        from app.kpi.files import FileRefused, read_table
        from app.kpi.importer import (
            ImportRefused,
            Mapping,
            MappingError,
            commit_import,
            discard_preview,
            file_hash,
            plan_import,
            suggest_mapping,
        )
        from app.kpi.models import ColumnMapping

        data = file.read_bytes()
        try:
            table = read_table(file.name, data, encoding)
            if mapping_name:
                saved = db.session.scalar(select(ColumnMapping).where(ColumnMapping.name == mapping_name))
                if saved is None:
                    raise MappingError(f"no saved mapping named {mapping_name!r}")
                mapping = Mapping.from_json({"layout": saved.layout, **saved.columns})
            else:
                mapping, unmapped = suggest_mapping(table.headers)
                if unmapped:
                    click.echo(f"{file}: columns not used: {', '.join(unmapped)}", err=True)
            preview = plan_import(table, mapping)
        except (FileRefused, MappingError) as error:
            click.echo(f"{file}: {error}", err=True)
            sys.exit(1)
        for error in preview.errors:
            click.echo(f"{file}: {error}", err=True)
        if preview.error_count > len(preview.errors):
            click.echo(f"{file}: … and {preview.error_count - len(preview.errors)} more errors", err=True)
        for warning in preview.warnings:
            click.echo(f"{file}: warning: {warning}", err=True)
        for note in preview.notes:
            click.echo(f"{file}: note: {note}", err=True)
        click.echo(f"{preview.rows_read} rows read ({preview.rows_ok} OK, {preview.error_rows} with errors, "
                   f"{preview.skipped_totals} total rows skipped); {preview.value_count} monthly values for "
                   f"{len(preview.agents)} agents, {len(preview.months)} months, {len(preview.metrics)} metrics.")
        if preview.error_count or dry_run:
            discard_preview(preview)
        if preview.error_count:
            click.echo("Nothing imported.", err=True)
            sys.exit(1)
        if dry_run:
            click.echo("Dry run: nothing written.")
            return
        try:
            result = commit_import(preview, None, source="cli", filename=file.name, digest=file_hash(data),
                                   mapping=mapping)
        except ImportRefused as error:
            discard_preview(preview)
            click.echo(f"{file}: {error}", err=True)
            sys.exit(1)
        if result.batch is None:
            click.echo(f"Nothing changed: all {result.unchanged} values are already there.")
        else:
            click.echo(f"Import #{result.batch.id}: {result.added} added, {result.replaced} replaced, "
                       f"{result.unchanged} unchanged.")

    questions = click.Group("questions", help="Import and export questions.")
    app.cli.add_command(questions)

    @questions.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "format_name", required=True,
                  type=click.Choice(["gift", "aiken", "moodlexml", "csv", "yaml"]))
    @click.option("--dry-run", is_flag=True, help="Parse and check; write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the parsed questions as JSON.")
    @click.option("--only-valid", is_flag=True, help="Import the valid questions even if others have errors.")
    def import_questions_command(file: Path, format_name: str, dry_run: bool, as_json: bool, only_valid: bool):
        """Import questions; all or nothing unless --only-valid."""
        import json

        from app.bank.interchange import UnreadableFile, parse
        from app.bank.services import check_parsed, import_questions

        try:
            result = parse(format_name, file.read_bytes())
        except UnreadableFile as error:
            click.echo(f"{file}: {error}", err=True)
            sys.exit(1)
        if dry_run:
            result.errors.extend(check_parsed(result.questions))
            result.errors.sort(key=lambda e: e["line"])
            if as_json:
                click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            else:
                for error in result.errors:
                    click.echo(f"{file}:{error['line']}: {error['message']}", err=True)
                for warning in result.warnings:
                    click.echo(f"{file}:{warning['line']}: warning: {warning['message']}", err=True)
                click.echo(f"{len(result.questions)} questions parsed, {len(result.errors)} errors, "
                           f"{len(result.skipped)} skipped (dry run; nothing written).")
            sys.exit(1 if result.errors else 0)
        outcome = import_questions(result, None, only_valid=only_valid, source_name=file.name)
        for error in outcome.errors:
            click.echo(f"{file}:{error['line']}: {error['message']}", err=True)
        for item in result.skipped:
            click.echo(f"{file}:{item['line']}: skipped: {item['reason']}", err=True)
        for warning in result.warnings:
            click.echo(f"{file}:{warning['line']}: warning: {warning['message']}", err=True)
        if outcome.errors and not outcome.created:
            click.echo(f"{len(outcome.errors)} errors; nothing imported.", err=True)
            sys.exit(1)
        click.echo(f"{len(outcome.created)} questions imported.")

    @questions.command("export")
    @click.option("--format", "format_name", required=True, type=click.Choice(["gift", "aiken", "moodlexml", "yaml"]))
    @click.option("--category", default="", help="Only questions under this category path.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
    def export_questions_command(format_name: str, category: str, output: Path | None):
        """Export the active questions' current versions."""
        from app.bank.interchange.writers import write
        from app.bank.models import Question, QuestionStatus
        from app.bank.services import export_dicts

        query = select(Question).where(Question.status == QuestionStatus.ACTIVE.value).order_by(Question.category, Question.uid)
        if category:
            query = query.where((Question.category == category) | Question.category.startswith(category + "/", autoescape=True))
        text, skipped = write(format_name, export_dicts(list(db.session.scalars(query))))
        for question in skipped:
            click.echo(f"skipped {question['id']}: {format_name} cannot hold {question['type']} questions", err=True)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)

    quiz = click.Group("quiz", help="Quizzes and attempts.")
    app.cli.add_command(quiz)

    @quiz.command("close-overdue")
    def close_overdue_command():
        """Submit every attempt past its deadline with the answers it saved."""
        from app.quiz.services import close_overdue

        click.echo(f"{close_overdue()} overdue attempts finalised.")

    users = click.Group("users", help="Manage users.")
    app.cli.add_command(users)

    @users.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
    def import_users_command(file: Path, dry_run: bool):
        """Import users from a CSV or XLSX file, all or nothing."""
        from app.auth.services import check_user_import, describe_file_error, describe_row_error, import_users
        from app.auth.user_import import ImportFileError
        from app.errors import DomainError

        content = file.read_bytes()
        try:
            report = check_user_import(file.name, content)
        except ImportFileError as error:
            click.echo(f"{file}: {describe_file_error(error)}", err=True)
            sys.exit(1)
        for column in report.ignored_columns:
            click.echo(f"{file}: warning: column '{column}' is not recognised and is ignored", err=True)
        for error in report.errors:
            field = f" {error.field}:" if error.field else ""
            click.echo(f"{file}: row {error.row}:{field} {describe_row_error(error)}", err=True)
        if report.errors:
            click.echo(f"{len(report.errors)} errors; nothing imported.", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"{len(report.rows)} users would be imported (dry run; nothing written).")
            return
        try:
            result = import_users(None, file.name, content)
        except DomainError as error:
            click.echo(error.message, err=True)
            sys.exit(1)
        click.echo(f"{len(result.created)} users imported.")
        for number, password in result.temporary_passwords.items():
            click.echo(f"  {number}: temporary password {password}")
