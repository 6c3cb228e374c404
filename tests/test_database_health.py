"""Database health: a store checks its database when it opens, refuses a mistyped path rather
than creating it, creates its files readable by their owner only, and turns read-only, full,
locked, corrupt, missing or unreachable databases into French messages without SQL or data,
nothing lost. Backups (`sauvegarde`) and restores (`restauration`) of the whole database."""

import hashlib
import os
import sqlite3
import stat

import pytest
import sqlalchemy as sa

from ctg_data import cli, editing, importing
from ctg_data.storage import StorageError, Store, restore_database
from ctg_data.workbook import load_workbook

CODE = "59367"


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seeded(url, sample_bytes) -> Store:
    store = Store(url)
    assert importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx").version_ids
    return store


def no_sql(message: str) -> None:
    for word in ("INSERT", "SELECT", "UPDATE", "sqlite3", "OperationalError", "[SQL",
                 "version_rows", "secret"):
        assert word not in message, message


def reconnect_with(store: Store, statement: str) -> None:
    """Every new connection of `store` runs `statement` first (a real database setting, e.g.
    a read-only session), then the pool is emptied so that it applies at once."""
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        if store.engine.dialect.name != "sqlite":
            dbapi_connection.commit()
    sa.event.listen(store.engine, "connect", on_connect)
    store.engine.dispose()


def test_mistyped_path_refused_not_created(tmp_path, capsys):
    typo = tmp_path / "ctg.sqlit"
    with pytest.raises(StorageError) as refused:
        Store(f"sqlite:///{typo}", create=False)
    assert refused.value.code == "base_introuvable"
    assert refused.value.message.startswith("Base de données introuvable : « ")
    assert not typo.exists()
    assert cli.main(["versions", "--db", f"sqlite:///{typo}"]) == 2
    assert "Base de données introuvable" in capsys.readouterr().err
    assert not typo.exists()
    # Commands that create on purpose do: the example goes into a new database.
    assert cli.main(["demo", "--db", f"sqlite:///{typo}"]) == 0
    assert mode(typo) == 0o600


def test_files_created_readable_by_their_owner_only(tmp_path, sample_bytes):
    path = tmp_path / "sous-dossier" / "ctg.sqlite"
    store = seeded(f"sqlite:///{path}", sample_bytes)
    with store.engine.connect() as conn:  # the WAL files exist while a connection is open
        conn.execute(sa.text("SELECT 1"))
        for suffix in ("", "-wal", "-shm"):
            assert mode(f"{path}{suffix}") == 0o600, suffix
    store.close()


def test_corrupt_database_detected_on_opening_and_left_untouched(tmp_path, sample_bytes,
                                                                  capsys):
    path = tmp_path / "ctg.sqlite"
    seeded(f"sqlite:///{path}", sample_bytes).close()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = raw.execute("PRAGMA page_size").fetchone()[0]
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
    raw.close()
    content = bytearray(path.read_bytes())
    # Scramble the middle pages (b-tree pages of the data), not the header.
    for offset in range(page_size * 3, page_size * (pages - 2), 7):
        content[offset] = (content[offset] * 31 + 17) % 256
    path.write_bytes(bytes(content))
    before = digest(path)
    with pytest.raises(StorageError) as refused:
        Store(f"sqlite:///{path}")
    assert refused.value.code == "base_corrompue"
    assert "endommagée" in refused.value.message and "restauration" in refused.value.message
    no_sql(refused.value.message)
    url = f"sqlite:///{path}"
    workbook = tmp_path / "classeur.xlsx"
    workbook.write_bytes(sample_bytes)
    for argv in (["versions", "--db", url], ["export", "--db", url, "--out",
                                              str(tmp_path / "x.xlsx")],
                 ["import", "--db", url, str(workbook)]):
        assert cli.main(argv) == 2, argv
    assert capsys.readouterr().err.count("est endommagée : rien n'y a été écrit") == 3
    assert digest(path) == before
    # Not a database at all.
    garbage = tmp_path / "pas-une-base.sqlite"
    garbage.write_bytes(b"ceci n'est pas une base" * 100)
    with pytest.raises(StorageError) as refused:
        Store(f"sqlite:///{garbage}")
    assert refused.value.code == "base_corrompue"


