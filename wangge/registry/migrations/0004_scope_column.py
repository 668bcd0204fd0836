"""The scope column: ``Household.area_code`` and ``Resident.area_code`` hold the code of the grid the record
lies in (house → building → area), so a scope filter and the list order are one b-tree range on
``(area_code, id)`` instead of a four-table join (issue 12).

Database triggers keep the column right whatever writes the rows (services, admin, the import, bulk_create,
``QuerySet.update``, raw SQL):

- a household's code is computed from its house on insert and whenever ``house_id`` or ``area_code`` is
  written (writing any value into ``area_code`` recomputes it);
- a resident's code is its household's, on insert and whenever ``household_id`` or ``area_code`` is written;
- a household whose code changes passes it on to its residents;
- a building moved to another grid, a house moved to another building, and a grid whose code changes
  (a boundary re-coding) recompute the households under them (and so their residents).

On PostgreSQL the migration also adds pg_trgm GIN indexes for the registry's text searches (resident names,
household numbers, building addresses), on ``UPPER(column)`` because that is what Django's ``icontains``
(and the registry's own searches) compare: a search of three or more characters is then served by an index.
(Names are stored in plaintext — only ID numbers and phones are encrypted — so they can be indexed.)
SQLite needs neither.
"""

from django.db import migrations, models

HOUSEHOLD_CODE_SQL = (
    "SELECT a.code FROM registry_house ho JOIN registry_building b ON b.id = ho.building_id "
    "JOIN areas_area a ON a.id = b.area_id WHERE ho.id = {house}"
)

PG_FORWARD = [
    # Backfill first (set-based), then the triggers (per row from then on).
    "UPDATE registry_household h SET area_code = a.code FROM registry_house ho "
    "JOIN registry_building b ON b.id = ho.building_id JOIN areas_area a ON a.id = b.area_id "
    "WHERE ho.id = h.house_id",
    "UPDATE registry_resident r SET area_code = h.area_code FROM registry_household h WHERE h.id = r.household_id",
    "CREATE OR REPLACE FUNCTION wangge_household_area_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"NEW.area_code := COALESCE(({HOUSEHOLD_CODE_SQL.format(house='NEW.house_id')}), ''); "
    "RETURN NEW; END $$",
    "CREATE TRIGGER wg_household_area_code BEFORE INSERT OR UPDATE OF house_id, area_code "
    "ON registry_household FOR EACH ROW EXECUTE FUNCTION wangge_household_area_code()",
    "CREATE OR REPLACE FUNCTION wangge_household_area_code_cascade() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN UPDATE registry_resident SET area_code = NEW.area_code WHERE household_id = NEW.id; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER wg_household_area_code_cascade AFTER UPDATE OF house_id, area_code ON registry_household "
    "FOR EACH ROW WHEN (OLD.area_code IS DISTINCT FROM NEW.area_code) "
    "EXECUTE FUNCTION wangge_household_area_code_cascade()",
    "CREATE OR REPLACE FUNCTION wangge_resident_area_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.area_code := COALESCE((SELECT area_code FROM registry_household WHERE id = NEW.household_id), ''); "
    "RETURN NEW; END $$",
    "CREATE TRIGGER wg_resident_area_code BEFORE INSERT OR UPDATE OF household_id, area_code "
    "ON registry_resident FOR EACH ROW EXECUTE FUNCTION wangge_resident_area_code()",
    # Moves above the household: recompute the households below (their BEFORE trigger does the look-up).
    "CREATE OR REPLACE FUNCTION wangge_building_area_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE registry_household SET area_code = '' WHERE house_id IN "
    "(SELECT id FROM registry_house WHERE building_id = NEW.id); RETURN NULL; END $$",
    "CREATE TRIGGER wg_building_area_code AFTER UPDATE OF area_id ON registry_building FOR EACH ROW "
    "WHEN (OLD.area_id IS DISTINCT FROM NEW.area_id) EXECUTE FUNCTION wangge_building_area_code()",
    "CREATE OR REPLACE FUNCTION wangge_house_area_code() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE registry_household SET area_code = '' WHERE house_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER wg_house_area_code AFTER UPDATE OF building_id ON registry_house FOR EACH ROW "
    "WHEN (OLD.building_id IS DISTINCT FROM NEW.building_id) EXECUTE FUNCTION wangge_house_area_code()",
    "CREATE OR REPLACE FUNCTION wangge_area_code_registry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE registry_household SET area_code = '' WHERE house_id IN (SELECT ho.id FROM registry_house ho "
    "JOIN registry_building b ON b.id = ho.building_id WHERE b.area_id = NEW.id); RETURN NULL; END $$",
    "CREATE TRIGGER wg_area_code_registry AFTER UPDATE OF code ON areas_area FOR EACH ROW "
    "WHEN (OLD.code IS DISTINCT FROM NEW.code) EXECUTE FUNCTION wangge_area_code_registry()",
]

PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS wg_household_area_code ON registry_household",
    "DROP TRIGGER IF EXISTS wg_household_area_code_cascade ON registry_household",
    "DROP TRIGGER IF EXISTS wg_resident_area_code ON registry_resident",
    "DROP TRIGGER IF EXISTS wg_building_area_code ON registry_building",
    "DROP TRIGGER IF EXISTS wg_house_area_code ON registry_house",
    "DROP TRIGGER IF EXISTS wg_area_code_registry ON areas_area",
]

