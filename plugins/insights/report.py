"""The printable term report a director takes to a meeting: the term's reach, participation,
retention, satisfaction and top campaigns, as a PDF (WeasyPrint; the CJK font is embedded, so
Chinese prints anywhere). Built from the same panels as the dashboard."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import make_response, render_template, request

from core.db import get_session
from core.i18n import pick
from core.models import Role, utcnow
from core.security import role_required
from core.terms import current_calendar
from core.ui import render

from . import extra_panels, panels, queries
from .blueprint import bp
from .views import count_pending
from .i18n import _

STYLESHEET = Path(__file__).parent / "static" / "report.css"


def term_choices(calendar, today):
    """The terms a report can be asked for: the configured ones begun by today, else the last six by the default rule."""
    terms = queries.terms_between(calendar, today - timedelta(days=3 * 365), today)
    return [t for t in terms if t.starts_on <= today][::-1]


def _chosen():
    """(term, error): the term asked for (default: the current one), or a message saying why not."""
    calendar = current_calendar()
    today = calendar.local_date(utcnow())
    choices = term_choices(calendar, today)
    key = request.args.get("term") or (choices[0].key if choices else "")
    if not key:
        return None, choices, None  # nothing asked, nothing begun: the page says so, it is not a bad request
    term = next((t for t in choices if t.key == key), None)
    if term is None:
        return None, choices, _("There is no such term, or it has not begun yet. Choose one from the list.")
    return term, choices, None


def report_panels(session, calendar, term, today) -> dict:
    """The report's figures for ``term`` (up to today when it is still running)."""
    last = min(term.ends_on, today)
    return {"active": panels.reach(session, calendar, period="month", start=term.starts_on, end=last),
            "plugins": panels.plugins(session, term=term.key),
            "faculties": panels.faculties(session, term=term.key),
            "lapsed": panels.term_retention(session, calendar, term=term.key),
            "satisfaction": extra_panels.satisfaction_panel(session, calendar, today=last),
            "campaigns": extra_panels.campaigns_panel(session, start=term.starts_on, end=last)}


def _has_data(built: dict) -> bool:
    return any(row[1] for row in built["active"].rows)


@bp.route("/report")
@role_required(Role.librarian)
def report():
    """Choose a term and print its report."""
    term, choices, error = _chosen()
    if error or term is None:
        return render("insights/report.html", term=None, choices=choices, error=error, status=400 if error else 200)
    count_pending()
    calendar = current_calendar()
    built = report_panels(get_session(), calendar, term, calendar.local_date(utcnow()))
    return render("insights/report.html", term=term, choices=choices, error=None, has_data=_has_data(built),
                  term_name=pick({"en": term.name_en, "zh_Hans": term.name_zh}))


@bp.route("/report.pdf")
@role_required(Role.librarian)
def report_pdf():
    """The term's report as a PDF; a term with no data gets the report page saying so instead."""
    term, choices, error = _chosen()
    if error or term is None:
        return render("insights/report.html", term=None, choices=choices, error=error, status=400 if error else 404)
    count_pending()
    calendar = current_calendar()
    today = calendar.local_date(utcnow())
    built = report_panels(get_session(), calendar, term, today)
    name = pick({"en": term.name_en, "zh_Hans": term.name_zh})
    if not _has_data(built):
        return render("insights/report.html", term=term, choices=choices, error=None, has_data=False,
                      term_name=name, status=404)
    html = render_template("insights/report_pdf.html", term=term, term_name=name, panels=built,
                           printed=today, retention=built["lapsed"])
    return make_response(pdf_bytes(html), 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="library-report-{term.key}.pdf"'})


def pdf_bytes(html: str) -> bytes:
    """The report's HTML printed to PDF with its own stylesheet (fonts subset and embedded)."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    import weasyprint  # imported on use: Pango is loaded only by those who print

    # Importing WeasyPrint makes Pillow accept truncated images in the whole process; put back
    # what the rest of the site checks uploads with (core.images refuses broken and bomb files).
    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    return weasyprint.HTML(string=html, base_url=request.host_url).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
