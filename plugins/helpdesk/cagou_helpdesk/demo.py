"""Demonstration data of the helpdesk: the lockdown as the user-assistance bureau lived it.

Two groups of technicians (the user-assistance bureau, ``BAU``, and the
infrastructure bureau, ``INFRA``), the category tree, knowledge-base
articles, canned answers, forty agents of the Province Sud who ask for help,
and six weeks of tickets ending now (the platform's clock): two ordinary
weeks (about 110 tickets), then the first week of lockdown (about 450, VPN
and laptops first, with the morning the VPN fell over: one major incident
and fifteen duplicates linked to it), then the slow return to normal. They
are calendar weeks, Monday to Sunday in the platform's time zone, as the
dashboard counts them: the last one is the current week, drawn up to now
only (on a Monday morning it holds a handful of tickets).

The history is computed, not recorded: a seeded random generator draws when
each ticket came in (office hours, few at night and at weekends), what it
was about, how long the bureau took to answer and to solve it in business
hours (longer while the backlog lasted), and where it stands now. Due dates
are those :func:`cagou_helpdesk.services.set_service_levels` gives, from the
configured priority matrix, service levels and calendar, pushed back by the
time a ticket waited, as :func:`~cagou_helpdesk.services.shift_due_dates`
does. The same clock gives the same tickets.

Tickets, messages and the agents who never sign in are inserted in bulk
(one ``INSERT`` executed for many rows), because the browser tests load the
demonstration before each test: that bypasses the services, so this history
has **no audit entries and sent no mail** — the audit log and the outbox
start with the demonstration's first real action. The people who sign in
(technicians, managers) are created through ``IAccounts``, with their
passwords checked and their creation audited like any account.

Loading is idempotent: what exists is left as it is (groups by code,
categories by path, articles and canned answers by title, accounts by
login), and the ticket history is added only when none of the demonstration
agents has a ticket yet.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from pyramid.request import Request
from zope.sqlalchemy import mark_changed

from cagou.kit import AGENT, Base, IAccounts, NewAccount
from cagou_helpdesk import settings as helpdesk_settings
from cagou_helpdesk.calendar import BusinessCalendar
from cagou_helpdesk.models import (
    ASSIGNED,
    CLOSED,
    IN_PROGRESS,
    MAIL,
    NEW,
    NOTE,
    PHONE,
    REPLY,
    RESOLVED,
    WAITING,
    WAITING_FOR_REQUESTER,
    WAITING_FOR_THIRD_PARTY,
    WEB,
    Article,
    CannedAnswer,
    Category,
    Group,
    Member,
    Message,
    Ticket,
)
from cagou_helpdesk.services import now, priority_matrix, service_levels

#: The roles of cagou_helpdesk.hooks (which imports this module: named here to avoid a cycle).
TECHNICIAN = "helpdesk:technician"
MANAGER = "helpdesk:manager"
ADMINISTRATOR = "helpdesk:admin"

SEED = 2020
DEMO_AGENT = "agent"
DOMAIN = "province-sud.example.nc"

# ---------------------------------------------------------------------------
# The bureau
# ---------------------------------------------------------------------------

GROUPS: dict[str, str] = {
    "BAU": "Bureau de l'assistance aux utilisateurs",
    "INFRA": "Bureau des infrastructures",
}


@dataclass(frozen=True)
class Staff:
    """A person of the IT directorate; ``password`` None: created in bulk, never signs in."""

    login: str
    display_name: str
    directorate: str
    role: str
    group: str | None = None
    manages: str | None = None
    password: str | None = None
    #: How many of the group's tickets this person takes, relative to the others.
    share: int = 2


# The passwords are for the demonstration only, listed in the README like the core's (cagou.demo).
STAFF: tuple[Staff, ...] = (
    # The core's demonstration account (cagou.demo): made a technician of the bureau here.
    Staff("technicien", "Marc Kasarhérou", "DSI-BAU", TECHNICIAN, group="BAU", share=3),
    Staff("technicienne", "Léa Wénéhoua", "DSI-BAU", TECHNICIAN, group="BAU", password="demo-technicienne-2026", share=3),  # noqa: S106, E501
    Staff("responsable", "Sandrine Gope", "DSI-BAU", MANAGER, manages="BAU", password="demo-responsable-2026", share=1),  # noqa: S106
    Staff("reseau", "Kévin Hnawia", "DSI-BI", TECHNICIAN, group="INFRA", password="demo-reseau-2026", share=3),  # noqa: S106
    Staff("j.tauvale", "Jonathan Tauvale", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("m.nguyen", "Mélanie Nguyen", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("y.ouetcho", "Yannick Ouetcho", "DSI-BAU", TECHNICIAN, group="BAU"),
    Staff("s.waia", "Samuel Waia", "DSI-BI", TECHNICIAN, group="INFRA", share=3),
    Staff("t.lecomte", "Thierry Lecomte", "DSI-BI", MANAGER, manages="INFRA", share=1),
)  # fmt: skip

#: The agents who ask for help (name, directorate); they never sign in, the demo ``agent`` does.
REQUESTERS: tuple[tuple[str, str], ...] = (
    ("Anne-Marie Bouchet", "DEFE-SAE"),
    ("Joseph Wakaine", "DEFE-SAE"),
    ("Nadia Ben Saïd", "DEFE-SAE"),
    ("Vaea Teriitehau", "DEFE-SAE"),
    ("Tevita Falakika", "DEFE-SAE"),
    ("Christelle Naouna", "DEFE-SFP"),
    ("Sandra Mercier", "DEFE-SFP"),
    ("Corinne Siapo", "DEFE-SFP"),
    ("Rémi Delathière", "DEFE"),
    ("Frédéric Poitier", "DEFE"),
    ("Françoise Tuilagi", "DFI-SB"),
    ("Thomas Giraud", "DFI-SB"),
    ("Agnès Dang", "DFI-SB"),
    ("Éric Lataï", "DFI-SC"),
    ("Hélène Mulikihaamea", "DFI-SC"),
    ("Manuela Sione", "DFI-SC"),
    ("Vincent Tran", "DFI"),
    ("Ahmed Boukhari", "DFI"),
    ("Mireille Hmae", "DRHFPP-SGP"),
    ("Nathalie Sihaze", "DRHFPP-SGP"),
    ("Laurent Berthier", "DRHFPP"),
    ("Pierre-Yves Le Guen", "DRHFPP"),
    ("Gaëlle Kaouma", "DRHFPP-SGP"),
    ("Patrick Soeryadi", "DJA"),
    ("Isabelle Roche", "DJA"),
    ("Lionel Ihage", "DJA"),
    ("Béatrice Wanabo", "DJA"),
    ("Henri Wejieme", "DJA"),
    ("Jean-Pierre Falelavaki", "DPASS"),
    ("Martine Bearune", "DPASS"),
    ("Stéphane Lopez", "DPASS"),
    ("Céline Nguyen Van", "DPASS"),
    ("Didier Wamo", "DPASS"),
    ("Marie-Claude Nemia", "DPASS"),
    ("Romain Cuénot", "SG"),
    ("Olivier Chaverot", "SG"),
    ("Aurélie Wahéo", "SG"),
    ("Catherine Trolue", "DFI-SC"),
    ("Louise Kecine", "DEFE-SFP"),
    ("Julien Forest", "DRHFPP"),
)


def login_of(display_name: str) -> str:
    """``Pierre-Yves Le Guen`` → ``pierre-yves.le-guen``: first name, a dot, then the name, unaccented."""
    plain = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode().lower()
    first, _, last = plain.partition(" ")
    return f"{first}.{last.replace(' ', '-')}"


# ---------------------------------------------------------------------------
# Categories, articles, canned answers
# ---------------------------------------------------------------------------

#: Every node, parents first, with the group whose queue receives its tickets (children inherit it).
CATEGORIES: tuple[tuple[str, str | None], ...] = (
    ("Matériel", "BAU"),
    ("Matériel > Ordinateur portable", None),
    ("Matériel > Poste fixe", None),
    ("Matériel > Imprimante", None),
    ("Réseau", "INFRA"),
    ("Réseau > VPN", None),
    ("Réseau > Wi-Fi", None),
    ("Logiciels", "BAU"),
    ("Logiciels > Bureautique", None),
    ("Logiciels > Applications métier", None),
    ("Comptes et accès", "BAU"),
    ("Comptes et accès > Mot de passe", None),
    ("Comptes et accès > Droits", None),
    ("Téléphonie", "INFRA"),
    ("Visioconférence", "BAU"),
    # Where requests mailed to the helpdesk land (helpdesk.mail_category) until a technician files them.
    ("Autre", "BAU"),
)

#: The leaves tickets are filed under, by a short key.
TOPICS: dict[str, str] = {
    "portable": "Matériel > Ordinateur portable",
    "fixe": "Matériel > Poste fixe",
    "imprimante": "Matériel > Imprimante",
    "vpn": "Réseau > VPN",
    "wifi": "Réseau > Wi-Fi",
    "bureautique": "Logiciels > Bureautique",
    "metier": "Logiciels > Applications métier",
    "mdp": "Comptes et accès > Mot de passe",
    "droits": "Comptes et accès > Droits",
    "telephonie": "Téléphonie",
    "visio": "Visioconférence",
}


@dataclass(frozen=True)
class DemoArticle:
    title: str
    category: str
    author: str
    body: str
    published: bool = True


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "Se connecter au VPN depuis chez soi",
        "Réseau > VPN",
        "reseau",
        "Le VPN (réseau privé virtuel) relie votre ordinateur au réseau de la Province depuis chez vous : "
        "lecteurs réseau, applications métier et intranet deviennent accessibles comme au bureau.\n\n"
        "1. Vérifiez que votre accès est ouvert : sinon, faites une demande dans la catégorie « Réseau > VPN ».\n"
        "2. Sur un ordinateur portable de la Province, le client VPN est déjà installé : cliquez sur l'icône "
        "en forme de cadenas près de l'horloge.\n"
        "3. Saisissez votre identifiant Windows et votre mot de passe, puis le code reçu par SMS.\n"
        "4. Attendez le message « Connecté » avant d'ouvrir Outlook ou vos dossiers.\n\n"
        "Si la connexion échoue : redémarrez votre box et l'ordinateur, vérifiez l'heure de l'ordinateur, "
        "puis réessayez. Si le message « Échec de l'authentification » persiste, votre mot de passe a "
        "peut-être expiré : voyez l'article sur le mot de passe.",
    ),
    DemoArticle(
        "Emprunter un ordinateur portable pour le télétravail",
        "Matériel > Ordinateur portable",
        "technicien",
        "La DSI prête des ordinateurs portables aux agents que leur chef de service place en télétravail.\n\n"
        "1. Faites la demande dans la catégorie « Matériel > Ordinateur portable » en indiquant votre service "
        "et un numéro de téléphone.\n"
        "2. Nous vous appelons pour fixer un rendez-vous de remise (accueil de la DSI, du lundi au vendredi, "
        "de 7 h 30 à 11 h 30).\n"
        "3. Venez avec votre carte professionnelle : vous signez la fiche de prêt, nous vérifions avec vous la "
        "connexion au VPN.\n\n"
        "L'ordinateur reste la propriété de la Province : rapportez-le avec son chargeur à la fin du télétravail.",
    ),
    DemoArticle(
        "Participer à une réunion Teams ou en visioconférence",
        "Visioconférence",
        "technicienne",
        "Pour rejoindre une réunion, cliquez sur le lien de l'invitation : Teams s'ouvre dans le navigateur si "
        "l'application n'est pas installée.\n\n"
        "- Avant la réunion, testez le micro et la caméra (Paramètres > Périphériques > Passer un appel de test).\n"
        "- Pas de son : vérifiez que le bon haut-parleur est choisi, et que le casque est branché avant d'ouvrir "
        "Teams.\n"
        "- Connexion faible : coupez votre caméra, le son passera mieux.\n"
        "- Plus de 50 participants, ou des invités extérieurs (communes, partenaires) : demandez une salle "
        "virtuelle à l'assistance deux jours avant.",
    ),
    DemoArticle(
        "Réinitialiser son mot de passe Windows",
        "Comptes et accès > Mot de passe",
        "technicien",
        "Votre mot de passe Windows sert aussi pour la messagerie et le VPN ; il expire tous les 90 jours.\n\n"
        "- Au bureau ou connecté au VPN : Ctrl + Alt + Suppr, puis « Modifier un mot de passe ».\n"
        "- Mot de passe expiré ou compte bloqué : appelez l'assistance au 20 30 40 ; après vérification de votre "
        "identité, nous vous donnons un mot de passe provisoire à changer dès la première connexion.\n\n"
        "Choisissez une phrase de plusieurs mots, sans lien avec votre nom, et ne la communiquez à personne, "
        "pas même à l'assistance.",
    ),
    DemoArticle(
        "Renvoyer sa ligne fixe vers son portable",
        "Téléphonie",
        "reseau",
        "Depuis votre poste fixe au bureau : composez *21* suivi du numéro de votre portable puis #.\n"
        "Pour annuler : #21#.\n\n"
        "Si vous êtes déjà chez vous, faites une demande dans la catégorie « Téléphonie » : le bureau des "
        "infrastructures active le renvoi à distance dans la journée.",
    ),
    DemoArticle(
        "Lire sa messagerie depuis l'extérieur",
        "Logiciels > Bureautique",
        "technicienne",
        "La messagerie professionnelle est accessible sans VPN depuis un navigateur, à l'adresse du webmail "
        "indiquée sur l'intranet. Identifiez-vous avec votre adresse professionnelle et votre mot de passe "
        "Windows.\n\n"
        "Sur un ordinateur personnel, ne cochez pas « Rester connecté » et fermez le navigateur à la fin.",
    ),
    DemoArticle(
        "Accéder à son poste du bureau à distance",
        "Matériel > Poste fixe",
        "technicien",
        "Certains logiciels ne sont installés que sur les postes du bureau. La prise en main à distance vous "
        "permet de les utiliser depuis chez vous :\n\n"
        "1. Laissez votre poste du bureau allumé (ne l'éteignez pas le soir).\n"
        "2. Connectez-vous au VPN.\n"
        "3. Ouvrez « Connexion Bureau à distance » et tapez le nom du poste, inscrit sur l'étiquette PS-… "
        "collée sur l'unité centrale.\n\n"
        "Si votre poste s'est éteint, faites une demande : un technicien sur site le rallumera.",
    ),
    DemoArticle(
        "Le Wi-Fi de la maison est lent : que vérifier ?",
        "Réseau > Wi-Fi",
        "reseau",
        "Rapprochez-vous de la box ou branchez un câble réseau, fermez les vidéos et les téléchargements des "
        "autres ordinateurs de la maison pendant vos réunions, et redémarrez la box une fois par semaine. "
        "Si votre débit reste sous 2 Mb/s, signalez-le à votre fournisseur d'accès.",
    ),
    DemoArticle(
        "Nouveau client VPN (brouillon)",
        "Réseau > VPN",
        "reseau",
        "À compléter quand la nouvelle version du client sera déployée sur les portables.",
        published=False,
    ),
)

CANNED_ANSWERS: dict[str, str] = {
    "Accusé de réception (forte affluence)": (
        "Bonjour,\n\nNous avons bien reçu votre demande. En raison du confinement, l'assistance reçoit beaucoup "
        "plus de demandes qu'à l'ordinaire : nous la traiterons dès que possible, par ordre de priorité.\n\n"
        "Merci de votre patience."
    ),
    "VPN : accès ouvert": (
        "Bonjour,\n\nVotre accès VPN est ouvert. Suivez l'article « Se connecter au VPN depuis chez soi » de la base "
        "de connaissances et dites-nous si la connexion fonctionne."
    ),
    "Portable prêt à retirer": (
        "Bonjour,\n\nVotre ordinateur portable est prêt. Vous pouvez le retirer à l'accueil de la DSI, du lundi au "
        "vendredi de 7 h 30 à 11 h 30, muni de votre carte professionnelle."
    ),
    "Mot de passe réinitialisé": (
        "Bonjour,\n\nVotre mot de passe a été réinitialisé : le mot de passe provisoire vous a été donné par "
        "téléphone. Changez-le dès votre première connexion."
    ),
    "Demande de précisions": (
        "Bonjour,\n\nPour avancer, pouvez-vous nous envoyer une capture d'écran du message d'erreur et le numéro "
        "inscrit sur l'étiquette PS-… de votre matériel ?"
    ),
    "Incident en cours": (
        "Bonjour,\n\nUn incident touche actuellement ce service ; nos équipes y travaillent. Votre demande est "
        "rattachée à l'incident principal : vous serez prévenu dès son rétablissement."
    ),
}

# ---------------------------------------------------------------------------
# What agents write, and what technicians answer
# ---------------------------------------------------------------------------

COMMUNES = ("Nouméa", "Dumbéa", "Le Mont-Dore", "Païta", "Bouloupari", "La Foa", "Bourail", "Thio", "Yaté")
ISPS = ("Lagoon", "Can'l", "Nautile", "MLS")
SERVICES = ("DEFE", "DFI", "DRHFPP", "DJA", "DPASS", "SG")
PRINTERS = ("IMP-DEFE-01", "IMP-DFI-02", "IMP-DJA-01", "IMP-DPASS-03")

#: Per topic: (title, description) the agents write.
REQUESTS: dict[str, tuple[tuple[str, str], ...]] = {
    "vpn": (
        ("Impossible de me connecter au VPN depuis chez moi",
         "Bonjour, depuis ce matin le client VPN affiche « Échec de l'authentification » quand je saisis mon "
         "identifiant Windows. Je suis en télétravail à {commune} et je n'ai accès à rien. Merci de votre aide."),
        ("Demande d'accès VPN pour le télétravail",
         "Bonjour, ma cheffe de service me demande de travailler depuis chez moi à partir de lundi. Pouvez-vous "
         "m'ouvrir un accès VPN ? Je dois accéder aux dossiers partagés de la {service}."),
        ("Le VPN se coupe toutes les dix minutes",
         "La connexion VPN tient quelques minutes puis se coupe, je dois tout relancer. J'ai une box {isp} "
         "à {commune}."),
        ("Lecteurs réseau absents une fois connecté au VPN",
         "Je suis bien connecté au VPN mais les lecteurs P: et S: n'apparaissent pas dans l'explorateur."),
        ("Code de validation du VPN non reçu",
         "Le VPN me demande un code envoyé par SMS mais je ne le reçois pas sur mon portable ({phone})."),
        ("Installer le VPN sur mon ordinateur personnel",
         "Est-il possible d'installer le VPN sur mon ordinateur personnel ? Je n'ai pas d'ordinateur portable "
         "de la Province."),
    ),
    "portable": (
        ("Demande de prêt d'un ordinateur portable",
         "Bonjour, je passe en télétravail et je n'ai qu'un poste fixe au bureau. Est-il possible d'emprunter un "
         "ordinateur portable ? Je suis joignable au {phone}."),
        ("Portable prêté : écran noir au démarrage",
         "Le portable que j'ai récupéré hier reste sur un écran noir après le logo. Je l'ai redémarré plusieurs "
         "fois."),
        ("Chargeur manquant avec le portable prêté",
         "Le portable prêté n'avait pas de chargeur dans la sacoche, la batterie est presque vide."),
        ("Portable très lent depuis la mise à jour",
         "Depuis la mise à jour de Windows, mon portable met plus de dix minutes à démarrer."),
        ("Touches du clavier qui ne répondent plus",
         "Plusieurs touches (A, Z, E) ne répondent plus sur mon ordinateur portable."),
        ("Deux agents pour un seul portable dans le service",
         "Nous sommes deux dans le service à devoir télétravailler et nous n'avons qu'un portable. Peut-on en "
         "obtenir un second ?"),
    ),
    "fixe": (
        ("Prise en main à distance de mon poste du bureau",
         "Je suis en télétravail à {commune} et j'ai besoin d'un logiciel installé uniquement sur mon poste du "
         "bureau. Pouvez-vous activer la prise en main à distance ?"),
        ("Mon poste ne démarre plus",
         "Mon ordinateur de bureau ne s'allume plus du tout, aucun voyant."),
        ("Deuxième écran non détecté",
         "Mon second écran n'affiche plus rien depuis ce matin ; le câble semble bien branché."),
        ("Poste du bureau éteint, impossible de m'y connecter",
         "On m'a demandé de laisser mon poste allumé pour m'y connecter à distance ; il s'est éteint cette nuit. "
         "Quelqu'un sur place peut-il le rallumer ?"),
    ),
    "imprimante": (
        ("Imprimante du 2e étage en bourrage",
         "L'imprimante {printer} affiche un bourrage papier permanent, même après avoir retiré la feuille."),
        ("Impossible d'imprimer en couleur",
         "Mes impressions sortent en noir et blanc alors que je choisis la couleur sur {printer}."),
        ("Ajouter l'imprimante du service sur mon poste",
         "Je viens de changer de bureau : pouvez-vous ajouter l'imprimante {printer} sur mon poste ?"),
        ("Toner noir vide",
         "Le toner noir de l'imprimante {printer} est vide."),
    ),
    "wifi": (
        ("Pas de Wi-Fi dans la salle de réunion",
         "Le Wi-Fi des agents ne capte pas dans la salle de réunion du rez-de-chaussée."),
        ("Connexion très lente depuis la maison",
         "Chez moi, à {commune}, tout est très lent dès que je suis sur le VPN : les pages mettent une minute à "
         "s'afficher."),
        ("Mot de passe du Wi-Fi invités",
         "Nous recevons des partenaires jeudi : quel est le mot de passe du Wi-Fi invités ?"),
    ),
    "bureautique": (
        ("Outlook ne synchronise plus",
         "Outlook reste « Déconnecté » et je ne reçois plus de courriels depuis ce matin."),
        ("Lire ma messagerie depuis chez moi",
         "Comment consulter ma messagerie professionnelle depuis mon ordinateur personnel ?"),
        ("Excel se ferme à l'ouverture d'un fichier",
         "Excel se ferme tout seul quand j'ouvre le tableau de suivi budgétaire de la {service}."),
        ("Licence Office expirée",
         "Word m'indique que la licence a expiré et passe en lecture seule."),
        ("Partager un dossier avec mon équipe",
         "Comment partager un dossier de mon espace personnel avec les collègues de mon service ?"),
    ),
    "metier": (
        ("Logiciel de paie inaccessible à distance",
         "Le logiciel de paie ne se lance pas depuis chez moi : message « serveur introuvable »."),
        ("Erreur à la validation d'un mandat",
         "Dans le logiciel financier, la validation d'un mandat renvoie une erreur. Des paiements de fournisseurs "
         "attendent."),
        ("Accès à l'application des aides aux entreprises",
         "Je dois instruire les dossiers du plan de soutien aux entreprises : pouvez-vous me donner accès à "
         "l'application ?"),
        ("Modèles de courriers introuvables",
         "Les modèles de courriers ont disparu du logiciel de gestion du courrier."),
    ),
    "mdp": (
        ("Mot de passe expiré",
         "Mon mot de passe a expiré pendant mes congés, je ne peux plus ouvrir de session."),
        ("Compte bloqué après plusieurs essais",
         "J'ai tapé plusieurs fois un mauvais mot de passe et mon compte est bloqué. Je suis joignable au {phone}."),
        ("Changer mon mot de passe en télétravail",
         "Mon mot de passe expire dans trois jours : comment le changer depuis chez moi ?"),
    ),
    "droits": (
        ("Accès au dossier partagé du service",
         "Je viens d'arriver à la {service} : pouvez-vous me donner accès au dossier partagé du service ?"),
        ("Droits d'administrateur pour installer un logiciel",
         "Je dois installer un logiciel de cartographie qui demande des droits d'administrateur."),
        ("Accès à la boîte aux lettres partagée",
         "Pouvez-vous m'ajouter à la boîte aux lettres partagée de l'accueil de la {service} ?"),
    ),
    "telephonie": (
        ("Renvoyer ma ligne fixe vers mon portable",
         "Je suis en télétravail : pouvez-vous renvoyer les appels de mon poste fixe vers mon portable ({phone}) ?"),
        ("Messagerie vocale pleine",
         "Ma messagerie vocale est pleine et je ne sais pas la vider à distance."),
        ("Plus de tonalité sur le téléphone de l'accueil",
         "Le téléphone de l'accueil de la {service} n'a plus de tonalité."),
    ),
    "visio": (
        ("Pas de son dans les réunions Teams",
         "Dans les réunions Teams, je vois les participants mais je n'entends rien."),
        ("Visioconférence avec les communes",
         "Je dois organiser une réunion en visioconférence avec les mairies de {commune} et de {commune2} : quel "
         "outil utiliser ?"),
        ("Caméra non reconnue",
         "Ma webcam n'est pas reconnue par Teams sur le portable prêté."),
        ("Réunion à plus de 50 participants",
         "Nous devons réunir 80 personnes en visio pour le comité de suivi : est-ce possible ?"),
    ),
}  # fmt: skip

#: Per topic: what the technician writes when the ticket is solved.
SOLUTIONS: dict[str, tuple[str, ...]] = {
    "vpn": (
        "Votre compte a été ajouté au groupe d'accès VPN « télétravail ». Installez le client en suivant l'article "
        "« Se connecter au VPN depuis chez soi », puis connectez-vous avec votre identifiant Windows.",
        "Le certificat de votre ordinateur avait expiré : je l'ai renouvelé à distance. Vous pouvez de nouveau "
        "vous connecter au VPN.",
        "Votre box coupait les connexions inactives : nous avons réglé le client VPN pour garder la connexion "
        "ouverte. Dites-nous si cela se reproduit.",
    ),
    "portable": (
        "Votre ordinateur portable est prêt : retirez-le à l'accueil de la DSI, muni de votre carte "
        "professionnelle. Le VPN et Teams sont installés.",
        "Nous avons échangé le portable défectueux ; l'ancien est parti en réparation chez le fournisseur.",
        "Le chargeur vous a été remis à l'accueil ce matin.",
    ),
    "fixe": (
        "La prise en main à distance de votre poste est activée ; laissez-le allumé et suivez l'article "
        "« Accéder à son poste du bureau à distance ».",
        "Le bloc d'alimentation de votre poste a été remplacé.",
        "Votre poste a été rallumé par un technicien sur site.",
    ),
    "imprimante": (
        "Le bourrage venait d'un galet usé, remplacé ce matin. L'imprimante fonctionne de nouveau.",
        "L'imprimante a été ajoutée sur votre poste.",
        "Le toner a été remplacé.",
    ),
    "wifi": (
        "Une borne Wi-Fi a été ajoutée dans la salle de réunion.",
        "Le mot de passe du Wi-Fi invités change chaque semaine : il vous a été communiqué par téléphone.",
        "Votre connexion est limitée par votre abonnement ; nous avons réduit la qualité vidéo par défaut de Teams.",
    ),
    "bureautique": (
        "Votre profil Outlook était corrompu : il a été recréé, vos courriels sont de nouveau synchronisés.",
        "La licence a été réactivée sur votre compte ; redémarrez Word.",
        "Le fichier était endommagé ; nous avons restauré la version de la veille.",
    ),
    "metier": (
        "Votre accès à l'application a été ouvert avec le profil « instructeur ».",
        "L'éditeur a corrigé l'anomalie ; le mandat a pu être validé.",
        "Le raccourci pointait vers l'ancien serveur : il a été corrigé sur votre poste.",
    ),
    "mdp": (
        "Votre mot de passe a été réinitialisé ; le mot de passe provisoire vous a été donné par téléphone.",
        "Votre compte est débloqué. Changez votre mot de passe en suivant l'article de la base de connaissances.",
    ),
    "droits": (
        "Les droits vous ont été donnés ; ils seront actifs à votre prochaine ouverture de session.",
        "Le logiciel a été installé par un technicien ; les droits d'administrateur ne sont pas accordés aux agents.",
    ),
    "telephonie": (
        "Le renvoi de votre ligne vers votre portable est actif.",
        "Votre messagerie vocale a été vidée ; le code d'accès vous a été envoyé par courriel.",
        "Le câble du téléphone était débranché du mur ; la ligne fonctionne.",
    ),
    "visio": (
        "Le haut-parleur choisi dans Teams était celui de l'écran : nous avons choisi le casque.",
        "Une salle virtuelle a été réservée ; le lien a été envoyé aux participants.",
        "Le pilote de la caméra a été réinstallé.",
    ),
}

ACKNOWLEDGEMENTS = (
    "Bonjour,\n\nNous prenons votre demande en charge.{busy} Je reviens vers vous rapidement.",
    "Bonjour,\n\nVotre demande est en cours de traitement.{busy}",
    "Bonjour,\n\nJe regarde votre demande et je vous rappelle si besoin.{busy}",
)
BUSY = " En raison du confinement, nous recevons beaucoup de demandes : merci de votre patience."
QUESTIONS = (
    "Bonjour,\n\nPouvez-vous m'envoyer une capture d'écran du message d'erreur ?",
    "Bonjour,\n\nPouvez-vous me donner le numéro inscrit sur l'étiquette PS-… de votre matériel ?",
    "Bonjour,\n\nÀ quel numéro et à quelle heure puis-je vous joindre pour une prise en main à distance ?",
    "Bonjour,\n\nLe problème se produit-il aussi sur un autre poste, ou seulement sur le vôtre ?",
)
ANSWERS = (
    "Voici la capture d'écran demandée.",
    "L'étiquette indique PS-{number:05d}.",
    "Je suis joignable cet après-midi au {phone}.",
    "Seulement sur mon poste, mes collègues n'ont pas le problème.",
)
THIRD_PARTY = (
    "Bonjour,\n\nVotre demande nécessite une intervention du fournisseur : nous l'avons sollicité et vous tenons "
    "informé.",
    "Bonjour,\n\nNous avons transmis l'anomalie à l'éditeur du logiciel et attendons sa réponse.",
)
THIRD_PARTY_NOTES = (
    "Commande passée chez le fournisseur (bon n° {number}), livraison annoncée sous dix jours.",
    "Anomalie transmise à l'éditeur (ticket fournisseur {number}).",
)
THIRD_PARTY_BACK = ("Matériel reçu du fournisseur ce matin.", "Correctif reçu de l'éditeur, à installer.")
NOTES: dict[str, tuple[str, ...]] = {
    "portable": (
        "Portable PC-{number:04d} préparé (image télétravail, VPN, Teams), fiche de prêt imprimée.",
        "Stock de portables à prêter : {stock} restants.",
    ),
    "vpn": (
        "Compte ajouté au groupe GG-VPN-Teletravail. Licences VPN restantes sur le concentrateur : {stock}.",
        "Client VPN réinstallé à distance, certificat renouvelé.",
    ),
    "": (
        "Vu avec l'agent par téléphone.",
        "Même souci signalé la semaine dernière sur ce poste.",
        "Prise en main à distance faite avec l'accord de l'agent.",
    ),
}
REOPENINGS = (
    "Le problème est revenu ce matin, même message qu'avant.",
    "Cela a fonctionné une journée puis plus rien.",
)
RATING_COMMENTS: dict[int, tuple[str, ...]] = {
    5: ("Très réactif, merci !", "Rapide et efficace.", "Merci pour votre patience au téléphone.", ""),
    4: ("Résolu, merci.", "Un peu d'attente mais bien expliqué.", ""),
    3: ("Résolu, mais il a fallu relancer.", ""),
    2: ("Plusieurs jours d'attente pour un simple accès.",),
    1: ("Toujours pas satisfait de la solution proposée.",),
}

# ---------------------------------------------------------------------------
# The shape of the six weeks
# ---------------------------------------------------------------------------

#: Tickets opened in each of the six weeks, oldest first: the 3rd is the first week of lockdown.
WEEKLY_TICKETS = (108, 113, 452, 296, 204, 161)
PEAK_WEEK = 2
#: How much the lockdown weighs on each week (0: an ordinary week, 1: the first week of lockdown).
LOCKDOWN = (0.0, 0.0, 1.0, 0.8, 0.6, 0.45)
#: What agents ask about in an ordinary week, and in the first week of lockdown.
ORDINARY_TOPICS = {
    "portable": 8, "fixe": 14, "imprimante": 14, "vpn": 5, "wifi": 4, "bureautique": 16,
    "metier": 13, "mdp": 13, "droits": 7, "telephonie": 4, "visio": 2,
}  # fmt: skip
LOCKDOWN_TOPICS = {
    "portable": 26, "fixe": 5, "imprimante": 1, "vpn": 30, "wifi": 5, "bureautique": 7,
    "metier": 5, "mdp": 7, "droits": 3, "telephonie": 5, "visio": 10,
}  # fmt: skip
#: (urgency, impact): weight.
URGENCY_IMPACT = {(2, 1): 55, (1, 1): 12, (3, 1): 18, (2, 2): 8, (3, 2): 4, (1, 2): 2, (2, 3): 0.5, (3, 3): 0.5}
#: When tickets come in: weight of each local hour on a working day (weekends and holidays much less).
HOURLY = (
    0.01, 0.01, 0.01, 0.01, 0.01, 0.02, 0.1, 0.6, 1.0, 0.9, 0.8, 0.5,
    0.4, 0.8, 0.7, 0.6, 0.3, 0.1, 0.05, 0.05, 0.05, 0.03, 0.02, 0.01,
)  # fmt: skip
#: Median delays of the bureau in business minutes, by priority, in an ordinary week.
FIRST_RESPONSE_MINUTES = {1: 15, 2: 35, 3: 110, 4: 220}
WORK_MINUTES = {1: 90, 2: 240, 3: 480, 4: 720}
#: The major incident: how many agents write in about it.
INCIDENT_DUPLICATES = 15
#: The closing job runs at a quarter past every hour (cagou_helpdesk.hooks), the breach job every 5 minutes.
CLOSING_MINUTE = 15
BREACH_JOB_MINUTES = 5

# ---------------------------------------------------------------------------
# Planning the history (no database: a pure function of the clock and the settings)
# ---------------------------------------------------------------------------

#: An event still to come: later than any instant of the history.
FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)
#: Stands for the ticket's requester among message authors (the requester is chosen after planning).
REQUESTER = ""


@dataclass
class PlannedMessage:
    author: str
    kind: str
    body: str
    created_at: datetime.datetime
    source: str = WEB


@dataclass
class PlannedTicket:
    week: int
    topic: str
    title: str
    description: str
    urgency: int
    impact: int
    priority: int
    source: str
    requester: str
    opened_by: str
    group: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    first_response_due: datetime.datetime
    resolution_due: datetime.datetime
    status: str = NEW
    contact_phone: str | None = None
    assignee: str | None = None
    priority_reason: str | None = None
    waiting_for: str | None = None
    first_response_at: datetime.datetime | None = None
    resolved_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    paused_since: datetime.datetime | None = None
    breach_notified_at: datetime.datetime | None = None
    reopened: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    #: "parent" for the major incident, "child" for the duplicates linked to it.
    incident: str = ""
    messages: list[PlannedMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Rules:
    """What the helpdesk is configured with: the same rules as the services apply."""

    calendar: BusinessCalendar
    matrix: dict[tuple[int, int], int]
    levels: dict[int, tuple[int, int]]
    reopen_days: int


def weeks_until(
    instant: datetime.datetime, zone: zoneinfo.ZoneInfo
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The six weeks as UTC bounds: calendar weeks from Monday 00:00 in ``zone``, the last one cut at ``instant``.

    Calendar weeks, not the seven days before now: the dashboard counts weeks
    from Monday (Nouméa time), so the lockdown week must be one of them
    whatever the day the demonstration is loaded, or its peak view would see
    it split in two.
    """
    today = instant.astimezone(zone).date()
    first = today - datetime.timedelta(days=today.weekday(), weeks=len(WEEKLY_TICKETS) - 1)
    mondays = [first + datetime.timedelta(weeks=week) for week in range(len(WEEKLY_TICKETS) + 1)]
    starts = [datetime.datetime.combine(day, datetime.time(), tzinfo=zone).astimezone(datetime.UTC) for day in mondays]
    return [(start, min(stop, instant)) for start, stop in itertools.pairwise(starts)]


