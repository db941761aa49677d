# language: fr
Fonctionnalité: Ce que le site public protège : les doublons, les robots, les démarches closes, le module fermé, la conservation
  Afin que rien ne soit perdu ni doublé, et qu'aucune donnée ne soit gardée plus longtemps qu'annoncé
  En tant que résident qui dépose, et administration qui instruit
  Je veux que chaque cas difficile soit dit clairement, sans rien enregistrer à moitié

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que je suis connecté comme usager

  Scénario: Une seconde demande pour la même personne est gardée, signalée, et l'usager le sait
    Étant donné qu'une demande est déjà déposée pour Marie Wamytan, née le 3 juillet 1985
    Quand je remplis les quatre étapes pour "Wamytan", "Marie", née le "03/07/1985"
    Et j'atteste sur l'honneur et je dépose
    Alors je lis "Vous avez déjà déposé une demande sur cette démarche le"
    Et 2 demandes sont enregistrées, la seconde signalée comme doublon possible de la première

  Scénario: Un robot qui remplit le champ caché est refusé, et rien n'est enregistré
    Quand je remplis les quatre étapes pour "Wamytan", "Marie", née le "03/07/1985"
    Et je dépose en remplissant le champ caché
    Alors je lis "laissez vide le champ « Ne pas remplir »"
    Et aucune demande n'est enregistrée

  Scénario: Une démarche close pendant qu'on la remplit refuse le dépôt et dit depuis quand
    Quand je remplis les quatre étapes pour "Wamytan", "Marie", née le "03/07/1985"
    Et la démarche ferme avant que je dépose
    Et j'atteste sur l'honneur et je dépose
    Alors je lis "Cette démarche est close depuis le"
    Et aucune demande n'est enregistrée

  Scénario: Le module fermé sur le site public affiche un avis, et rouvert rend les brouillons
    Quand je commence la démarche
    Et l'informatique ferme les démarches en ligne sur le site public
    Alors le catalogue répond 503 avec "Les démarches en ligne sont fermées pour le moment."
    Quand l'informatique les rouvre
    Alors mon brouillon est toujours dans "Mes démarches"

  Scénario: Passé sa durée de conservation, une demande est anonymisée et le journal d'audit le dit
    Étant donné qu'une demande est déjà déposée pour Marie Wamytan, née le 3 juillet 1985
    Quand 25 mois ont passé et que la tâche de conservation s'exécute
    Alors la demande garde son numéro mais plus aucune réponse
    Et le journal d'audit dit "1 demande(s) anonymisée(s)"
