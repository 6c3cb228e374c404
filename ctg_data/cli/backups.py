"""The commands on the whole database: `sauvegarde` (a consistent copy) and `restauration`
(replace the database with a copy); for PostgreSQL they print the pg_dump / pg_restore
commands instead."""

from __future__ import annotations

from ctg_data.cli.common import EXIT_INVALID, EXIT_OK, open_store, say, size_text


def _postgresql_commands(url: str, what: str, path: str) -> list[str]:
    """The pg_dump / pg_restore instructions for a PostgreSQL URL (password never shown)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    target = (f"postgresql://{parsed.username + '@' if parsed.username else ''}"
              f"{parsed.host or 'localhost'}{':' + str(parsed.port) if parsed.port else ''}"
              f"/{parsed.database or ''}")
    if what == "sauvegarde":
        return ["La base est une base PostgreSQL : sauvegardez-la avec pg_dump (format "
                "personnalisé, toute la base) :",
                f'  pg_dump --format=custom --file={path} "{target}"',
                "Le mot de passe est demandé, ou lu dans ~/.pgpass ou la variable PGPASSWORD.",
                f"Pour la rétablir, l'application arrêtée : python -m ctg_data restauration "
                f"{path} (affiche la commande pg_restore)."]
    return ["La base est une base PostgreSQL : restaurez la sauvegarde avec pg_restore, "
            "l'application arrêtée, après une sauvegarde de la base actuelle "
            "(python -m ctg_data sauvegarde) :",
            f'  pg_restore --clean --if-exists --no-owner --dbname="{target}" {path}']


def cmd_sauvegarde(args) -> int:
    """`sauvegarde FILE`: a consistent copy of the whole database (SQLite online backup)."""
    from ctg_data import settings
    from ctg_data.storage import sqlite_file

    url = args.db or settings.get("database_url")
    if sqlite_file(url) is None:
        for line in _postgresql_commands(url, "sauvegarde", args.file):
            say(line)
        return EXIT_INVALID
    store = open_store(args)
    try:
        path = store.backup(args.file)
    finally:
        store.close()
    say(f"Sauvegarde de toute la base écrite dans {path} ({size_text(path.stat().st_size)}, "
        "lisible par vous seul). Pour la rétablir : python -m ctg_data restauration "
        f"{path}")
    return EXIT_OK


def cmd_restauration(args) -> int:
    """`restauration FILE`: replace the whole database with a backup (the current database is
    kept beside it first)."""
    from ctg_data import settings
    from ctg_data.storage import sqlite_file, restore_database

    url = args.db or settings.get("database_url")
    if sqlite_file(url) is None:
        for line in _postgresql_commands(url, "restauration", args.file):
            say(line)
        return EXIT_INVALID
    kept = restore_database(args.file, url)
    say(f"Base rétablie depuis la sauvegarde {args.file}.")
    if kept is not None:
        say(f"La base telle qu'elle était avant est conservée dans {kept}.")
    return EXIT_OK
