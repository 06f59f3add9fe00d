from tracker import migrate
from tracker.db import backend_name, database


def test_upgrade_from_empty_then_noop(db):
    # the fixture migrated this backend's fresh database already
    assert migrate.pending() == []
    assert migrate.upgrade() == []
    names = [name for name, applied in migrate.status()]
    assert names == sorted(names) and names[0] == "0001_ledger"


def test_schema_matches_models(db):
    diff = migrate.schema_diff()
    assert not diff, f"{backend_name()}: {diff}"


def test_cli_upgrade_and_status(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
    result = runner.invoke(args=["db", "status"])
    assert result.exit_code == 0 and "[x] 0001_ledger" in result.output
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_fresh_database_gets_every_migration(tmp_path):
    from tests.conftest import make_app
    url = "sqlite:///" + str(tmp_path / "fresh.db")
    app = make_app(url, tmp_path / "inst")
    with app.app_context():
        assert migrate.pending() == []
        tables = set(database.get_tables())
        assert {"project", "stage_event", "app_user", "schema_migration"} <= tables
