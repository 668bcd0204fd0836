"""``python -m bare.make_table``: create the bare endpoint's one table in the scratch database."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bare.settings")
django.setup()

from django.db import connection  # noqa: E402

from bare.models import Report  # noqa: E402

if Report._meta.db_table not in connection.introspection.table_names():
    with connection.schema_editor() as editor:
        editor.create_model(Report)
