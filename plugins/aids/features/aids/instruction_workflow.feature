# language: fr
Fonctionnalité: Faire avancer une demande dans son circuit d'instruction
  Afin que chaque demande suive les étapes que sa démarche prévoit, et que personne ne valide seul
  En tant qu'agent de la direction qui instruit la démarche
  Je veux faire les transitions que mon rôle permet, motivées quand il le faut, et voir où en est la demande

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 1 demandes y sont déposées
    Et que je suis connecté comme instructeur

  Scénario: Une inscription est qualifiée puis transmise, et le demandeur en est prévenu
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Alors l'état affiché est "Nouvelle"
    Quand je fais "Qualifier"
    Alors l'état affiché est "Qualifiée"
    Quand je fais "Transmettre à la cellule"
    Alors l'état affiché est "Transmise"
    Et le demandeur a reçu un courriel "Votre inscription" "est transmise"

  Scénario: Clore sans motivation est refusé à côté du champ, et rien ne change
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je fais "Clore"
    Alors la motivation dit "La motivation est obligatoire."
    Et la demande numéro 1 est toujours "deposee"

  Scénario: Quatre yeux : je ne valide pas ma propre proposition, ni deux fois la même
    Étant donné que la démarche suit le circuit "aide_paiement" avec 2 niveaux de validation
    Et que je suis aussi validateur
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je fais "Prendre en instruction"
    Et je fais "Proposer une décision" en motivant "Éligible : 300 000 F CFP." avec le montant "300 000"
    Alors l'état affiché est "Proposée"
    Et je lis "Vous avez proposé cette décision : un autre agent doit la valider (règle des quatre yeux)."
    Quand un autre validateur valide la demande numéro 1
    Alors la demande numéro 1 est toujours "proposee"
    Et ce validateur ne peut pas la valider une seconde fois
    Quand un troisième validateur valide la demande numéro 1
    Alors la demande numéro 1 est toujours "validee"

  Scénario: Le circuit de la démarche se lit comme un schéma et comme un texte
    Quand j'ouvre le circuit de la démarche
    Alors je lis "Qualifier → Qualifiée (instructeur)"
    Et je lis "Nouvelle"
