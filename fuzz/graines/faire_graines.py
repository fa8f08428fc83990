#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from real files:
the open data in ../shared/data/lieux (a few records each), tests/data/regional, and the
payloads the tests and docs show. Run from the repository root:
    python3 fuzz/graines/faire_graines.py
Each target's seeds stay small (a few KB)."""
import json, os, struct, sys

RACINE = os.getcwd()
DONNEES = os.path.join(RACINE, "..", "shared", "data", "lieux")
if not os.path.isdir(DONNEES):
    DONNEES = "/work/shared/data/lieux"
CORPUS = os.path.join(RACINE, "fuzz", "corpus")


def ecrire(cible, nom, contenu):
    d = os.path.join(CORPUS, cible)
    os.makedirs(d, exist_ok=True)
    if isinstance(contenu, str):
        contenu = contenu.encode()
    with open(os.path.join(d, nom), "wb") as f:
        f.write(contenu)


def lignes(chemin, n):
    with open(chemin, encoding="utf-8") as f:
        return "".join(f.readline() for _ in range(n))


def premiers_json(chemin, n):
    with open(chemin, encoding="utf-8") as f:
        return json.dumps(json.load(f)[:n], ensure_ascii=False, indent=1)


# Places: France Services CSV, v0/v1 JSON, GeoJSON, data·inclusion, v1 CSV.
fs = lignes(os.path.join(DONNEES, "france-services_2022-12-01.csv"), 4)
ecrire("import_france_services", "france_services.csv", fs)
jsons = {}
for nom in ["hinaura_2021.json", "conseillers-numeriques_lieux_2022-07.json", "nouvelle-caledonie_2024-03.json"]:
    jsons[nom] = premiers_json(os.path.join(DONNEES, nom), 2)
    ecrire("import_json", nom, jsons[nom])
with open(os.path.join(DONNEES, "hauts-de-france_2022-11.geojson"), encoding="utf-8") as f:
    g = json.load(f)
g["features"] = g["features"][:2]
geojson = json.dumps(g, ensure_ascii=False)
ecrire("import_geojson", "hauts_de_france.geojson", geojson)
di = {
    "structures": [{
        "id": "dora--s1", "source": "dora", "nom": "Médiathèque Cabanis", "siret": "21310555400017",
        "commune": "Toulouse", "code_postal": "31000", "code_insee": "31555",
        "adresse": "1 allée Jacques Chaban-Delmas", "latitude": 43.6112, "longitude": 1.4527,
        "telephone": "05 62 27 40 00", "courriel": "contact@exemple.fr", "site_web": "https://exemple.fr",
        "horaires_accueil": "Mo-Fr 10:00-18:00", "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/x",
        "reseaux_porteurs": ["france-services"], "date_maj": "2024-03-01", "thematiques": ["numerique"],
    }],
    "services": [{
        "id": "dora--v1", "source": "dora", "structure_id": "dora--s1", "nom": "Aide numérique",
        "thematiques": ["numerique--realiser-des-demarches-administratives"], "frais": "gratuit",
        "publics": ["seniors-65"], "modes_accueil": ["en-presentiel", "a-distance"],
        "modes_mobilisation": ["telephoner"], "lien_mobilisation": "https://exemple.fr/rdv", "type": "accompagnement",
    }],
}
di_txt = json.dumps(di, ensure_ascii=False, indent=1)
ecrire("import_data_inclusion", "structures_services.json", di_txt)
ecrire("import_data_inclusion", "structures.json", json.dumps(di["structures"], ensure_ascii=False))
champs = ["id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "complement_adresse",
          "latitude", "longitude", "typologie", "telephone", "courriels", "site_web", "horaires",
          "presentation_resume", "presentation_detail", "source", "itinerance", "structure_parente",
          "date_maj", "services", "publics_specifiquement_adresses", "prise_en_charge_specifique",
          "frais_a_charge", "dispositif_programmes_nationaux", "formations_labels",
          "autres_formations_labels", "modalites_acces", "modalites_accompagnement",
          "fiche_acces_libre", "prise_rdv"]
