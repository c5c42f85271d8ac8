"""WSGI entry for gunicorn: `gunicorn 'app.wsgi:app'` (several worker processes)."""

from app import create_app

app = create_app()
