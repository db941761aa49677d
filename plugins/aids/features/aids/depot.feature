# language: fr
Fonctionnalité: Déposer une demande sur une démarche en ligne
  Afin d'être recensé pour un retour au pays
  En tant que résident de la province Sud bloqué à l'étranger
  Je veux remplir le formulaire page après page et recevoir un numéro de dépôt

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que je suis connecté comme usager

  Scénario: Le catalogue présente la démarche
    Quand j'ouvre le catalogue des démarches
    Alors le catalogue liste "Recensement des résidents bloqués à l'étranger"

  Scénario: Remplir les quatre étapes et déposer
    Quand je commence la démarche
    Et je remplis l'étape avec "nom=Wamytan, prenoms=Marie, date_naissance=03/07/1985, commune=Nouméa"
    Et je remplis l'étape avec "pays=AU, ville=Sydney, depuis=10/02/2020"
    Et je remplis l'étape avec "accompagne=non"
    Et je remplis l'étape avec "telephone=25 12 34, courriel=marie@example.nc"
    Alors je lis "Vérifiez vos réponses"
    Quand j'atteste sur l'honneur et je dépose
    Alors je lis "Votre demande est déposée sous le numéro RAP-"
    Et un courriel de confirmation m'est envoyé

  Scénario: Une réponse refusée est signalée à côté de son champ, et ce qui a été tapé reste
    Quand je commence la démarche
    Et je remplis l'étape avec "nom=Wamytan, prenoms=Marie, date_naissance=31/02/1985, commune=Nouméa"
    Alors le champ "date_naissance" dit "Une date au format JJ/MM/AAAA, par exemple 21/03/2020."
    Et le champ "nom" contient encore "Wamytan"

  Scénario: Déposer sans l'attestation sur l'honneur est refusé
    Quand je commence la démarche
    Et je remplis l'étape avec "nom=Wamytan, prenoms=Marie, date_naissance=03/07/1985, commune=Nouméa"
    Et je remplis l'étape avec "pays=AU, ville=Sydney, depuis=10/02/2020"
    Et je remplis l'étape avec "accompagne=non"
    Et je remplis l'étape avec "telephone=25 12 34, courriel=marie@example.nc"
    Et je dépose sans attester
    Alors le champ "declaration" dit "Cochez l'attestation sur l'honneur pour déposer."
