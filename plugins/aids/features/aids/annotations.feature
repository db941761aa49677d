# language: fr
Fonctionnalité: Annoter une demande en privé, et voir la suggestion d'éligibilité
  Afin de garder mes notes d'instruction avec le dossier sans que le demandeur les lise
  En tant qu'instructeur de la direction qui instruit la démarche
  Je veux remplir les annotations privées que la démarche prévoit, contrôlées selon leur type

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que la démarche a les annotations privées de la cellule
    Et que 1 demandes y sont déposées
    Et que je suis connecté comme instructeur

  Scénario: Un montant est gardé en F CFP, et le changement est tracé
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je remplis l'annotation "Montant avancé" avec "150 000"
    Et j'enregistre les annotations
    Alors je lis "Annotations privées enregistrées."
    Et je lis "150 000 F CFP"
    Et le journal d'audit garde "aids:annotation:set"

  Scénario: Un montant négatif ou une option inconnue est refusé à côté du champ, et rien n'est gardé
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je remplis l'annotation "Montant avancé" avec "-5"
    Et j'enregistre les annotations
    Alors l'annotation "Montant avancé" dit "« Montant avancé » est un montant en F CFP : un nombre entier positif ou nul, sans décimale."
    Et aucune annotation n'est gardée

  Scénario: Une transition attend l'annotation qu'elle exige, et la page dit ce qui manque
    Étant donné que la qualification exige l'annotation "priorite"
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Alors je lis "À remplir d'abord : « Priorité retenue » (annotations privées)."
    Quand je fais "Qualifier"
    Alors je lis "« Qualifier » demande d'abord de remplir l'annotation privée « Priorité retenue »."
    Et la demande numéro 1 est toujours "deposee"
    Quand j'ouvre à nouveau la demande numéro 1
    Et je remplis l'annotation "Priorité retenue" avec "Haute"
    Et j'enregistre les annotations
    Et je fais "Qualifier"
    Alors l'état affiché est "Qualifiée"

  Scénario: La suggestion d'éligibilité d'une aide aux entreprises est affichée, et gardée avec la proposition
    Étant donné que l'aide aux entreprises a les règles d'éligibilité du plan de soutien
    Et qu'une entreprise de 4 salariés a déposé une demande d'aide avec un chiffre d'affaires passé de 10 000 000 à 3 800 000 F CFP
    Quand j'ouvre la demande d'aide
    Alors je lis "Éligible : perte de CA 62 % ≥ 50 %, 4 salariés ≤ 10 ; montant suggéré 400 000 F CFP."
    Quand je fais "Prendre en instruction"
    Et je fais "Proposer une décision" en motivant "Éligible." avec le montant "400 000"
    Alors l'historique des instructeurs garde "Suggestion d'éligibilité au moment de la proposition : Éligible : perte de CA 62 %"
