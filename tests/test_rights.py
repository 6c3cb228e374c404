"""Rights enforced in the core: every write of the store, called directly (as a forged request
would), is allowed or refused according to the actor's role and territories, in shared mode;
refusals store nothing and say why in French; allowed writes are in the audit log, with the
account as author."""

import pandas as pd
import pytest

from ctg_data import accounts, audit, importing
from ctg_data.accounts import Account, AccessDenied
from ctg_data.storage import Change, Store

CODE, OTHER = "59367", "59350"
ROLES = {
    "lecteur": Account("lea", "Léa Lectrice", "lecteur"),
    "editeur": Account("eric", "Éric Éditeur", "editeur", frozenset({CODE})),
    "editeur_autre": Account("odile", "Odile Autre", "editeur", frozenset({OTHER})),
    "editeur_tous": Account("tom", "Tom Tous", "editeur"),
    "administrateur": Account("ada", "Ada Admin", "administrateur", frozenset()),
}
# Who may do what (issue 13 §2): editors on their territories, references only for editors
# of every territory, restores only for administrators, readers nothing.
ALLOWED = {
    "import": {"editeur", "editeur_tous", "administrateur"},
    "edit": {"editeur", "editeur_tous", "administrateur"},
    "opendata": {"editeur", "editeur_tous", "administrateur"},
    "comment": {"editeur", "editeur_tous", "administrateur"},
    "restore": {"administrateur"},
    "references": {"editeur_tous", "administrateur"},
}


@pytest.fixture
def store(db_url, sample_bytes, monkeypatch):
    """The sample imported in local mode (two versions), then the shared mode switched on."""
    monkeypatch.delenv("CTG_MODE", raising=False)
    store = Store(db_url)
    assert importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx").version_ids
    data = store.load(CODE)
    data.territoire["avertissement"] = "Version 2."
    store.save([data], kind="edit", author="Saisie locale")
    monkeypatch.setenv("CTG_MODE", "partage")
    yield store
    store.close()


def edited(store):
    data = store.load(CODE)
    old = data.territoire.get("caf")
    data.territoire["caf"] = "Caf du Nord (modifiée)"
    return data, [Change(sheet="territoire", column="caf", old=old, new=data.territoire["caf"])]


def write(store, operation: str, actor):
    """Do `operation` as `actor` through the core's public functions."""
    if operation == "import":
        data = store.load(CODE)
        data.territoire["epci"] = "MEL (import)"
        return store.save([data], kind="import", file_name="classeur.xlsx", actor=actor)
    if operation == "edit":
        data, changes = edited(store)
        return store.save([data], kind="edit", changes=changes, actor=actor)
    if operation == "opendata":
        return store.save([store.load(CODE)], kind="opendata", file_name="insee.csv",
                          actor=actor)
    if operation == "comment":
        return store.add_comment(CODE, "taux_couverture", "Lecture du comité.", actor=actor)
    if operation == "restore":
        first = min(v.id for v in store.versions(CODE))
        return store.restore(first, actor=actor)
    rows = pd.DataFrame([{"niveau": "commune", "code": CODE, "nom": "Lys", "annee": 2023,
                          "indicateur": "taux_couverture", "valeur": 51.0,
                          "source": "Caf", "edition": "2025"}])
    return store.save_references(rows, file_name="txcouv_pe_com.csv", content_hash=None,
                                 actor=actor)


def expected_refusal(role: str, operation: str) -> str:
    """The catalogue code of the refusal of `operation` for `role` (a role ALLOWED refuses)."""
    if role == "lecteur":
        return "droit_refuse_lecteur"
    if operation == "restore":
        return "droit_refuse_administrateur"
    if operation == "references":
        return "droit_refuse_references"
    return "droit_refuse_territoire"     # an editor of another territory


def footprint(store):
    """Everything a write can add: versions, comments, reference rows, audit lines."""
    return (len(store.versions()), len(store.comments(CODE)), len(store.references()),
            len(audit.entries(store, limit=None)))


