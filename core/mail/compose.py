"""Messages as readers get them: rendered in their language, text and HTML, with one-click unsubscribe.

Links are absolute, built on ``PUBLIC_BASE_URL`` (never a request's Host header). The
unsubscribe link carries a signed token (itsdangerous) naming the reader and the kind, so it
works without signing in (RFC 8058: ``List-Unsubscribe`` plus ``List-Unsubscribe-Post``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from core.mail.kinds import ALL

TOKEN_SALT = "engage-mail-unsubscribe"


@dataclass
class Letter:
    """A message ready for the backend."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict = field(default_factory=dict)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A token that lets whoever holds it stop ``kind`` (``*``: all) for ``user_id``; it never expires."""
    return _serializer().dumps({"u": user_id, "k": kind})


def read_token(token: str) -> tuple[int, str] | None:
    """``(user_id, kind)`` from a token this site signed, or None for a forged or damaged one."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def absolute(endpoint_or_path: str, **values) -> str:
    """An absolute link on this site for an endpoint (``"mail.preferences"``) or a site path (``/x``)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000"
    if endpoint_or_path.startswith("/"):
        return base + endpoint_or_path
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint_or_path, values, force_external=True)


def locale_of(user) -> str:
    """The language the user reads the site in (their stored choice, else the site's default)."""
    languages = current_app.config["LANGUAGES"]
    return user.locale if user.locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _render(name: str, **context) -> str:
    # Straight from the Jinja environment: no request, no context processors, Flask-Babel's _() installed.
    return current_app.jinja_env.get_template(name).render(**context)


def letter(user, *, template: str, subject: str, kind: str | None, **context) -> Letter:
    """Render ``mail/<template>.txt`` and ``.html`` for ``user`` in their language (call inside
    ``force_locale``). With a ``kind``, the message carries the one-click unsubscribe headers."""
    context.update(user=user, library=current_app.config["LIBRARY_NAME"], lang=str(get_locale()),
                   preferences_url=absolute("mail.preferences"), unsubscribe_url=None)
    headers = {"Auto-Submitted": "auto-generated"}
    if kind is not None:
        url = absolute("mail.unsubscribe", token=unsubscribe_token(user.id, kind))
        context["unsubscribe_url"] = url
        headers.update({"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    subject = f"[{context['library']}] {subject}"
    return Letter(user.email, subject, _render(f"mail/{template}.txt", subject=subject, **context),
                  _render(f"mail/{template}.html", subject=subject, **context), headers)


def notification_letter(user, note, kind) -> Letter:
    """One notification by email, in the reader's language."""
    with force_locale(locale_of(user)):
        text = note.text_zh if locale_of(user) == "zh_Hans" else note.text_en
        url = absolute(note.url) if note.url and note.url.startswith("/") else None
        return letter(user, template="notification", subject=_short(text), kind=kind.key, text=text, url=url,
                      inbox_url=absolute("notifications.index"))


def digest_letter(user, notes, cadence: str) -> Letter:
    """What happened since the last digest, newest last, in the reader's language."""
    with force_locale(locale_of(user)):
        zh = locale_of(user) == "zh_Hans"
        items = [{"text": n.text_zh if zh else n.text_en, "url": absolute(n.url) if n.url and n.url.startswith("/")
                  else None, "at": n.created_at} for n in notes]
        subject = (_("Your daily digest: %(n)d new notifications", n=len(items)) if cadence == "daily"
                   else _("Your weekly digest: %(n)d new notifications", n=len(items)))
        return letter(user, template="digest", subject=subject, kind=ALL, items=items, cadence=cadence,
                      inbox_url=absolute("notifications.index"))


def address_taken_letter(user) -> Letter:
    """Someone tried to create an account with this user's address."""
    with force_locale(locale_of(user)):
        return letter(user, template="address_taken", subject=_("Someone tried to create an account with your address"),
                      kind=None, sign_in_url=absolute("auth.login"), reset_url=_reset_url())


# Where a forgotten password is reset, under whichever name the sign-in pages give it; the
# notice leaves the link out while no such page exists.
RESET_ENDPOINTS = ("auth.reset_request", "auth.forgot_password", "identity.reset_request")


def _reset_url() -> str | None:
    for endpoint in RESET_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return absolute(endpoint)
    return None


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