PG_TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS resident_name_trgm ON registry_resident USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS household_number_trgm ON registry_household USING gin (UPPER(number) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS building_address_trgm ON registry_building USING gin (UPPER(address) gin_trgm_ops)",
]
PG_TRGM_BACKWARD = [
    "DROP INDEX IF EXISTS resident_name_trgm",
    "DROP INDEX IF EXISTS household_number_trgm",
    "DROP INDEX IF EXISTS building_address_trgm",
]

_HH = HOUSEHOLD_CODE_SQL.format(house="NEW.house_id")
SQLITE_FORWARD = [
    f"UPDATE registry_household SET area_code = COALESCE(({HOUSEHOLD_CODE_SQL.format(house='registry_household.house_id')}), '')",
    "UPDATE registry_resident SET area_code = COALESCE((SELECT h.area_code FROM registry_household h "
    "WHERE h.id = registry_resident.household_id), '')",
    # SQLite triggers cannot assign NEW: AFTER triggers rewrite the row (recursive_triggers is off, so the
    # rewrite does not fire the same trigger again) and pass the code on to the residents in the same step.
    "CREATE TRIGGER wg_household_area_code_ins AFTER INSERT ON registry_household BEGIN "
    f"UPDATE registry_household SET area_code = COALESCE(({_HH}), '') WHERE id = NEW.id; END",
    "CREATE TRIGGER wg_household_area_code_upd AFTER UPDATE OF house_id, area_code ON registry_household BEGIN "
    f"UPDATE registry_household SET area_code = COALESCE(({_HH}), '') WHERE id = NEW.id; "
    "UPDATE registry_resident SET area_code = (SELECT area_code FROM registry_household WHERE id = NEW.id) "
    "WHERE household_id = NEW.id; END",
    "CREATE TRIGGER wg_resident_area_code_ins AFTER INSERT ON registry_resident BEGIN "
    "UPDATE registry_resident SET area_code = COALESCE((SELECT area_code FROM registry_household "
    "WHERE id = NEW.household_id), '') WHERE id = NEW.id; END",
    "CREATE TRIGGER wg_resident_area_code_upd AFTER UPDATE OF household_id, area_code ON registry_resident "
    "BEGIN UPDATE registry_resident SET area_code = COALESCE((SELECT area_code FROM registry_household "
    "WHERE id = NEW.household_id), '') WHERE id = NEW.id; END",
    "CREATE TRIGGER wg_building_area_code AFTER UPDATE OF area_id ON registry_building "
    "WHEN OLD.area_id IS NOT NEW.area_id BEGIN UPDATE registry_household SET area_code = '' "
    "WHERE house_id IN (SELECT id FROM registry_house WHERE building_id = NEW.id); END",
    "CREATE TRIGGER wg_house_area_code AFTER UPDATE OF building_id ON registry_house "
    "WHEN OLD.building_id IS NOT NEW.building_id BEGIN UPDATE registry_household SET area_code = '' "
    "WHERE house_id = NEW.id; END",
    "CREATE TRIGGER wg_area_code_registry AFTER UPDATE OF code ON areas_area WHEN OLD.code IS NOT NEW.code "
    "BEGIN UPDATE registry_household SET area_code = '' WHERE house_id IN (SELECT ho.id FROM registry_house ho "
    "JOIN registry_building b ON b.id = ho.building_id WHERE b.area_id = NEW.id); END",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "wg_household_area_code_ins",
        "wg_household_area_code_upd",
        "wg_resident_area_code_ins",
        "wg_resident_area_code_upd",
        "wg_building_area_code",
        "wg_house_area_code",
        "wg_area_code_registry",
    )
]


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        with schema_editor.connection.cursor() as cur:
            for sql in statements_by_vendor.get(vendor, []):
                cur.execute(sql)
            if vendor == "postgresql" and statements_by_vendor.get("analyze"):
                cur.execute("ANALYZE registry_household")
                cur.execute("ANALYZE registry_resident")

    return run


def _trgm(apps, schema_editor):  # type: ignore[no-untyped-def]
    """pg_trgm is a contrib extension: where it cannot be created (no privilege), searches still work,
    unindexed."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import transaction

    with schema_editor.connection.cursor() as cur:
        try:
            with transaction.atomic():
                for sql in PG_TRGM:
                    cur.execute(sql)
        except Exception:  # noqa: BLE001 - the extension is optional
            return


class Migration(migrations.Migration):
    # After every migration that adds a column to the tables these triggers read: on SQLite adding a column
    # remakes the table, which drops its own triggers and fails on other tables' triggers that name it. A later
    # migration that adds a column to registry_household/resident/house/building or areas_area must drop these
    # triggers first and install them again after (SQLITE_BACKWARD / SQLITE_FORWARD below).
    dependencies = [
        ("registry", "0003_registry_changes"),
        ("areas", "0003_service_card_phones"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="area_code",
            field=models.CharField(default="", editable=False, max_length=24, verbose_name="网格编码"),
        ),
        migrations.AddField(
            model_name="resident",
            name="area_code",
            field=models.CharField(default="", editable=False, max_length=24, verbose_name="网格编码"),
        ),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD, "analyze": True}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["area_code", "id"], name="household_scope_idx"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["area_code", "id"], name="resident_scope_idx"),
        ),
        migrations.RunPython(_trgm, _run({"postgresql": PG_TRGM_BACKWARD})),
    ]
