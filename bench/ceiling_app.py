"""The stack's ceiling for bench/exam_load.py: the smallest Flask-SQLAlchemy
endpoint that inserts one row, on the same SQLite (WAL) settings, served by
the same gunicorn command; and, for reference, a Flask endpoint that does
nothing at all (what the machine serves before any work is done). Run only
by the benchmark."""

import os
import sqlite3

from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

db = SQLAlchemy()


class Row(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str]
    value: Mapped[str]


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def pragmas(connection, _record):
            if isinstance(connection, sqlite3.Connection):
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
                    connection.execute(f"PRAGMA {pragma}")

        db.create_all()

    @app.post("/insert")
    def insert():
        db.session.add(Row(user=request.form.get("user", ""), value=request.form.get("value", "")))
        db.session.commit()
        return "ok"

    return app


def create_noop_app():
    app = Flask(__name__)

    @app.post("/insert")
    def insert():
        return "ok"

    return app
