"""What agents write, and what technicians answer."""

from __future__ import annotations

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
