"""The catalogue of every problem the app reports about a file, and how a problem reads in French.

Each entry of `CATALOGUE` is a typed error (code, title, French template with placeholders,
severity), in the spirit of frictionless' error classes: validation builds `Problem`s from it
with `problem(code, …)`, so every message of a kind reads the same way. A file that cannot be
read at all raises `UnreadableFile` instead (the CLI turns it into exit code 2).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # pandas is imported where needed: the reading worker stays light
    import pandas as pd

ERREUR = "erreur"
AVERTISSEMENT = "avertissement"


@dataclass(frozen=True)
class ErrorType:
    """One kind of problem: machine code, short French title, message template, severity."""

    code: str
    title: str
    template: str
    severity: str  # ERREUR | AVERTISSEMENT


def _types(*entries: tuple[str, str, str, str]) -> dict[str, ErrorType]:
    return {code: ErrorType(code, title, template, severity)
            for code, title, template, severity in entries}


CATALOGUE: dict[str, ErrorType] = _types(
    # --- The file cannot be read (UnreadableFile) ---------------------------------------------
    ("fichier_vide", "Fichier vide", "Le fichier « {file} » est vide.", ERREUR),
    ("format_inconnu", "Pas un classeur",
     "Ce fichier n'est pas un classeur (.xlsx, .xlsm, .xls, .ods) ni un fichier .csv : "
     "« {file} » ne peut pas être lu.", ERREUR),
    ("fichier_trop_gros", "Fichier trop volumineux",
     "Le fichier « {file} » fait {size} Mo : la taille maximale est de {limit} Mo.", ERREUR),
    ("decompression_trop_grande", "Classeur trop volumineux une fois décompressé",
     "Le classeur « {file} » occupe {size} Mo une fois décompressé : la limite est de {limit} Mo "
     "(fichier refusé par sécurité).", ERREUR),
    ("trop_d_elements", "Archive suspecte",
     "Le classeur « {file} » contient {count} éléments compressés, bien plus qu'un classeur : "
     "fichier refusé par sécurité.", ERREUR),
    ("compression_suspecte", "Compression suspecte",
     "Le classeur « {file} » est compressé de façon anormale (un élément grossit {ratio} fois à "
     "la décompression) : fichier refusé par sécurité.", ERREUR),
    ("fichier_corrompu", "Fichier endommagé",
     "Le fichier « {file} » est endommagé ou n'est pas un classeur valide : il ne peut pas être "
     "ouvert ({detail}).", ERREUR),
    ("mot_de_passe", "Classeur protégé",
     "Le classeur « {file} » est protégé par un mot de passe : enregistrez-le sans mot de passe "
     "puis importez-le à nouveau.", ERREUR),
    ("trop_de_lignes", "Feuille trop grande",
     "La feuille « {sheet} » compte {count} lignes : le maximum est de {limit}.", ERREUR),
    ("trop_de_colonnes", "Feuille trop large",
     "La feuille « {sheet} » compte {count} colonnes : le maximum est de {limit}.", ERREUR),
    ("lecture_trop_longue", "Lecture trop longue",
     "La lecture du fichier « {file} » a dépassé {limit} secondes : fichier refusé.", ERREUR),
    ("lecture_impossible", "Lecture impossible",
     "Le classeur « {file} » est trop volumineux pour être lu (une feuille déclare une zone "
     "démesurée, ou le fichier est endommagé).", ERREUR),
    ("csv_colonnes_inconnues", "Colonnes non reconnues",
     "Aucune feuille du classeur CTG ne correspond aux colonnes de « {file} » : vérifiez la "
     "ligne d'en-têtes ou indiquez la feuille ({sheets}).", ERREUR),
    ("feuille_demandee_inconnue", "Feuille inconnue",
     "La feuille « {sheet} » n'existe pas dans le classeur CTG. Feuilles possibles : {sheets}.",
     ERREUR),
    ("aucune_feuille", "Aucune feuille",
     "Le classeur « {file} » ne contient aucune feuille lisible.", ERREUR),
    # --- Workbook structure -------------------------------------------------------------------
    ("feuille_inconnue", "Feuille non reconnue",
     "onglet non reconnu, ignoré (feuilles attendues : {sheets})", AVERTISSEMENT),
    ("feuille_en_double", "Feuille en double",
     "cet onglet désigne la même feuille que l'onglet « {other} » : gardez-en un seul", ERREUR),
    ("feuille_vide", "Feuille sans données",
     "feuille vide (aucune ligne de données) ; elle est ignorée et les données déjà "
     "enregistrées sont conservées",
     AVERTISSEMENT),
    ("feuille_devinee", "Feuille devinée",
     "feuille devinée d'après les colonnes du fichier : « {guessed} »", AVERTISSEMENT),
    ("territoire_absent", "Feuille Territoire absente",
     "la feuille « Territoire » est absente : le classeur doit indiquer son territoire "
     "(feuille « Territoire », ou colonne « Code INSEE » sur chaque feuille)", ERREUR),
    ("territoire_vide", "Aucun territoire",
     "aucun territoire déclaré : indiquez au moins son code INSEE et son nom", ERREUR),
    ("territoire_inconnu", "Territoire inconnu",
     "le code « {value} » ne figure pas dans la feuille « Territoire » (codes déclarés : {codes})",
     ERREUR),
    # --- Columns ------------------------------------------------------------------------------
    ("colonne_obligatoire_absente", "Colonne obligatoire absente",
     "colonne obligatoire absente : ajoutez l'en-tête « {label} »{synonyms}", ERREUR),
    ("colonne_inconnue", "Colonne non reconnue",
     "colonne non reconnue, conservée telle quelle", AVERTISSEMENT),
    ("colonne_en_double", "Colonne en double",
     "cette colonne désigne la même donnée que la colonne « {other} » : gardez-en une seule",
     ERREUR),
    ("colonne_sans_entete", "Colonne sans en-tête",
     "colonne sans en-tête mais avec des valeurs : ignorée", AVERTISSEMENT),
    ("champ_obligatoire_absent", "Champ obligatoire absent",
     "champ obligatoire absent : ajoutez une ligne « {label} » et sa valeur", ERREUR),
    ("champ_inconnu", "Champ non reconnu",
     "champ non reconnu, conservé tel quel", AVERTISSEMENT),
    ("champ_en_double", "Champ en double",
     "ce champ figure déjà ligne {other} : gardez-en un seul", ERREUR),
    ("pourcentages_en_fraction", "Pourcentages lus comme des fractions",
     "toutes les valeurs sont comprises entre 0 et 1 : lues comme des fractions et multipliées "
     "par 100 (0,179 → 17,9 %)", AVERTISSEMENT),
    ("annee_hors_ctg", "Année hors de la période de la CTG",
     "colonne d'année {value} hors de la période de la CTG ({debut}-{fin})", ERREUR),
    # --- Cells --------------------------------------------------------------------------------
    ("valeur_obligatoire", "Valeur obligatoire manquante",
     "valeur obligatoire manquante", ERREUR),
    ("nombre_attendu", "Nombre attendu", "nombre attendu, « {value} » trouvé", ERREUR),
    ("entier_attendu", "Nombre entier attendu",
     "nombre entier attendu, « {value} » trouvé", ERREUR),
    ("annee_attendue", "Année attendue",
     "année attendue (ex. 2023), « {value} » trouvé", ERREUR),
    ("date_attendue", "Date attendue",
     "date attendue (jj/mm/aaaa), « {value} » trouvé", ERREUR),
    ("date_ou_annee_attendue", "Date ou année attendue",
     "date (jj/mm/aaaa) ou année (ex. 2023) attendue, « {value} » trouvé", ERREUR),
    ("hors_limites", "Valeur hors limites",
     "« {value} » hors limites : la valeur doit être {expected}", ERREUR),
    ("valeur_non_autorisee", "Valeur non autorisée",
     "« {value} » n'est pas une valeur autorisée ; valeurs possibles : {allowed}", ERREUR),
    ("code_attendu", "Code attendu",
     "code attendu (ex. 59367), « {value} » trouvé", ERREUR),
    ("code_complete", "Zéro initial restauré",
     "code « {value} » lu comme un nombre : complété en « {fixed} »", AVERTISSEMENT),
    ("code_invalide", "Code de territoire invalide",
     "« {value} » n'est pas un code INSEE de commune (5 caractères, ex. 59367) ni un SIREN "
     "d'EPCI (9 chiffres)", ERREUR),
    # --- Rows and cross-sheet rules ------------------------------------------------------------
    ("doublon", "Ligne en double",
     "ligne en double : {columns} que la ligne {other}", ERREUR),
    ("places_obligatoires", "Nombre de places manquant",
     "nombre de places obligatoire pour une structure de type « {type} »", ERREUR),
    ("ouverture_apres_fermeture", "Ouverture après la fermeture",
     "ouverture ({value}) postérieure à la fermeture ({other})", ERREUR),
    ("age_min_superieur", "Âge minimal supérieur à l'âge maximal",
     "âge minimal ({value}) supérieur à l'âge maximal ({other})", ERREUR),
    ("alsh_absent_des_equipements", "ALSH absent des équipements",
     "l'accueil de loisirs « {value} » ne figure pas dans la feuille « Équipements »",
     AVERTISSEMENT),
    ("decision_sans_comite", "Décision sans comité",
     "aucun comité du {value} dans la feuille « Comités » : enregistrez d'abord le comité",
     ERREUR),
    ("fiche_non_utilisee", "Fiche action sans indicateur",
     "la fiche action n° {value} n'est reprise par aucune ligne du plan d'action", AVERTISSEMENT),
    ("action_sans_fiche", "Action sans fiche",
     "l'action n° {value} n'a pas de fiche dans la feuille « Fiches actions »", AVERTISSEMENT),
)

# --- The database and concurrent saves (storage.StorageError, storage.EditConflict) ----------
# Never the SQL nor the data in these messages: `{base}` is the file or the server's database.
CATALOGUE.update(_types(
    ("base_introuvable", "Base de données introuvable",
     "Base de données introuvable : « {base} » n'existe pas. Vérifiez le chemin (variable "
     "CTG_DATABASE_URL ou option --db) ; aucune base n'a été créée.", ERREUR),
    ("base_lecture_seule", "Base de données en lecture seule",
     "La base de données « {base} » est en lecture seule : rien n'a été enregistré, les données "
     "déjà enregistrées sont intactes. Vérifiez les droits d'écriture sur le fichier et son "
     "dossier.", ERREUR),
    ("base_pleine", "Disque plein",
     "Le disque de la base de données « {base} » est plein : rien n'a été enregistré, les "
     "données déjà enregistrées sont intactes. Libérez de la place puis recommencez.", ERREUR),
    ("base_verrouillee", "Base de données occupée",
     "La base de données « {base} » est occupée par une autre opération qui ne se termine pas : "
     "rien n'a été enregistré. Réessayez dans un instant.", ERREUR),
    ("base_corrompue", "Base de données endommagée",
     "La base de données « {base} » est endommagée : rien n'y a été écrit. Restaurez la dernière "
     "sauvegarde (python -m ctg_data restauration FICHIER) ou prévenez l'administrateur.",
     ERREUR),
    ("base_erreur_disque", "Erreur du disque",
     "Erreur de lecture ou d'écriture du disque de la base de données « {base} » : rien n'a été "
     "enregistré.", ERREUR),
    ("base_inaccessible", "Base de données inaccessible",
     "La base de données « {base} » est inaccessible (serveur arrêté, adresse, droits ou mot de "
     "passe incorrects) : rien n'a été enregistré.", ERREUR),
    ("modification_concurrente", "Valeur modifiée entre-temps",
     "{place} : {by} a enregistré « {newer} » le {at}, après l'affichage de votre formulaire ; "
     "votre valeur « {mine} » n'a pas été enregistrée (rien n'a été enregistré). Vérifiez la "
     "nouvelle valeur puis saisissez à nouveau votre modification si elle reste nécessaire.",
     ERREUR),
    ("ligne_modifiee_entre_temps", "Ligne modifiée entre-temps",
     "{place} : cette ligne a été modifiée ou supprimée par {by} le {at}, après l'affichage de "
     "votre formulaire : rien n'a été enregistré. Vérifiez les données actuelles puis "
     "recommencez.", ERREUR),
    ("sauvegarde_sqlite_seulement", "Sauvegarde par pg_dump",
     "La base « {base} » est une base PostgreSQL : sauvegardez-la avec pg_dump et restaurez-la "
     "avec pg_restore (python -m ctg_data sauvegarde affiche les commandes).", ERREUR),
    ("sauvegarde_existe", "Fichier de sauvegarde existant",
     "Le fichier « {fichier} » existe déjà : choisissez un autre nom (une sauvegarde n'en "
     "remplace jamais une autre).", ERREUR),
    ("sauvegarde_impossible", "Sauvegarde impossible",
     "Impossible d'écrire la sauvegarde « {fichier} » ({detail}) : rien n'a été écrit.", ERREUR),
    ("sauvegarde_invalide", "Sauvegarde inutilisable",
     "Le fichier « {fichier} » n'est pas une sauvegarde utilisable de la base CTG ({detail}) : "
     "la base n'a pas été modifiée.", ERREUR),
    ("apercu_perime", "Aperçu périmé",
     "Les données de {territoire} ont changé depuis l'aperçu de l'import ({by}, le {at}) : rien "
     "n'a été enregistré. Vérifiez à nouveau l'aperçu puis confirmez l'import.", ERREUR),
))


# --- Plausibility of the figures entered (issue 10 §4, ctg_data.plausibility) ----------------
# Warnings in an import; in a form a negative count is refused and an unusual value is saved
# only once confirmed (ctg_data.editing).
CATALOGUE.update(_types(
    ("compte_negatif", "Nombre négatif",
     "« {value} » : {quoi} ne peut pas être négatif", AVERTISSEMENT),
    ("valeur_inhabituelle", "Valeur inhabituelle",
     "« {value} » est {comparaison} : valeur inhabituelle, à vérifier (faute de frappe, "
     "unité ?)", AVERTISSEMENT),
))


# --- Values that could hurt a page, a chart or a bilan (issue 13 §8) -------------------------
CATALOGUE.update(_types(
    ("caractere_controle", "Caractère invisible interdit",
     "caractère de contrôle invisible ({char}) : retirez-le, il empêcherait l'affichage et "
     "les exports", ERREUR),
    ("texte_trop_long", "Texte trop long",
     "texte trop long : {length} caractères, {limit} au plus dans cette colonne", ERREUR),
    ("ligne_csv_trop_longue", "Ligne de fichier CSV trop longue",
     "Le fichier « {file} » contient une cellule de plus de {limit} caractères (ligne {line}) : "
     "ce n'est pas un tableau CTG, ou le séparateur ou les guillemets sont mal placés.", ERREUR),
))


# --- Coverage alerts (ctg_data.indicators.coverage and .scenario, issue 12 §4) ---------------
# Warnings on a computed rate: an input missing or approximated, or what a scenario changed.
# `Coverage.problems` holds them (`alertes` their messages); pages and the bilan find the
# « Autre » financing by its code, `couverture_financement_autre`.
CATALOGUE.update(_types(
    ("couverture_population_absente", "Enfants de moins de 3 ans absents",
     "Nombre d'enfants de moins de 3 ans absent pour {annee} et les années antérieures : le "
     "taux de couverture ne peut pas être calculé.", AVERTISSEMENT),
    ("couverture_population_anterieure", "Population d'une année antérieure",
     "Enfants de moins de 3 ans : chiffre de {annee_population} utilisé pour {annee} (dernière "
     "année disponible).", AVERTISSEMENT),
    ("couverture_aucun_enfant", "Aucun enfant de moins de 3 ans",
     "Aucun enfant de moins de 3 ans : le taux n'est pas calculable.", AVERTISSEMENT),
    ("couverture_places_non_renseignees", "Places d'une structure non renseignées",
     "Places non renseignées pour « {nom} » ({type}) en {annee} : structure non comptée.",
     AVERTISSEMENT),
    ("couverture_financement_non_renseigne", "Financement d'une micro-crèche non renseigné",
     "Financement non renseigné pour « {nom} » : micro-crèche comptée en PSU.", AVERTISSEMENT),
    ("couverture_financement_autre", "EAJE au financement « Autre »",
     "EAJE au financement « Autre » (ni PSU ni PAJE) en {annee}, non comptés dans le taux "
     "comparable à la Cnaf et montrés à part : {structures}.", AVERTISSEMENT),
    ("couverture_aucun_eaje", "Aucun EAJE ouvert",
     "Aucun EAJE ouvert au 31 décembre {annee} dans la feuille Équipements : places d'accueil "
     "collectif comptées à 0.", AVERTISSEMENT),
    ("couverture_am_absentes", "Assistantes maternelles absentes",
     "Assistantes maternelles : pas de ligne pour {annee}, composante absente du taux.",
     AVERTISSEMENT),
    ("couverture_am_places_agreees", "Places d'assistantes maternelles approchées",
     "Assistantes maternelles {annee} : « Places pour moins de 3 ans » non renseigné, toutes "
     "les places agréées sont comptées (approximation qui surestime la composante).",
     AVERTISSEMENT),
    ("couverture_am_sans_places", "Places d'assistantes maternelles absentes",
     "Assistantes maternelles {annee} : aucune place renseignée, composante absente du taux.",
     AVERTISSEMENT),
    ("couverture_accueil_absent", "Accueil petite enfance absent",
     "Accueil petite enfance : pas de ligne pour {annee}, garde à domicile et "
     "préscolarisation absentes du taux.", AVERTISSEMENT),
    ("couverture_gad_absente", "Garde à domicile non renseignée",
     "Accueil petite enfance {annee} : garde à domicile non renseignée, composante absente du "
     "taux.", AVERTISSEMENT),
    ("couverture_prescolarisation_absente", "Préscolarisation non renseignée",
     "Accueil petite enfance {annee} : préscolarisation non renseignée, composante absente du "
     "taux.", AVERTISSEMENT),
    ("couverture_rpe_am_agreees", "AM par ETP de RPE sur les AM agréées",
     "AM par ETP d'animateur RPE {annee} : calculé sur les AM agréées (AM en activité non "
     "renseignées).", AVERTISSEMENT),
    ("scenario_places", "Places ajoutées ou retirées par le scénario",
     "Scénario : {delta} ({composante}).", AVERTISSEMENT),
    ("scenario_places_limitees", "Retrait du scénario limité",
     "Scénario : {delta} ({composante}), limité à {limite}.", AVERTISSEMENT),
    ("scenario_retrait_limite", "Retrait limité aux places existantes",
     "{composante} : retrait de {demande} places demandé, mais {disponibles} en {annee} : "
     "retrait limité à {limite} (une composante ne peut pas devenir négative).", AVERTISSEMENT),
    ("scenario_enfants", "Enfants de moins de 3 ans du scénario",
     "Scénario : {enfants} enfants de moins de 3 ans.", AVERTISSEMENT),
))


# --- Open-data files, chart images and the command line (issue 12 §4) ------------------------
# Raised as UnreadableFile / opendata.OpendataError / exports.ImageExportError / cli.CliError
# with `.of(code, …)`: the exception carries the code, its message is the filled template.
CATALOGUE.update(_types(
    # An open-data CSV that cannot be read (UnreadableFile, CLI exit code 2)
    ("donnees_ouvertes_classeur", "Classeur au lieu d'un CSV",
     "Le fichier « {file} » est un classeur ou une archive, pas un CSV : exportez les données "
     "au format CSV (séparateur « ; ») depuis data.caf.fr ou insee.fr, puis importez ce "
     "fichier.", ERREUR),
    ("donnees_ouvertes_binaire", "Pas un fichier texte",
     "Le fichier « {file} » n'est pas un fichier texte CSV.", ERREUR),
    ("donnees_ouvertes_une_colonne", "Une seule colonne",
     "Le fichier « {file} » n'est pas un CSV de données ouvertes reconnu (une seule colonne).",
     ERREUR),
    ("donnees_ouvertes_inconnues", "Fichier de données ouvertes non reconnu",
     "Le fichier « {file} » n'est pas un fichier de données ouvertes reconnu. Fichiers "
     "acceptés : taux de couverture de la Caf (txcouv_pe_com, _epci, _dep, _reg, _nat, export "
     "CSV de data.caf.fr) et fichiers communaux de l'INSEE (population par IRIS, "
     "couples-familles-ménages, emploi, Filosofi, dossier complet, ou fichiers longs Melodi : "
     "population par âge, emploi, Filosofi), au format CSV.", ERREUR),
    ("caf_non_reconnu", "Pas un fichier de taux de couverture de la Caf",
     "Le fichier « {file} » n'est pas un fichier de taux de couverture de la Caf (colonnes "
     "annee et txcouv_… attendues).", ERREUR),
    ("caf_sans_code", "Colonne de code absente",
     "Le fichier « {file} » n'a pas de colonne de code ({niveau}) : impossible de savoir à "
     "quel territoire se rapportent les taux.", ERREUR),
    ("insee_non_reconnu", "Pas un fichier communal de l'INSEE",
     "Le fichier « {file} » n'est pas un fichier communal de l'INSEE reconnu.", ERREUR),
    # A recognised open-data file unusable as asked (OpendataError, CLI exit code 1)
    ("caf_aucun_taux", "Aucun taux de couverture",
     "Le fichier « {file} » ne contient aucune ligne de taux de couverture utilisable.", ERREUR),
    ("donnees_ouvertes_base_vide", "Aucun territoire dans la base",
     "La base ne contient aucun territoire : importez d'abord un classeur.", ERREUR),
    ("donnees_ouvertes_territoire_a_preciser", "Territoire à préciser",
     "Plusieurs territoires dans la base ({territoires}) : précisez le territoire.", ERREUR),
    ("donnees_ouvertes_territoire_absent", "Territoire absent de la base",
     "Le territoire {territoire} n'est pas dans la base : importez d'abord son classeur.", ERREUR),
    ("commune_absente_du_fichier", "Commune absente du fichier",
     "La commune {commune} ne figure pas dans le fichier « {file} ».", ERREUR),
    ("insee_aucune_valeur", "Aucune valeur utilisable",
     "Le fichier « {file} » ne donne aucune valeur utilisable pour la commune {commune} : {notes}",
     ERREUR),
    # Chart images (ImageExportError): the rest of the application keeps working
    ("chromium_introuvable", "Navigateur introuvable",
     "Export d'image indisponible : navigateur Chromium introuvable ({path}). Installez le "
     "paquet Debian « chromium » ou indiquez son chemin dans CTG_CHROMIUM_PATH. Les tableaux "
     "et le reste de l'application fonctionnent.", ERREUR),
    ("chromium_ne_demarre_pas", "Navigateur en panne",
     "Export d'image indisponible : le navigateur Chromium n'a pas pu démarrer ({path}).",
     ERREUR),
    ("chromium_ne_repond_pas", "Navigateur sans réponse",
     "Export d'image indisponible : le navigateur Chromium ne répond pas (plus de {seconds} s).",
     ERREUR),
    ("image_impossible", "Image impossible",
     "Export d'image impossible : {detail}", ERREUR),
    # The command line (CliError; exit code 2 for files and database, else 1)
    ("fichier_introuvable", "Fichier introuvable", "Fichier introuvable : {path}", ERREUR),
    ("chemin_dossier", "Dossier au lieu d'un fichier",
     "« {path} » est un dossier, pas un fichier.", ERREUR),
    ("lecture_fichier_impossible", "Fichier illisible",
     "Impossible de lire « {path} » : {detail}.", ERREUR),
    ("ecriture_fichier_impossible", "Écriture impossible",
     "Impossible d'écrire « {path} » : {detail}.", ERREUR),
    ("base_ouverture_impossible", "Base de données impossible à ouvrir",
     "Base de données inaccessible ({base}) : {detail}.", ERREUR),
    ("territoire_absent_de_la_base", "Territoire absent de la base",
     "Territoire « {territoire} » absent de la base{presents}.", ERREUR),
    ("base_sans_territoire", "Aucun territoire dans la base",
     "La base ne contient aucun territoire : importez d'abord un classeur (python -m ctg_data "
     "import FICHIER) ou chargez l'exemple (python -m ctg_data demo).", ERREUR),
    ("territoire_a_preciser", "Territoire à préciser",
     "Plusieurs territoires dans la base ({territoires}) : précisez --territoire CODE.", ERREUR),
    ("annee_population_absente", "Année à préciser",
     "Aucune année de population {where} : précisez --annee ANNÉE.", ERREUR),
    ("xlsx_sans_fichier", "Fichier de sortie à préciser",
     "Le format xlsx s'écrit dans un fichier : précisez --out CHEMIN.", ERREUR),
    ("tous_avec_territoire", "Options incompatibles",
     "--tous donne tous les territoires : retirez --territoire.", ERREUR),
    ("format_sans_tous", "Format réservé au tableau des territoires",
     "Les formats csv et xlsx sont ceux du tableau de tous les territoires : ajoutez --tous.",
     ERREUR),
    ("version_introuvable", "Version introuvable",
     "Version {version} introuvable (python -m ctg_data versions liste les versions).", ERREUR),
    ("exemple_introuvable", "Classeur d'exemple introuvable",
     "Classeur d'exemple introuvable (réglage CTG_EXAMPLE_WORKBOOK) : rien n'a été importé.",
     ERREUR),
    ("exemple_non_importe", "Exemple non importé",
     "L'exemple n'a pas pu être importé : {detail}", ERREUR),
    ("mots_de_passe_differents", "Mots de passe différents",
     "Les deux mots de passe diffèrent : rien n'a été enregistré.", ERREUR),
    ("nombre_positif_attendu", "Nombre positif attendu",
     "nombre positif attendu, « {value} » trouvé", ERREUR),
))


# --- Accounts, rights and sign-in of the shared mode (ctg_data.accounts, issue 12 §4) ---------
# Raised with `.of(code, …)` as accounts.AccessDenied (a write the role or the territories do
# not allow: nothing is stored), accounts.SignInRefused and accounts.AccountError (managing
# accounts); the command line ends with the same code. `{role}` is the role's French label,
# `{action}` what was refused, as accounts.ACTIONS words it.
CATALOGUE.update(_types(
    ("connexion_requise", "Connexion requise",
     "Connexion requise : en mode partagé, chaque modification est faite par un compte "
     "connecté. Rien n'a été enregistré.", ERREUR),
    ("droit_refuse_lecteur", "Compte en lecture seule",
     "Votre compte « {login} » ({role}) permet de consulter les données, pas de {action}. "
     "Rien n'a été enregistré.", ERREUR),
    ("droit_refuse_territoire", "Territoire non attribué",
     "Votre compte « {login} » ({role}) ne peut pas {action} pour le territoire {territoires} : "
     "il ne lui est pas attribué. Rien n'a été enregistré.", ERREUR),
    ("droit_refuse_territoires", "Territoires non attribués",
     "Votre compte « {login} » ({role}) ne peut pas {action} pour les territoires "
     "{territoires} : ils ne lui sont pas attribués. Rien n'a été enregistré.", ERREUR),
    ("droit_refuse_references", "Réservé aux comptes de tous les territoires",
     "Votre compte « {login} » ({role}) ne peut pas {action} : elles concernent tous les "
     "territoires (réservé aux administrateurs et aux éditeurs de tous les territoires). Rien "
     "n'a été enregistré.", ERREUR),
    ("droit_refuse_administrateur", "Réservé aux administrateurs",
     "Votre compte « {login} » ({role}) ne peut pas {action} : réservé aux administrateurs. "
     "Rien n'a été enregistré.", ERREUR),
    # Sign-in (SignInRefused): an unknown login reads as a wrong password, on purpose.
    ("connexion_incorrecte", "Connexion refusée",
     "Identifiant ou mot de passe incorrect.", ERREUR),
    ("connexion_bloquee", "Trop de tentatives de connexion",
     "Trop de tentatives de connexion avec cet identifiant : réessayez dans {delai}.", ERREUR),
    ("compte_desactive", "Compte désactivé",
     "Ce compte est désactivé : adressez-vous à un administrateur.", ERREUR),
    ("aucun_compte_actif", "Aucun compte actif",
     "Aucun compte actif pour « {login} » : demandez à un administrateur de vous en créer un.",
     ERREUR),
    # Managing accounts (AccountError) and the mode setting
    ("mot_de_passe_vide", "Mot de passe vide", "Le mot de passe est vide.", ERREUR),
    ("mot_de_passe_trop_court", "Mot de passe trop court",
     "Le mot de passe doit compter au moins {minimum} caractères.", ERREUR),
    ("identifiant_invalide", "Identifiant invalide",
     "Identifiant invalide : lettres, chiffres et . _ @ + - seulement ({maximum} caractères au "
     "plus).", ERREUR),
    ("role_inconnu", "Rôle inconnu",
     "Rôle inconnu : « {role} » (rôles possibles : {roles}).", ERREUR),
    ("compte_existant", "Compte existant", "Le compte « {login} » existe déjà.", ERREUR),
    ("compte_introuvable", "Compte introuvable", "Compte « {login} » introuvable.", ERREUR),
    ("mode_inconnu", "Mode inconnu",
     "Réglage CTG_MODE inconnu : « {value} » (valeurs possibles : {modes}).", ERREUR),
))

def format_value(value: object) -> str:
    """A cell value as a French reader expects to see it in a message."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "VRAI" if value else "FAUX"
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) >= 1e15:
            # 1e308 written out would be 309 digits long: scientific notation, French comma.
            return (f"{value:.3g}".replace(".", ",").replace("inf", "∞")
                    .replace("-", "−"))
        return format_number(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != dt.time() else \
            value.strftime("%d/%m/%Y")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value).strip()
    return text if len(text) <= 80 else text[:77] + "…"


