"""core.text: Markdown from users is rendered and sanitised; nothing executable survives."""

from __future__ import annotations

import re

import pytest

from core.text import plain_excerpt, render_markdown


def test_markdown_renders_safe_formatting():
    html = str(render_markdown("# Title\n\n**bold** and *quiet*, a [link](https://library.example/x)\n\n- one\n- two"))
    assert "<h3>Title</h3>" in html and "<strong>bold</strong>" in html and "<li>one</li>" in html
    assert 'href="https://library.example/x"' in html and 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="#" onclick="steal()">x</a>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
])
def test_script_and_event_handlers_never_survive(source):
    html = str(render_markdown(source)).lower()
    tags = re.findall(r"<[^>]*>", html)  # raw HTML is shown as text (escaped), never as tags
    assert tags and all(re.fullmatch(r"</?(p|a href=\"[^\"]*\"( rel=\"[^\"]*\")?)>", t) for t in tags), tags
    assert "javascript:" not in " ".join(tags)


def test_plain_excerpt():
    assert plain_excerpt("**Quiet** please <b>now</b>", 100) == "Quiet please <b>now</b>"
    assert plain_excerpt("word " * 100, 20).endswith("…") and len(plain_excerpt("word " * 100, 20)) == 20
    assert render_markdown(None) == "" and plain_excerpt(None) == ""


def test_templates_have_markdown_and_excerpt_filters(app):
    with app.app_context():
        html = app.jinja_env.from_string("{{ text|markdown }}").render(text="*hi* <script>x</script>")
        short = app.jinja_env.from_string("{{ text|excerpt(8) }}").render(text="**Quiet** please, everyone")
    assert "<em>hi</em>" in html and "<script>" not in html
    assert short == "Quiet p…"