class Planner:
    """Draws the six weeks of tickets, deterministically for a given clock."""

    def __init__(
        self,
        instant: datetime.datetime,
        rules: Rules,
        requesters: Sequence[str],
        queues: dict[str, str] | None = None,
        seed: int = SEED,
    ) -> None:
        self.now = instant.astimezone(datetime.UTC)
        self.rules = rules
        self.calendar = rules.calendar
        self.requesters = list(requesters)
        #: topic -> the code of the group whose queue receives its tickets (services.group_for).
        self.queues = queues or {topic: default_queue(TOPICS[topic]) for topic in TOPICS}
        self.chance = random.Random(seed)  # noqa: S311  (demonstration data, not a secret)
        self.members: dict[str, list[Staff]] = {
            code: [p for p in STAFF if p.group == code or p.manages == code] for code in GROUPS
        }

    # -- the whole history --------------------------------------------------

    def plan(self) -> list[PlannedTicket]:
        tickets: list[PlannedTicket] = []
        for week, (week_start, week_stop) in enumerate(weeks_until(self.now, self.calendar.timezone)):
            # The current week is drawn up to now only, with the share of its tickets already come in.
            regular = round(WEEKLY_TICKETS[week] * self.share_before(week, week_start, week_stop))
            if week == PEAK_WEEK:
                incident = self.incident(week, week_start)
                tickets += incident
                regular -= len(incident)
            for _ in range(regular):
                tickets.append(self.ticket(week, self.arrival(week, week_start, week_stop)))
        tickets.sort(key=lambda ticket: ticket.created_at)
        return tickets

    def weight(self, week: int, instant: datetime.datetime) -> float:
        """How likely a ticket comes in at ``instant``: office hours mostly, Mondays more, nights, weekends little."""
        local = instant.astimezone(self.calendar.timezone)
        weight = HOURLY[local.hour] * (1.2 if local.isoweekday() == 1 else 1.0)
        if not self.calendar.is_working_day(local.date()):
            weight *= 0.06 + 0.1 * LOCKDOWN[week]
        return weight

    def share_before(self, week: int, week_start: datetime.datetime, stop: datetime.datetime) -> float:
        """The share of a week's tickets that come in before ``stop``: 1 for a whole week, less for this one."""
        hour = datetime.timedelta(hours=1)
        total = before = 0.0
        for n in range(7 * 24):
            start = week_start + n * hour
            weight = self.weight(week, start)
            total += weight
            before += weight * min(max((stop - start) / hour, 0.0), 1.0)
        return before / total

    def arrival(self, week: int, week_start: datetime.datetime, stop: datetime.datetime) -> datetime.datetime:
        """When a ticket comes in, between the start of its week and ``stop`` (its end, or now)."""
        seconds = max(int((stop - week_start).total_seconds()), 1)
        while True:
            instant = week_start + datetime.timedelta(seconds=self.chance.randrange(seconds))
            if self.chance.random() * 1.2 < self.weight(week, instant):
                return instant

    def minutes(self, median: float, sigma: float) -> int:
        """A delay in business minutes around ``median`` (log-normal: most are short, a few very long)."""
        return max(5, round(self.chance.lognormvariate(math.log(median), sigma)))

    def at(self, start: datetime.datetime, minutes: float) -> datetime.datetime:
        return self.calendar.add(start, datetime.timedelta(minutes=minutes))

    def timeline(self, start: datetime.datetime, offsets: Sequence[int]) -> list[datetime.datetime]:
        """The instants ``offsets`` (increasing) business minutes after ``start``; :data:`FUTURE` after now.

        Each instant is added to the one before, so that the calendar walks
        the days once: ``add(add(s, a), b - a)`` is ``add(s, b)``.
        """
        instants, cursor, elapsed = [], start, 0
        for offset in offsets:
            if cursor is not FUTURE and offset > elapsed:
                cursor = self.at(cursor, offset - elapsed)
                cursor = cursor if cursor <= self.now else FUTURE
            elapsed = offset
            instants.append(cursor)
        return instants

    def phone(self) -> str:
        first = self.chance.choice("2457899")
        digits = [self.chance.randrange(10) for _ in range(5)]
        return f"{first}{digits[0]} {digits[1]}{digits[2]} {digits[3]}{digits[4]}"

    def fill(self, text: str) -> str:
        communes = self.chance.sample(COMMUNES, 2)
        return text.format(
            commune=communes[0], commune2=communes[1], service=self.chance.choice(SERVICES),
            isp=self.chance.choice(ISPS), printer=self.chance.choice(PRINTERS), phone=self.phone(),
            number=self.chance.randrange(1, 99999), stock=self.chance.randrange(3, 40),
        )  # fmt: skip

    def weighted(self, weights: dict[str, float]) -> str:
        return self.chance.choices(list(weights), list(weights.values()))[0]

    def assignee_for(self, group: str) -> str:
        people = self.members[group]
        return self.chance.choices([p.login for p in people], [p.share for p in people])[0]

    def dues(self, created: datetime.datetime, priority: int) -> tuple[datetime.datetime, datetime.datetime]:
        """As services.set_service_levels computes them."""
        first_response, resolution = self.rules.levels[priority]
        first = self.at(created, first_response)
        if resolution < first_response:
            return first, self.at(created, resolution)
        return first, first if resolution == first_response else self.at(first, resolution - first_response)

    # -- one ticket ----------------------------------------------------------

    def ticket(self, week: int, created: datetime.datetime) -> PlannedTicket:
        chance, lockdown = self.chance, LOCKDOWN[week]
        weights = {k: (1 - lockdown) * ORDINARY_TOPICS[k] + lockdown * LOCKDOWN_TOPICS[k] for k in ORDINARY_TOPICS}
        topic = self.weighted(weights)
        title, description = chance.choice(REQUESTS[topic])
        pairs = list(URGENCY_IMPACT)
        urgency, impact = chance.choices(
            pairs, [URGENCY_IMPACT[p] + (8 * lockdown if p == (3, 1) else 0) for p in pairs]
        )[0]
        priority = self.rules.matrix[(urgency, impact)]
        reason = None
        if chance.random() < 0.015 and priority > 1:
            priority, reason = priority - 1, "Demande de la direction générale : réunion du comité de crise."
        source = self.weighted({WEB: 65, PHONE: 25 + 10 * lockdown, MAIL: 10})
        group = self.queues[topic]
        requester = chance.choice(self.requesters)
        opened_by = requester
        if source == PHONE:
            opened_by = chance.choice([p.login for p in STAFF if p.group == "BAU"])
        first_response_due, resolution_due = self.dues(created, priority)
        ticket = PlannedTicket(
            week=week, topic=topic, title=title, description=self.fill(description), urgency=urgency, impact=impact,
            priority=priority, priority_reason=reason, source=source, requester=requester, opened_by=opened_by,
            group=group, created_at=created, updated_at=created, first_response_due=first_response_due,
            resolution_due=resolution_due, contact_phone=self.phone() if chance.random() < 0.5 else None,
        )  # fmt: skip
        self.live(ticket, lockdown)
        return ticket

    def live(self, ticket: PlannedTicket, lockdown: float) -> None:
        """What happened to the ticket up to now: taken, answered, waiting, resolved, reopened, closed, rated."""
        chance, created, priority = self.chance, ticket.created_at, ticket.priority
        # The backlog of the lockdown weeks makes every delay longer.
        answer = self.minutes(FIRST_RESPONSE_MINUTES[priority] * (1 + 2.5 * lockdown), 0.7)
        work = self.minutes(WORK_MINUTES[priority] * (1 + 1.2 * lockdown), 0.8)
        if ticket.topic == "portable" and lockdown:
            work += self.minutes(300, 0.5)  # a laptop to prepare and hand over
        answer, work = self.keep_promises(priority, lockdown, answer, work)
        waiting_for, wait = None, 0
        draw = chance.random()
        if draw < 0.05:
            waiting_for, wait = WAITING_FOR_THIRD_PARTY, self.minutes(2400, 0.5)
        elif draw < 0.27:
            waiting_for, wait = WAITING_FOR_REQUESTER, self.minutes(300, 0.8)
        reopens = chance.random() < 0.04
        second_look = self.minutes(120, 0.6) if reopens else 0
        ticket.assignee = self.assignee_for(ticket.group)
        tech = ticket.assignee
        offsets = (
            round(answer * 0.6), answer, answer + wait, answer + wait + round(work * 0.3),
            answer + wait + round(work * 0.6), answer + wait + round(work * 0.6) + second_look,
            answer + wait + work + second_look,
        )  # fmt: skip
        taken_at, answered_at, resumed_at, note_at, first_solution, reopened_at, solved_at = self.timeline(
            created, offsets
        )
        if taken_at > self.now:
            ticket.assignee = None
            return
        ticket.status, ticket.updated_at = ASSIGNED, taken_at
        if answered_at > self.now:
            return
        messages = ticket.messages
        busy = BUSY if lockdown >= 0.6 else ""
        if waiting_for == WAITING_FOR_REQUESTER:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(QUESTIONS), answered_at))
        elif waiting_for == WAITING_FOR_THIRD_PARTY:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(THIRD_PARTY), answered_at))
            note = self.fill(chance.choice(THIRD_PARTY_NOTES))
            messages.append(PlannedMessage(tech, NOTE, note, answered_at))
        else:
            messages.append(PlannedMessage(tech, REPLY, chance.choice(ACKNOWLEDGEMENTS).format(busy=busy), answered_at))
        ticket.first_response_at = answered_at
        ticket.status, ticket.updated_at = IN_PROGRESS, max(answered_at, ticket.updated_at)
        since = None
        if waiting_for:
            self.notice_breach(ticket, until=answered_at)  # before the pause, with the due dates as they were
            if resumed_at > self.now:
                ticket.status, ticket.waiting_for, ticket.paused_since = WAITING, waiting_for, answered_at
                return
            since = resumed_at
            # services.shift_due_dates: the business time spent waiting does not count.
            paused = self.calendar.between(answered_at, resumed_at)
            ticket.resolution_due = self.calendar.add(ticket.resolution_due, paused)
            if waiting_for == WAITING_FOR_REQUESTER:
                answer_text = self.fill(chance.choice(ANSWERS))
                source = MAIL if ticket.source == MAIL else WEB
                messages.append(PlannedMessage(REQUESTER, REPLY, answer_text, resumed_at, source))
            else:
                messages.append(PlannedMessage(tech, NOTE, chance.choice(THIRD_PARTY_BACK), resumed_at))
            ticket.updated_at = resumed_at
        if chance.random() < 0.3 and note_at <= self.now:
            notes = NOTES.get(ticket.topic, NOTES[""])
            messages.append(PlannedMessage(tech, NOTE, self.fill(chance.choice(notes)), note_at))
        solution = chance.choice(SOLUTIONS[ticket.topic])
        if reopens and first_solution <= self.now:
            messages.append(PlannedMessage(tech, REPLY, f"Bonjour,\n\n{solution}", first_solution))
            if reopened_at > self.now:
                ticket.status, ticket.resolved_at, ticket.updated_at = RESOLVED, first_solution, first_solution
                self.notice_breach(ticket, until=first_solution, since=since)
                self.close_and_rate(ticket)
                return
            messages.append(PlannedMessage(REQUESTER, REPLY, chance.choice(REOPENINGS), reopened_at))
            ticket.reopened, ticket.updated_at = 1, reopened_at
            solution = "Nous avons repris le diagnostic : " + chance.choice(SOLUTIONS[ticket.topic]).lower()
        if solved_at > self.now:
            self.notice_breach(ticket, until=self.now, since=since)
            messages.sort(key=lambda message: message.created_at)
            ticket.updated_at = max(ticket.updated_at, *(m.created_at for m in messages))
            return
        messages.append(PlannedMessage(tech, REPLY, f"Bonjour,\n\n{solution}", solved_at))
        messages.sort(key=lambda message: message.created_at)
        ticket.status, ticket.resolved_at, ticket.updated_at = RESOLVED, solved_at, solved_at
        self.notice_breach(ticket, until=solved_at, since=since)
        self.close_and_rate(ticket)

    def keep_promises(self, priority: int, lockdown: float, answer: int, work: int) -> tuple[int, int]:
        """Most tickets that would miss a due date are taken up in time: the bureau watches its queue's highlights.

        Without this the log-normal tails left four open tickets in ten "Hors
        délai" on any day, which empties the highlight of meaning. A ticket
        about to breach is rescued (answered, or solved, before its due date)
        with a chance that falls in the first week of lockdown, when the
        bureau was submerged and the dashboard must show it.
        """
        rescue = 0.97 - 0.2 * lockdown**3
        first_response, resolution = self.rules.levels[priority]
        if answer > first_response and self.chance.random() < rescue:
            answer = max(1, round(first_response * self.chance.uniform(0.4, 0.9)))
        # Business minutes from the ticket's creation, as dues() counts them (a pause shifts both alike).
        if answer + work > resolution and resolution > answer and self.chance.random() < rescue:
            work = max(1, round((resolution - answer) * self.chance.uniform(0.5, 0.9)))
        return answer, work

    def close_and_rate(self, ticket: PlannedTicket) -> None:
        """Closed by the hourly job once the reopening delay is over; rated by some requesters."""
        assert ticket.resolved_at is not None
        closing = self.closing_time(ticket.resolved_at)
        if closing <= self.now:
            ticket.status, ticket.closed_at, ticket.updated_at = CLOSED, closing, closing
        if ticket.incident != "child" and self.chance.random() < 0.4:
            on_time = ticket.resolved_at <= ticket.resolution_due
            weights = {5: 60, 4: 27, 3: 9, 2: 3, 1: 1} if on_time else {5: 25, 4: 30, 3: 25, 2: 15, 1: 5}
            ticket.rating = self.chance.choices(list(weights), list(weights.values()))[0]
            ticket.rating_comment = self.chance.choice(RATING_COMMENTS[ticket.rating]) or None

    def closing_time(self, resolved_at: datetime.datetime) -> datetime.datetime:
        """The first run of the closing job (hh:15) after the reopening delay."""
        due = resolved_at + datetime.timedelta(days=self.rules.reopen_days)
        run = due.replace(minute=CLOSING_MINUTE, second=0, microsecond=0)
        return run if run > due else run + datetime.timedelta(hours=1)

    def notice_breach(
        self, ticket: PlannedTicket, until: datetime.datetime, since: datetime.datetime | None = None
    ) -> None:
        """When the breach job (every 5 minutes) saw the ticket late, if it ran between ``since`` and ``until``.

        The job skips a waiting ticket (paused), and sees each ticket once.
        """
        if ticket.breach_notified_at is not None:
            return
        late = []
        if ticket.first_response_at is None or ticket.first_response_at > ticket.first_response_due:
            late.append(ticket.first_response_due)
        late.append(ticket.resolution_due)
        seen = max(min(late), since) if since is not None else min(late)
        step = BREACH_JOB_MINUTES * 60
        seconds = math.floor(seen.timestamp() / step + 1) * step
        run = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        if run < until and run <= self.now:
            ticket.breach_notified_at = run

    # -- the morning the VPN fell over ----------------------------------------

    def incident(self, week: int, week_start: datetime.datetime) -> list[PlannedTicket]:
        """The first caller's ticket, made the major incident, and the agents' duplicates linked to it."""
        day = week_start.astimezone(self.calendar.timezone).date()
        working_days = 0
        while True:
            day += datetime.timedelta(days=1)
            if self.calendar.is_working_day(day):
                working_days += 1
                if working_days == 2:
                    break
        outage = datetime.datetime.combine(day, datetime.time(7, 40), tzinfo=self.calendar.timezone)
        outage = outage.astimezone(datetime.UTC)
        opened = outage + datetime.timedelta(minutes=25)
        first_response_due, resolution_due = self.dues(opened, self.rules.matrix[(3, 3)])
        parent = PlannedTicket(
            week=week, topic="vpn", title="Incident majeur : VPN inaccessible pour les agents en télétravail",
            description=(
                "Appel de l'agent à 8 h 05. Depuis 7 h 40, le concentrateur VPN refuse toutes les nouvelles "
                "connexions : les agents en télétravail n'ont plus accès au réseau de la Province. Les demandes "
                "en double sont rattachées à ce ticket."
            ),
            urgency=3, impact=3, priority=self.rules.matrix[(3, 3)], source=PHONE,
            requester=self.chance.choice(self.requesters), opened_by="reseau", group="INFRA", created_at=opened,
            updated_at=opened, first_response_due=first_response_due, resolution_due=resolution_due,
            assignee="reseau", contact_phone=self.phone(),
            incident="parent",
        )  # fmt: skip
        answered = opened + datetime.timedelta(minutes=12)
        solved = self.at(opened, 240)
        parent.messages = [
            PlannedMessage(
                "reseau", NOTE,
                "Licences simultanées du concentrateur épuisées (250 sur 250). Achat de 250 licences "
                "supplémentaires validé par le directeur ; en attendant, déconnexion des sessions inactives.",
                answered - datetime.timedelta(minutes=5),
            ),
            PlannedMessage(
                "reseau", REPLY,
                "Bonjour,\n\nIncident identifié : le VPN a atteint son nombre maximal de connexions simultanées. "
                "Nous libérons des connexions et ajoutons des licences. Inutile de refaire une demande : vous serez "
                "prévenus dès le rétablissement.",
                answered,
            ),
            PlannedMessage(
                "reseau", REPLY,
                "Bonjour,\n\nLe VPN est rétabli : 250 licences supplémentaires sont actives. Si vous ne parvenez "
                "toujours pas à vous connecter, redémarrez votre ordinateur puis réessayez.",
                solved,
            ),
        ]  # fmt: skip
        parent.first_response_at, parent.status = answered, RESOLVED
        parent.resolved_at = parent.updated_at = solved
        children = []
        titles = (
            "VPN inaccessible",
            "Impossible de me connecter au VPN ce matin",
            "Plus d'accès au réseau en télétravail",
        )
        for minutes in sorted(self.chance.randrange(5, 170) for _ in range(INCIDENT_DUPLICATES)):
            created = outage + datetime.timedelta(minutes=minutes)
            urgency, impact = 3, 1
            first_due, resolution_due = self.dues(created, self.rules.matrix[(urgency, impact)])
            child = PlannedTicket(
                week=week, topic="vpn", title=self.chance.choice(titles),
                description=self.fill(
                    "Le VPN refuse ma connexion depuis ce matin (« nombre maximal de connexions atteint »). "
                    "Je suis en télétravail à {commune} et ne peux plus rien faire."
                ),
                urgency=urgency, impact=impact, priority=self.rules.matrix[(urgency, impact)],
                source=self.weighted({WEB: 6, MAIL: 2, PHONE: 2}), requester=self.chance.choice(self.requesters),
                opened_by="", group="INFRA", created_at=created, updated_at=max(created, opened),
                first_response_due=first_due, resolution_due=resolution_due, incident="child",
            )  # fmt: skip
            child.opened_by = child.requester if child.source != PHONE else "technicien"
            # services.set_status resolves the children with their parent, without a message.
            child.status, child.resolved_at, child.updated_at = RESOLVED, solved, solved
            children.append(child)
        for ticket in (parent, *children):
            self.notice_breach(ticket, until=solved)
            self.close_and_rate(ticket)
        return [parent, *children]