@pytest.mark.parametrize("operation", list(ALLOWED))
def test_each_role_and_write(store, operation):
    """Every role tries the write in turn (one database per write keeps the test short)."""
    for role, actor in ROLES.items():
        before = footprint(store)
        if role in ALLOWED[operation]:
            write(store, operation, actor)
            assert footprint(store) != before, role
            line = audit.entries(store, limit=1)[0]
            assert line.login == actor.login, role
            assert line.code == (None if operation == "references" else CODE), role
        else:
            with pytest.raises(AccessDenied) as refused:
                write(store, operation, actor)
            assert refused.value.code == expected_refusal(role, operation), role
            assert "Rien n'a été enregistré" in refused.value.message, role
            assert actor.login in refused.value.message, role
            assert footprint(store) == before, role


def test_refusal_messages_say_why(store):
    with pytest.raises(AccessDenied, match=r"\(lecteur\) permet de consulter les données, pas "
                                           r"de modifier des données"):
        write(store, "edit", ROLES["lecteur"])
    with pytest.raises(AccessDenied, match="pour le territoire 59367 : il ne lui est pas "
                                           "attribué"):
        write(store, "edit", ROLES["editeur_autre"])
    with pytest.raises(AccessDenied, match="restaurer une version : réservé aux administrateurs"):
        write(store, "restore", ROLES["editeur"])
    with pytest.raises(AccessDenied, match="concernent tous les territoires"):
        write(store, "references", ROLES["editeur"])
    # Several territories not given to an editor are all named, in the plural.
    elsewhere = Account("paul", "Paul", "editeur", frozenset({"59009"}))
    with pytest.raises(AccessDenied) as refused:
        accounts.authorise(elsewhere, "edit", [CODE, OTHER])
    assert refused.value.code == "droit_refuse_territoires"
    assert refused.value.message == (
        "Votre compte « paul » (éditeur) ne peut pas modifier des données pour les territoires "
        "59350, 59367 : ils ne lui sont pas attribués. Rien n'a été enregistré.")


def test_no_actor_is_refused_in_shared_mode_and_the_local_account_in_local_mode(
        store, monkeypatch):
    before = footprint(store)
    for operation in ALLOWED:
        with pytest.raises(AccessDenied, match="Connexion requise") as refused:
            write(store, operation, None)
        assert refused.value.code == "connexion_requise"
    assert footprint(store) == before
    monkeypatch.setenv("CTG_MODE", "local")
    write(store, "comment", None)
    assert audit.entries(store, limit=1)[0].login == accounts.LOCAL_ACCOUNT.login


def test_author_is_the_account_never_the_typed_name(store):
    data, changes = edited(store)
    store.save([data], kind="edit", changes=changes, author="Nom inventé",
               actor=ROLES["editeur"])
    assert store.versions(CODE)[0].author == "Éric Éditeur"
    assert store.history(CODE, column="caf")[0].author == "Éric Éditeur"
    store.add_comment(CODE, "taux_couverture", "Vu.", author="Nom inventé",
                      actor=ROLES["editeur"])
    assert store.comments(CODE)[0].author == "Éric Éditeur"
    line = audit.entries(store, action="modification", limit=1)[0]
    assert (line.login, line.code) == ("eric", CODE)
    assert "(1 valeur)" in line.detail


def test_an_editor_cannot_import_a_file_that_touches_another_territory(store, sample_bytes):
    """The whole import is refused (nothing stored) when one territory is not the editor's;
    the importing module checks before the duplicate test, so a forged call learns nothing."""
    before = footprint(store)
    with pytest.raises(AccessDenied, match="59367"):
        importing.import_file(store, sample_bytes, "ctg_lys_lez_lannoy.xlsx",
                              actor=ROLES["editeur_autre"])
    two = [store.load(CODE), store.load(CODE)]
    object.__setattr__(two[1], "territoire", dict(two[1].territoire, code_insee=OTHER))
    with pytest.raises(AccessDenied):
        store.save(two, kind="import", actor=ROLES["editeur"])
    assert footprint(store) == before
    ids = store.save(two, kind="import", actor=ROLES["editeur_tous"])
    assert len(ids) == 2
    assert {e.code for e in audit.entries(store, action="import", limit=2)} == {CODE, OTHER}


def test_restore_is_audited_inside_its_transaction(store):
    versions_before = len(store.versions(CODE))
    new_id = write(store, "restore", ROLES["administrateur"])
    assert len(store.versions(CODE)) == versions_before + 1
    line = audit.entries(store, action="restauration", limit=1)[0]
    assert (line.login, line.code) == ("ada", CODE)
    assert f"nouvelle version {new_id}" in line.detail