ligne = {
    "id": "cd31-1", "pivot": "21310555400017", "nom": "Médiathèque Cabanis", "commune": "Toulouse",
    "code_postal": "31000", "code_insee": "31555", "adresse": "1 allée Jacques Chaban-Delmas",
    "latitude": "43.6112", "longitude": "1.4527", "typologie": "BIB", "telephone": "+33562274000",
    "courriels": "contact@exemple.fr", "site_web": "https://exemple.fr",
    "horaires": "Tu-Sa 10:00-19:00", "presentation_resume": "Ateliers numériques",
    "source": "cd31", "itinerance": "Fixe", "date_maj": "2024-03-01",
    "services": "Aide aux démarches administratives|Maîtrise des outils numériques du quotidien",
    "publics_specifiquement_adresses": "Seniors", "frais_a_charge": "Gratuit",
    "dispositif_programmes_nationaux": "Conseillers numériques", "formations_labels": "",
    "modalites_acces": "Se présenter", "modalites_accompagnement": "Seul|Avec de l'aide",
}
v1 = ",".join(champs) + "\n" + ",".join('"' + ligne.get(c, "").replace('"', '""') + '"' for c in champs) + "\n"
ecrire("import_v1_csv", "v1.csv", v1)
ecrire("import_v1_csv", "v1_point_virgule.csv", v1.replace(",", ";"))
for cible, nom, contenu in [("import_auto", "france_services.csv", fs), ("import_auto", "v1.csv", v1),
                            ("import_auto", "hauts_de_france.geojson", geojson),
                            ("import_auto", "data_inclusion.json", di_txt)] + \
        [("import_auto", n, c) for n, c in jsons.items()]:
    ecrire(cible, nom, contenu)

# Column mapping: the mapping of tests/data/regional and the first lines of its CSV files.
regional = os.path.join(RACINE, "tests", "data", "regional")
with open(os.path.join(regional, "lieux_numeriques_cd31.toml"), encoding="utf-8") as f:
    toml = f.read()
for nom in ["lieux_numeriques_cd31.csv", "lieux_numeriques_cd31_erreurs.csv"]:
    ecrire("correspondance", nom + ".txt", toml + "\n#==#\n" + lignes(os.path.join(regional, nom), 6))
    ecrire("correspondance_proposer", nom, lignes(os.path.join(regional, nom), 6))

# Opening hours.
for i, h in enumerate(["Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00", "Tu-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00",
                       "Mo 09:00-12:00; PH off", "du lundi au vendredi 9h-12h et 14h-17h", "24/7",
                       "Mo-Fr 9h-12h/14h-17h", "Mo,We 08:30-12:00; Tu off; \"sur rendez-vous\""]):
    ecrire("horaires_osm", f"h{i}", h)
for i, jours in enumerate([
        ["09:00 - 12:00 / 13:30 - 17:00"] * 4 + ["09:00 - 12:00 / 13:30 - 16:00", "", ""],
        ["8h30-12h", "fermé", "14h-17h", "8h30 - 12h / 13h30 - 17h30", "9h-12h", "9h-12h", "Fermé"],
        ["09:30 - 16:30"] * 5 + ["sur rendez-vous", ""]]):
    ecrire("horaires_jours", f"j{i}", "\n".join(jours))

# Phones: postal code on the first line.
for i, t in enumerate(["01200\n04 50 56 87 49", "98800\n44 57 28", "\n+33 (0)4 50 56 87 49", "97400\n0262 12 34 56",
                       "\n0033 4 50 56 87 49 / 06 12 34 56 78", "97500\n41 23 45", "\n450568749"]):
    ecrire("telephone", f"t{i}", t)

# Coop CSV export (the columns of REFERENTIELS.md §1.4, as the app test writes them).
entete = "Date;Enregistré le;Type;Participants;Canaux d’accompagnement;Nom du lieu;Commune;Code Insee;Durée (min);Nom de l’atelier;Matériel numérique utilisé;Thématique(s) d’accompagnement;Tags;Niveau d’autonomie (ou de l’atelier);Structure de redirection;Tranche d’âge du bénéficiaire;Statut du bénéficiaire;Genre du bénéficiaire;Notes supplémentaires;ID CRA"
coop = entete + "\n" + \
    "12/03/2026;12/03/2026;Accompagnement individuel;1;Lieu d’activité;Médiathèque Cabanis;Toulouse;31555;45;;Ordinateur, Téléphone;E-mail, Logement;;Autonome;;70 ans et plus;Retraité;Femme;RDV CAF;c1\n" + \
    "14/03/2026;14/03/2026;Atelier collectif;8;À domicile;;Muret;31395;120;Arnaques en ligne;Tablette;Prévention en sécurité numérique;seniors;Débutant;;60 - 69 ans;Retraité;;;c2\n" + \
    "31/02/2026;;Accompagnement individuel;1;À distance;;;31555;45;;;E-mail;;;;;;;;\n"