def default_queue(path: str) -> str:
    """The group of a category path in :data:`CATEGORIES` (a node's, else its nearest parent's)."""
    while path:
        code = dict(CATEGORIES).get(path)
        if code:
            return code
        path = path.rpartition(" > ")[0]
    return "BAU"


Wish = tuple[Callable[[PlannedTicket], bool], bool, tuple[int, str] | None]


def for_the_demo_agent(tickets: Sequence[PlannedTicket], login: str) -> None:
    """Give the demonstration agent a few tickets worth showing: each stage of the lifecycle once."""

    def pick(condition: Callable[[PlannedTicket], bool], latest: bool) -> PlannedTicket | None:
        candidates = [t for t in tickets if not t.incident and t.requester != login and condition(t)]
        return (candidates[-1] if latest else candidates[0]) if candidates else None

    wishes: list[Wish] = [
        (lambda t: t.status == CLOSED and t.week == PEAK_WEEK and t.topic == "vpn", False,
         (5, "Accès ouvert dans la matinée en pleine semaine de confinement, merci !")),
        (lambda t: t.status == CLOSED and t.week in (PEAK_WEEK, PEAK_WEEK + 1) and t.topic == "portable", False,
         (4, "Portable prêt le lendemain, merci.")),
        (lambda t: t.status == CLOSED and t.topic == "metier", True, None),
        (lambda t: t.status == WAITING and t.waiting_for == WAITING_FOR_REQUESTER, True, None),
        (lambda t: t.status == RESOLVED and t.rating is None, True, None),
        (lambda t: t.status in (IN_PROGRESS, ASSIGNED), True, None),
        (lambda t: t.status == NEW, True, None),
    ]  # fmt: skip
    for condition, latest, rating in wishes:
        chosen = pick(condition, latest)
        if chosen is None:
            continue
        chosen.requester = login
        if chosen.source != PHONE:
            chosen.opened_by = login
        if rating is not None:
            chosen.rating, chosen.rating_comment = rating


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def load_demo(request: Request) -> None:
    """Groups, categories, articles and six weeks of tickets, added only where missing.

    With ``helpdesk.demo_history = false``, no tickets: a training instance starts with an empty queue.
    """
    instant = now(request)
    people = ensure_people(request, instant)
    groups = ensure_groups(request, people)
    categories = ensure_categories(request, groups)
    ensure_articles(request, instant, people, categories)
    ensure_canned_answers(request)
    if not helpdesk_settings.get(request.registry).demo_history:
        return
    requesters = [login_of(name) for name, _ in REQUESTERS]
    if has_history(request, [people[login] for login in requesters]):
        return
    rules = Rules(
        calendar=helpdesk_settings.get(request.registry).calendar,
        matrix=priority_matrix(request),
        levels=service_levels(request),
        reopen_days=helpdesk_settings.get(request.registry).reopen_days,
    )
    tickets = Planner(instant, rules, requesters, queues(request, categories, groups)).plan()
    if DEMO_AGENT in people:
        for_the_demo_agent(tickets, DEMO_AGENT)
    insert_history(request, tickets, people, groups, categories)


