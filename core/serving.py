"""Serving on one machine: gunicorn and one ``engage worker`` side by side (``engage demo`` and
``engage run``), and the aligned tables those commands print (CJK characters are two columns wide)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app


def _cell(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    from wcwidth import wcswidth

    return text + " " * max(0, width - max(wcswidth(text), 0))


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells in aligned columns (the last column unpadded), in any script."""
    from wcwidth import wcswidth

    widths = [max(max(wcswidth(row[i]), 0) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + " ".join(_cell(cell, widths[i]) if i < len(widths) else cell for i, cell in enumerate(row))
            for row in rows]


def serve_with_worker(host: str, port: int, *, web_workers: int, env: dict[str, str] | None = None) -> None:
    """Serve the site with gunicorn and run one ``engage worker`` beside it until Ctrl-C (or
    SIGTERM), then stop both; if either stops by itself, stop the other and fail."""
    from core import ROOT

    current_app.extensions["engage.db"].dispose()  # the children open their own connections
    child_env = {**os.environ, "ENGAGE_INSTANCE_PATH": current_app.instance_path, **(env or {})}
    web = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers),
           "--threads", "4"]
    conf = ROOT / "gunicorn.conf.py"
    if conf.exists():
        web += ["--config", str(conf)]
    commands = {"web": web + ["core:create_app()"], "worker": [sys.executable, "-m", "core", "worker"]}

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    # Ctrl-C reaches the children from the terminal too; SIGTERM (a service manager) is passed on.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen] = {}
    failed = None
    try:
        for name, command in commands.items():
            children[name] = subprocess.Popen(command, env=child_env)
        while failed is None:
            time.sleep(0.3)
            failed = next((name for name, child in children.items() if child.poll() is not None), None)
    except KeyboardInterrupt:
        click.echo("\nStopping…")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    if failed:
        raise click.ClickException(f"the {failed} process stopped (status {children[failed].returncode}); "
                                   "stopped the other too")
