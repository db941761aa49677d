"""The categories, the knowledge-base articles and the canned answers."""

from __future__ import annotations

from dataclasses import dataclass

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
