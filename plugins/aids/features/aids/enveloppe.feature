# language: fr
Fonctionnalité: Tenir les validations dans l'enveloppe budgétaire de la démarche
  Afin que la démarche n'engage jamais plus que son budget
  En tant qu'agent de la direction qui instruit la démarche
  Je veux fixer l'enveloppe, lire ce qui est proposé, validé, signé et payé, et qu'une validation de trop soit refusée

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 2 demandes y sont déposées
    Et que la démarche suit le circuit "aide_paiement" avec 1 niveaux de validation
    Et que je suis connecté comme instructeur

  Scénario: Le concepteur fixe l'enveloppe et en lit l'utilisation en chiffres
    Étant donné que je suis aussi concepteur
    Quand je fixe l'enveloppe à "500 000"
    Alors je lis "Enveloppe : 500 000 F CFP"
    Quand la demande numéro 1 est proposée à "300 000" puis validée
    Et la demande numéro 2 est proposée à "120 000"
    Alors l'enveloppe affiche "Validé (engagé sur l'enveloppe)" à "300 000"
    Et l'enveloppe affiche "Proposé, en attente de validation" à "120 000"
    Et je lis "reste à engager : 200 000 F CFP"

  Scénario: Une validation qui dépasserait l'enveloppe est refusée, et rien ne change
    Étant donné que l'enveloppe de la démarche est de "500 000"
    Et que la demande numéro 1 est proposée à "300 000" puis validée
    Et que la demande numéro 2 est proposée à "350 000"
    Quand un validateur tente de valider la demande numéro 2
    Alors la validation est refusée : "L'enveloppe de 500 000 F CFP serait dépassée de 150 000 F CFP"
    Et la demande numéro 2 est toujours "proposee"
