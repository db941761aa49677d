# language: fr
Fonctionnalité: Les actions groupées sur une sélection de demandes
  Afin de traiter des centaines de dossiers sans les ouvrir un par un
  En tant qu'agent de la direction qui instruit la démarche
  Je veux cocher des demandes, ou tous les résultats d'un filtre, et leur appliquer une action, dossier par dossier

  Contexte:
    Étant donné que l'aide aux entreprises a reçu 120 demandes
    Et que je suis connecté comme instructeur
    Et que je suis aussi validateur

  Scénario: Valider en une fois : chaque validation respecte les quatre yeux
    Étant donné que j'ai proposé les demandes 1 à 3
    Et qu'un collègue a proposé les demandes 4 à 5
    Quand je coche les demandes 1 à 5 et je fais "Valider la proposition"
    Alors le bilan dit "2 dossier(s) traité(s), 3 refusé(s)."
    Et la demande "AIDE-2020-000001" est refusée parce que "Vous avez proposé cette décision"
    Et la demande "AIDE-2020-000004" est traitée : "Maintenant « Validée »."
    Et le journal d'audit dit "Action groupée « Valider la proposition » sur 5 demande(s)"

  Scénario: Refuser avec une motivation commune, obligatoire
    Étant donné que j'ai pris en instruction les demandes 1 à 2
    Quand je coche les demandes 1 à 2 et je fais "Refuser"
    Alors le champ "motivation" dit "La motivation est obligatoire."
    Quand je coche les demandes 1 à 2 et je fais "Refuser" en motivant "Entreprise hors du champ du plan de soutien."
    Alors le bilan dit "2 dossier(s) traité(s), 0 refusé(s)."
    Et la demande "AIDE-2020-000002" est traitée : "Maintenant « Refusée »."

  Scénario: Demander les mêmes compléments à tous les résultats d'un filtre
    Quand j'ouvre la file de l'aide aux entreprises
    Et je choisis "Thio" pour "Commune du siège"
    Et je filtre
    Et je sélectionne tous les résultats du filtre et je demande "Attestation de la CAFAT" avec "Votre attestation est illisible."
    Alors le bilan dit que tous les résultats du filtre sont traités
    Et chaque demande de "Thio" attend ses compléments