def format_number(value: float, decimals: int | None = None) -> str:
    """`1234.5` -> `1 234,5` (narrow no-break space between thousands, decimal comma)."""
    if decimals is None:
        text = f"{float(value):,.6f}".rstrip("0").rstrip(".")
    else:
        text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


@dataclass(frozen=True)
class Problem:
    """One problem found in a file: catalogue code, French message and where it is."""

    code: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    severity: str = ERREUR

    @property
    def is_error(self) -> bool:
        """Whether the problem blocks the import (a warning does not)."""
        return self.severity == ERREUR

    def as_line(self) -> str:
        """The problem as one French sentence, location first:
        « Feuille « ALSH », ligne 12, colonne « Places » : nombre attendu, « douze » trouvé. »"""
        where = []
        if self.sheet:
            where.append(f"Feuille « {self.sheet} »")
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        message = self.message.rstrip(".")
        if not where:
            return message[:1].upper() + message[1:] + "."
        where[0] = where[0][:1].upper() + where[0][1:]
        return f"{', '.join(where)} : {message}."


def problem(code: str, *, sheet=None, row=None, column=None, value=None, **params) -> Problem:
    """A `Problem` of catalogue type `code`, its message filled from the template
    (`{value}` is the cell value formatted the French way; other placeholders from `params`)."""
    kind = CATALOGUE[code]
    # An unknown bound (a CTG without end date…) reads as an ellipsis, never as "None".
    params = {k: "…" if v is None else v for k, v in params.items()}
    message = kind.template.format(value=format_value(value), sheet=sheet, row=row,
                                   column=column, **params)
    return Problem(code=code, message=message, sheet=sheet, row=row, column=column, value=value,
                   severity=kind.severity)


