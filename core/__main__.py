"""``python -m core``: the ``engage`` command (how ``engage run`` and ``engage demo`` start a worker)."""

from core.cli import main

main()
