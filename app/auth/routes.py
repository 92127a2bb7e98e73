import ipaddress
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import ChangePasswordForm, EmptyForm, LocaleForm, LoginForm
from app.auth.services import authenticate, change_password, end_session, find_login_user, set_locale, start_session
from app.errors import DomainError
from app.extensions import limiter


def safe_next(target: str | None, default: str = "dashboard.home") -> str:
    """Only same-site relative paths; anything else goes to the home page."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(default)


def _account_key() -> str:
    """Failures count against the person, whichever identifier was typed
    (employee number or e-mail); unknown identifiers count by their text."""
    if "login_account_key" not in g:
        identifier = (request.form.get("identifier") or "").strip()
        user = find_login_user(identifier)
        g.login_account_key = f"account:{user.id}" if user is not None else "unknown:" + identifier.lower()
    return g.login_account_key


def client_network() -> str:
    """The client's address; for IPv6 its /64, which one subscriber holds whole."""
    address = get_remote_address()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _account_and_address_key() -> str:
    return f"{_account_key()}|{client_network()}"


def _login_failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT_AND_IP"], methods=["POST"],
               key_func=_account_and_address_key, deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_account_key, deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = authenticate(form.identifier.data, form.password.data)
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            start_session(user)
            login_user(user, remember=form.remember.data)
            session.pop("locale", None)
            return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        end_session(current_user)
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_view():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            login_user(current_user._get_current_object())  # re-issue the session with the new version
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("dashboard.home"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/locale", methods=["POST"])
def switch_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            set_locale(current_user, form.locale.data)
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(form.next.data))