def queues(request: Request, categories: dict[str, int], groups: dict[str, int]) -> dict[str, str]:
    """topic -> code of the group its tickets go to, as services.group_for finds it in the database."""
    codes = {group_id: code for code, group_id in groups.items()}
    nodes = {c.id: c for c in request.db.scalars(sa.select(Category).where(Category.id.in_(categories.values())))}
    fallback = helpdesk_settings.get(request.registry).default_group
    found = {}
    for topic, path in TOPICS.items():
        node: Category | None = nodes.get(categories[path])
        code = None
        while node is not None and code is None:
            code = codes.get(node.default_group_id) if node.default_group_id else None
            node = nodes.get(node.parent_id) if node.parent_id else None
        found[topic] = code or (fallback if fallback in groups else "BAU")
    return found


def ensure_people(request: Request, instant: datetime.datetime) -> dict[str, int]:
    """Technicians and managers (one by one when they sign in, audited), the others in one go: login -> id."""
    accounts = request.find_service(IAccounts)
    for person in STAFF:
        if person.password is None or accounts.by_login(person.login) is not None:
            continue
        accounts.create(
            person.login,
            person.display_name,
            AGENT,
            email=f"{person.login}@{DOMAIN}",
            password=person.password,
            directorate=accounts.directorate(person.directorate),
        )
    # The agents who never sign in, and the technicians without a password, in one INSERT.
    bulk = [
        NewAccount(p.login, p.display_name, AGENT, f"{p.login}@{DOMAIN}", p.directorate)
        for p in STAFF
        if p.password is None
    ]
    bulk += [NewAccount(login_of(name), name, AGENT, f"{login_of(name)}@{DOMAIN}", code) for name, code in REQUESTERS]
    people: dict[str, int] = accounts.create_many(bulk, created_at=instant - datetime.timedelta(days=400))
    people |= accounts.ids_of([p.login for p in STAFF] + [DEMO_AGENT, "admin"])
    ensure_roles(request, people)
    return people