class CatalogueError(Exception):
    """An exception whose text is for people: `message`, one French sentence filled from the
    catalogue entry `code`. `of(code, **params)` raises it from its entry; subclasses say which
    part of the app failed (file, database, open data, chart images)."""

    default_code = "fichier_corrompu"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    @classmethod
    def of(cls, code: str, /, **params):
        """The exception for catalogue entry `code`, its message filled from `params`."""
        return cls(CATALOGUE[code].template.format(**params), code)


class UnreadableFile(CatalogueError):
    """The file cannot be read at all (not a workbook, empty, corrupt, too large, too slow).
    `message` is one clear French sentence; the CLI exits with code 2."""


def problems_table(problems) -> pd.DataFrame:
    """The problems as a table for people: Gravité, Feuille, Ligne, Colonne, Valeur, Message."""
    import pandas as pd  # imported here so the reading worker process stays light

    rows = [{"Gravité": "Erreur" if p.severity == ERREUR else "Avertissement",
             "Feuille": p.sheet, "Ligne": p.row, "Colonne": p.column,
             "Valeur": format_value(p.value) or None, "Message": p.message}
            for p in problems]
    table = pd.DataFrame(rows, columns=["Gravité", "Feuille", "Ligne", "Colonne", "Valeur",
                                        "Message"])
    table["Ligne"] = table["Ligne"].astype("Int64")
    for name in ("Gravité", "Feuille", "Colonne", "Valeur", "Message"):
        table[name] = table[name].astype(object).where(table[name].notna(), None)
    return table
