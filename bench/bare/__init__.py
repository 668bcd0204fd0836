"""The ceiling for ``wangge bench appeals``: the same stack (Django, django-ninja, gunicorn, PostgreSQL, the
same persistent connections) serving one endpoint that validates a small body and inserts one row, and
nothing else — no auth, no sessions, no scope, no timeline, no notification."""