def ensure_roles(request: Request, people: dict[str, int]) -> None:
    """The helpdesk roles of the staff; the demo ``admin`` administers the helpdesk too."""
    wanted = [(p.login, p.role) for p in STAFF if p.login in people]
    if "admin" in people:
        wanted.append(("admin", ADMINISTRATOR))
    accounts = request.find_service(IAccounts)
    signing_in = {p.login for p in STAFF if p.password is not None} | {"technicien", "admin"}
    bulk = []
    for login, role in wanted:
        if login in signing_in:
            account = accounts.by_id(people[login])
            assert account is not None
            accounts.grant(account, role)  # audited one by one, like a grant from the console; once only
        else:
            bulk.append((people[login], role))
    accounts.grant_many(bulk)


def ensure_groups(request: Request, people: dict[str, int]) -> dict[str, int]:
    """The two bureaus, their managers and members: code -> id."""
    existing = {group.code: group for group in request.db.scalars(sa.select(Group))}
    for code, name in GROUPS.items():
        if code not in existing:
            manager = next((p.login for p in STAFF if p.manages == code), None)
            group = Group(code=code, name=name, manager_id=people.get(manager) if manager else None)
            request.db.add(group)
            existing[code] = group
    request.db.flush()
    groups = {code: existing[code].id for code in GROUPS}
    members = {
        (group_id, account_id)
        for group_id, account_id in request.db.execute(sa.select(Member.group_id, Member.account_id))
    }
    for person in STAFF:
        if person.group and person.login in people and (groups[person.group], people[person.login]) not in members:
            request.db.add(Member(group_id=groups[person.group], account_id=people[person.login]))
    request.db.flush()
    return groups