ecrire("import_coop", "coop.csv", coop)
ecrire("import_coop", "coop_virgule.csv", coop.replace(";", ","))

# PostgreSQL binary COPY page of the journal (11 columns), as `copie.rs`'s test builds it.
def champ(b):
    return struct.pack(">i", -1) if b is None else struct.pack(">i", len(b)) + b
page = b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0)
for seq in (1, 2):
    page += struct.pack(">h", 11)
    page += champ(struct.pack(">q", seq)) + champ(struct.pack(">q", 1_763_000_000_000_000 + seq))
    page += champ(b"signature") + champ(b"compte:3") + champ(struct.pack(">q", 7))
    page += champ(struct.pack(">q", 42) if seq == 1 else None) + champ(b"usager" if seq == 1 else None)
    page += champ(b"caf,impots") + champ(b"{}") + champ(bytes(32)) + champ(bytes([seq]) * 32)
page += struct.pack(">h", -1)
ecrire("copie_page", "page_2_entrees", page)
ecrire("copie_page", "page_vide", b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0) + struct.pack(">h", -1))

# Offline payloads.
ecrire("synchro_pointages", "lot.json", json.dumps({
    "appareil": "0f8fad5b-d9cb-469f-a165-70867728950e", "rendre": True,
    "pointages": [
        {"uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "session": 3,
         "inscription": "16fd2706-8baf-433b-82eb-8c7fada847da", "heure": "2026-11-20T10:02:00+01:00"},
        {"uuid": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "session": 3, "tranche_age": "60_69",
         "statut": "retraite", "besoin": "Aide aux démarches administratives", "heure": "2026-11-20T10:05:00Z"}]}))
ecrire("synchro_enquete", "lot.json", json.dumps({
    "visites": [
        {"uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "adresse_id": 4, "issue": "absent", "at": "2026-11-20T10:02:00Z"},
        {"uuid": "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "adresse_id": 6, "issue": "fait", "revisite": "2026-11-27",
         "at": "2026-11-20T10:05:00+01:00"}],
    "questionnaires": [
        {"uuid": "16fd2706-8baf-433b-82eb-8c7fada847da", "questionnaire_id": 1, "commune": "31555",
         "iris": "315550101", "at": "2026-11-20T10:20:00Z",
         "reponses": {"foyer_moins_18": 0, "foyer_18_59": 1, "foyer_60_74": 1, "foyer_75_plus": 0, "age": "60-74", "equipement": ["smartphone", "ordinateur"], "internet_domicile": "oui_bonne", "internet_3mois": True, "competences_information": ["chercher_info"], "competences_communication": ["courriel", "messagerie"], "competences_resolution": ["achat_banque"], "competences_logiciels": ["photo_video"]}}]}))
for i, c in enumerate([{"nonce": "caisse-1-000123"}, {"nonce": "caisse-1-000124", "activite": 12},
                       {"nonce": "k", "activite": None, "hors_ligne_le": "2026-11-20T14:30:00+01:00"}]):
    ecrire("pass_utilisation", f"u{i}", json.dumps(c))
ecrire("import_evenement", "evenement.json", """{
    "titre": "Village numérique de Muret", "type": "etape_tournee", "commune": "31395",
    "adresse": "Place de la République", "debut": "2030-06-12T09:00:00+02:00",
    "fin": "2030-06-12T17:00:00+02:00", "accessibilite": {"mobilite": "Plain-pied"},
    "id": 12, "commune_nom": "Muret",
    "sessions": [
        {"titre": "Casque VR", "type": "realite_virtuelle", "debut": "2030-06-12T10:00:00",
         "fin": "2030-06-12T11:00:00", "capacite": 8, "jauge": "casques", "places_libres": 3},
        {"titre": "Quiz arnaques", "type": "quiz", "debut": "2030-06-12T14:00:00",
         "fin": "2030-06-12T15:00:00", "capacite": 30, "salle": "Salle des fêtes"}]}""")
ecrire("enquete_adresses", "adresses.txt",
       "commune;adresse;iris;compte\n31555;12 rue des Lois;315550101;1\n31069;3 place du Marché\n31555;5 rue Alsace;;2\n")
print("graines écrites dans", CORPUS)
