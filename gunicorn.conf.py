"""gunicorn's settings for Library Engage, read from the directory gunicorn starts in.

Before any worker starts, the master builds the app once to check the database's schema: a
database that is empty or behind stops the server with one sentence naming `engage db upgrade`.
(Every worker checks as well, but when several fail at once gunicorn adds a traceback of its own.)
"""


def on_starting(server):
    """Refuse to start (status 4, the reason on stderr) unless the database is at every head."""
    from core import create_app

    app = create_app()
    app.extensions["engage.db"].dispose()  # the workers open their own connections
    app.extensions["engage.jobs"].huey.storage.close()  # and their own to the job queue