def ensure_categories(request: Request, groups: dict[str, int]) -> dict[str, int]:
    """The category tree, parents first: path -> id."""
    existing = {category.path: category for category in request.db.scalars(sa.select(Category))}
    for path, group in CATEGORIES:
        if path in existing:
            continue
        parent_path, _, name = path.rpartition(" > ")
        category = Category(
            name=name, path=path, parent=existing.get(parent_path) if parent_path else None,
            default_group_id=groups[group] if group else None, active=True,
        )  # fmt: skip
        request.db.add(category)
        existing[path] = category
    request.db.flush()
    return {path: category.id for path, category in existing.items()}


def ensure_articles(
    request: Request, instant: datetime.datetime, people: dict[str, int], categories: dict[str, int]
) -> None:
    titles = set(request.db.scalars(sa.select(Article.title)))
    # Written on the Monday the lockdown began, from 8:00 local time, an hour apart.
    zone = helpdesk_settings.get(request.registry).calendar.timezone
    written = weeks_until(instant, zone)[PEAK_WEEK][0] + datetime.timedelta(hours=8)
    for number, article in enumerate(ARTICLES):
        if article.title in titles or article.author not in people:
            continue
        at = written + datetime.timedelta(hours=number)
        request.db.add(
            Article(
                title=article.title, body=article.body, category_id=categories.get(article.category),
                published=article.published, author_id=people[article.author], created_at=at, updated_at=at,
            )
        )  # fmt: skip
    request.db.flush()


