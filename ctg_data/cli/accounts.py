"""The `comptes` command: the accounts of the shared mode (ajouter, roles, mot-de-passe,
desactiver, lister)."""

from __future__ import annotations

import sys

from ctg_data.cli.common import EXIT_OK, CliError, actor, open_store, say


def _password(args) -> str:
    """The new password: first line of the standard input (--mot-de-passe-stdin, for
    scripts), else typed twice without echo."""
    if args.mot_de_passe_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != first:
        raise CliError.of("mots_de_passe_differents")
    return first


def _territory_list(text: str | None):
    if text is None or text.strip() in ("", "*", "tous"):
        return None
    return [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]


def _rights(account) -> str:
    from ctg_data.accounts import ROLE_LABELS

    where = ("tous les territoires" if account.territoires is None else
             ", ".join(sorted(account.territoires)) or "aucun territoire")
    return f"{ROLE_LABELS[account.role]} — {where}"


def _list(store) -> None:
    from ctg_data import accounts

    infos = accounts.list_accounts(store)
    if not infos:
        print("Aucun compte. Créez le premier administrateur : python -m ctg_data "
              "comptes ajouter LOGIN --nom NOM --role administrateur")
    for info in infos:
        state = "actif" if info.active else "désactivé"
        how = "mot de passe" if info.has_password else "fournisseur d'identité"
        say(f"{info.account.login}  {info.account.nom}  {_rights(info.account)}  "
            f"({state}, {how})")


def _change(args, store, who) -> None:
    """The account change `args.action` asks for, said in one line."""
    from ctg_data import accounts

    if args.action == "ajouter":
        password = None if args.sans_mot_de_passe else _password(args)
        account = accounts.add_account(store, args.login, args.nom or "", args.role,
                                       password, territoires=_territory_list(
                                           args.territoires), actor=who)
        say(f"Compte « {account.login} » créé : {_rights(account)}.")
    elif args.action == "roles":
        account = accounts.set_role(store, args.login, args.role,
                                    territoires=_territory_list(args.territoires),
                                    actor=who)
        say(f"Compte « {account.login} » : {_rights(account)}.")
    elif args.action == "mot-de-passe":
        accounts.set_password(store, args.login, _password(args), actor=who)
        say(f"Mot de passe du compte « {args.login} » changé.")
    else:
        accounts.deactivate(store, args.login, actor=who)
        say(f"Compte « {args.login} » désactivé.")


def cmd_comptes(args) -> int:
    """`comptes ajouter|roles|mot-de-passe|desactiver|lister`: accounts of the shared mode."""
    from ctg_data.accounts import AccessDenied, AccountError

    store = open_store(args)
    who = actor(args)
    try:
        if args.action == "lister":
            _list(store)
        else:
            _change(args, store, who)
    except (AccountError, AccessDenied) as exc:
        # The accounts' refusals (unknown login, bad role…) end with their own catalogue code.
        raise CliError.wrap(exc) from None
    return EXIT_OK
