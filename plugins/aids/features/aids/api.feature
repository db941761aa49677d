# language: fr
Fonctionnalité: Déposer par l'API des services en ligne
  Afin que mon logiciel dépose mes démarches sans ressaisie
  En tant que résident ou entreprise ayant un compte
  Je veux un jeton d'API, et qu'un envoi répété ne donne jamais deux demandes

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que je suis connecté comme usager
    Et que je crée un jeton d'API sur mon compte

  Scénario: Un programme dépose, réessaie avec la même clé, et n'obtient qu'une demande
    Quand mon programme dépose la demande avec la clé "essai-1"
    Et mon programme dépose la même demande avec la clé "essai-1"
    Alors une seule demande est enregistrée, et les deux réponses donnent son numéro
    Et mon programme lit que la demande est "Nouvelle"

  Scénario: Une réponse refusée par l'API nomme son champ et n'enregistre rien
    Quand mon programme dépose la demande avec "telephone=12"
    Alors l'API refuse la demande avec le statut 400 pour le champ "telephone"
    Et aucune demande n'est enregistrée