def ensure_canned_answers(request: Request) -> None:
    titles = set(request.db.scalars(sa.select(CannedAnswer.title)))
    request.db.add_all(
        CannedAnswer(title=title, body=body) for title, body in CANNED_ANSWERS.items() if title not in titles
    )
    request.db.flush()


def table_of(model: type[Base]) -> sa.Table:
    """A model's table, for Core inserts of many rows (the ORM's bulk path splits them into many statements)."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def has_history(request: Request, requester_ids: Iterable[int]) -> bool:
    """Whether the demonstration's tickets are there: one of its agents has a ticket."""
    query = sa.select(Ticket.id).where(Ticket.requester_id.in_(list(requester_ids))).limit(1)
    return request.db.scalar(query) is not None


def insert_history(
    request: Request,
    tickets: Sequence[PlannedTicket],
    people: dict[str, int],
    groups: dict[str, int],
    categories: dict[str, int],
) -> None:
    """Tickets, then the links to the major incident, then the messages: three bulk statements.

    Bypasses the services on purpose (see the module's docstring): no audit
    entry, no mail, for a history that did not happen on this platform.
    """
    rows = [
        {
            "title": t.title, "description": t.description, "category_id": categories[TOPICS[t.topic]],
            "urgency": t.urgency, "impact": t.impact, "priority": t.priority, "priority_reason": t.priority_reason,
            "status": t.status, "waiting_for": t.waiting_for, "source": t.source,
            "requester_id": people[t.requester], "opened_by_id": people[t.opened_by],
            "contact_phone": t.contact_phone, "group_id": groups[t.group],
            "assignee_id": people[t.assignee] if t.assignee else None, "parent_id": None,
            "created_at": t.created_at, "updated_at": t.updated_at, "first_response_at": t.first_response_at,
            "resolved_at": t.resolved_at, "closed_at": t.closed_at, "first_response_due": t.first_response_due,
            "resolution_due": t.resolution_due, "paused_since": t.paused_since,
            "breach_notified_at": t.breach_notified_at, "reopened": t.reopened, "rating": t.rating,
            "rating_comment": t.rating_comment,
        }
        for t in tickets
    ]  # fmt: skip
    table = table_of(Ticket)
    inserted = request.db.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    ids = list(inserted.scalars())
    parent = next((ids[n] for n, t in enumerate(tickets) if t.incident == "parent"), None)
    children = [ids[n] for n, t in enumerate(tickets) if t.incident == "child"]
    if parent is not None and children:
        request.db.execute(
            sa.update(Ticket)
            .where(Ticket.id.in_(children))
            .values(parent_id=parent)
            .execution_options(synchronize_session=False)
        )
    messages = [
        {
            "ticket_id": ids[n], "author_id": people[m.author or t.requester], "kind": m.kind, "body": m.body,
            "source": m.source, "created_at": m.created_at,
        }
        for n, t in enumerate(tickets)
        for m in t.messages
    ]  # fmt: skip
    if messages:
        request.db.execute(sa.insert(table_of(Message)), messages)
    mark_changed(request.db)
