# language: fr
Fonctionnalité: La file d'attente des instructeurs
  Afin de trouver vite, parmi des milliers de demandes, celles que j'ai à traiter
  En tant qu'instructeur de la direction qui instruit la démarche
  Je veux filtrer sur les réponses, chercher un demandeur, choisir mes colonnes, feuilleter et garder mes vues

  Contexte:
    Étant donné que l'aide aux entreprises a reçu 120 demandes
    Et que je suis connecté comme instructeur
    Et que j'ouvre la file de l'aide aux entreprises

  Scénario: Filtrer sur des réponses et les afficher en colonnes, telles que les pages les montrent
    Quand je choisis "Thio" pour "Commune du siège"
    Et je choisis "100000" pour "Montant de l'aide demandée" au moins
    Et j'affiche la colonne "Montant de l'aide demandée"
    Et j'affiche la colonne "Commune du siège"
    Et je filtre
    Alors chaque demande listée a "Thio" dans la colonne "Commune du siège"
    Et chaque demande listée a un montant d'au moins 100 000 F CFP dans la colonne "Montant de l'aide demandée"
    Et la liste dit combien de demandes correspondent

  Scénario: Chercher un demandeur par les mots de son nom (« Boulangerie Wamytan »)
    Quand je cherche le nom du demandeur de la demande "AIDE-2020-000005"
    Alors la demande "AIDE-2020-000005" est listée
    Et chaque demande listée est au nom cherché

  Scénario: Feuilleter la liste dans un ordre stable, et revenir en arrière
    Quand je choisis "Les plus anciennes d'abord" pour "Ordre"
    Et je filtre
    Alors la première demande listée est "AIDE-2020-000001"
    Quand je suis le lien "Suivant"
    Alors la première demande listée est "AIDE-2020-000051"
    Quand je suis le lien "Précédent"
    Alors la première demande listée est "AIDE-2020-000001"

  Scénario: Enregistrer une vue et la retrouver comme un marque-page, puis la supprimer
    Quand je choisis "Thio" pour "Commune du siège"
    Et j'affiche la colonne "Commune du siège"
    Et je filtre
    Et j'enregistre la vue "Dossiers de Thio"
    Alors la vue "Dossiers de Thio" est dans mes vues
    Quand j'ouvre ma vue "Dossiers de Thio"
    Alors chaque demande listée a "Thio" dans la colonne "Commune du siège"
    Quand je supprime ma vue "Dossiers de Thio"
    Alors je n'ai plus de vue enregistrée

  Scénario: Une adresse que la liste ne sait pas lire est refusée avec son explication
    Quand j'ouvre la file avec "r.commune=Atlantide"
    Alors la page répond 400 avec "n'a pas le choix « Atlantide »"
    Quand j'ouvre la file avec "etat=envolee&tri=ancien"
    Alors la page répond 400 avec "Cette démarche n'a pas d'état « envolee »"
