"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

from aftercare import create_app

app = create_app()