def test_read_only_database_gives_a_french_message_and_keeps_the_data(db_url, sample_bytes):
    store = seeded(db_url, sample_bytes)
    before = store.load(CODE)
    reconnect_with(store, "PRAGMA query_only = 1" if store.engine.dialect.name == "sqlite"
                   else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    edit = editing.update_plan_row(before, 0, {"analyse": "Ne sera pas enregistrée"})
    with pytest.raises(StorageError) as refused:
        store.save([edit.data], kind="edit", changes=edit.changes)
    assert refused.value.code == "base_lecture_seule"
    assert "lecture seule : rien n'a été enregistré" in refused.value.message
    no_sql(refused.value.message)
    assert store.load(CODE).equals(before)   # reading still works
    assert len(store.versions()) == 1
    store.close()


def test_full_database_gives_a_french_message_and_nothing_half_stored(tmp_path, sample_bytes):
    path = tmp_path / "ctg.sqlite"
    store = seeded(f"sqlite:///{path}", sample_bytes)
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    # The disk is « full » two pages further: the next import cannot fit.
    reconnect_with(store, f"PRAGMA max_page_count = {pages + 2}")
    report = load_workbook(sample_bytes, "copie.xlsx")
    other = report.datasets[0]
    datasets = [type(other)(other.territoire | {"code_insee": f"59{i:03d}"}, other.tables,
                            other.present) for i in range(5)]
    with pytest.raises(StorageError) as refused:
        store.save(datasets, kind="import", file_name="copie.xlsx")
    assert refused.value.code == "base_pleine"
    assert refused.value.message.startswith(f"Le disque de la base de données « {path} » est "
                                            "plein : rien n'a été enregistré")
    no_sql(refused.value.message)
    assert [t.code for t in store.territories()] == [CODE]
    store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_locked_database_gives_a_french_message(tmp_path, sample_bytes):
    path = tmp_path / "ctg.sqlite"
    store = seeded(f"sqlite:///{path}", sample_bytes)
    reconnect_with(store, "PRAGMA busy_timeout = 50")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock and keeps it
    try:
        data = store.load(CODE)
        edit = editing.update_plan_row(data, 0, {"analyse": "En attente"})
        with pytest.raises(StorageError) as refused:
            store.save([edit.data], kind="edit", changes=edit.changes)
        assert refused.value.code == "base_verrouillee"
        assert "occupée par une autre opération" in refused.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.save([edit.data], kind="edit", changes=edit.changes)   # free again: it goes through
    store.close()


def test_unreachable_postgresql_server_gives_a_french_message_without_password():
    with pytest.raises(StorageError) as refused:
        Store("postgresql+psycopg://ctg:secret@127.0.0.1:1/ctg?connect_timeout=2")
    assert refused.value.code == "base_inaccessible"
    assert refused.value.message.startswith("La base de données « ctg sur 127.0.0.1 » est "
                                            "inaccessible")
    no_sql(refused.value.message)


def test_backup_then_restore_the_whole_database(tmp_path, sample_bytes, capsys):
    path = tmp_path / "ctg.sqlite"
    url = f"sqlite:///{path}"
    store = seeded(url, sample_bytes)
    backup = tmp_path / "sauvegardes" / "ctg-1.sqlite"
    backup.parent.mkdir()
    assert cli.main(["sauvegarde", str(backup), "--db", url]) == 0
    assert "Sauvegarde de toute la base écrite dans" in capsys.readouterr().out
    assert mode(backup) == 0o600 and sorted(p.name for p in backup.parent.iterdir()) == [
        "ctg-1.sqlite"]   # one standalone file
    assert cli.main(["sauvegarde", str(backup), "--db", url]) == 2   # never overwritten
    with pytest.raises(StorageError) as refused:
        store.backup(backup)
    assert refused.value.code == "sauvegarde_existe"
    with pytest.raises(StorageError) as refused:  # a folder that cannot be made
        store.backup(backup / "dans-un-fichier.sqlite")
    assert refused.value.code == "sauvegarde_impossible"
    edit = editing.update_plan_row(store.load(CODE), 0, {"analyse": "Après la sauvegarde"})
    store.save([edit.data], kind="edit", changes=edit.changes)

    # A file that is not a CTG backup is refused and the database is untouched.
    stranger = tmp_path / "autre.sqlite"
    sqlite3.connect(stranger).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StorageError) as refused:
        restore_database(stranger, url)
    assert refused.value.code == "sauvegarde_invalide"
    assert len(store.versions()) == 2

    assert cli.main(["restauration", str(backup), "--db", url]) == 0
    out = capsys.readouterr().out
    kept = next(p for p in tmp_path.iterdir() if ".avant-restauration-" in p.name)
    assert str(kept) in out and mode(kept) == 0o600
    # The running store sees the restored database at once; the replaced one is kept whole.
    assert [v.kind for v in store.versions()] == ["import"]
    assert store.load(CODE).table("plan_action").at[0, "analyse"] != "Après la sauvegarde"
    before = Store(f"sqlite:///{kept}", create=False)
    assert before.load(CODE).table("plan_action").at[0, "analyse"] == "Après la sauvegarde"
    before.close()
    store.save([edit.data], kind="edit", changes=edit.changes)   # and goes on writing
    assert len(store.versions()) == 2
    store.close()


def test_postgresql_backup_prints_pg_dump_instructions(capsys):
    url = "postgresql+psycopg://ctg:secret@db.example:5433/ctg"
    assert cli.main(["sauvegarde", "ctg.dump", "--db", url]) == 1
    out = capsys.readouterr().out
    assert 'pg_dump --format=custom --file=ctg.dump "postgresql://ctg@db.example:5433/ctg"' in out
    assert cli.main(["restauration", "ctg.dump", "--db", url]) == 1
    out = capsys.readouterr().out
    assert "pg_restore --clean --if-exists" in out and "secret" not in out
    with pytest.raises(StorageError) as refused:
        restore_database("ctg.dump", url)
    assert refused.value.code == "sauvegarde_sqlite_seulement"
