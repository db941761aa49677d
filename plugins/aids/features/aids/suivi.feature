# language: fr
Fonctionnalité: Suivre sa demande : récépissé, messages et compléments
  Afin de savoir où en est ma demande et de répondre au service instructeur
  En tant que résident de la province Sud qui a déposé une demande
  Je veux garder mon récépissé, lire les messages du service et envoyer les compléments demandés

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que je suis connecté comme usager
    Et que j'ai déposé une demande

  Scénario: Le récépissé PDF se télécharge depuis le suivi de la demande
    Quand j'ouvre ma demande dans « Mes démarches »
    Et je télécharge "Le récépissé de dépôt"
    Alors le PDF dit "Récépissé de dépôt"
    Et le PDF dit "(heure de Nouméa)"

  Scénario: Tout ce que j'ai envoyé, en un fichier ZIP
    Quand j'ouvre ma demande dans « Mes démarches »
    Et je télécharge "Tout ce que j'ai envoyé"
    Alors le ZIP contient le récépissé

  Scénario: Le service instructeur m'écrit et je lui réponds
    Étant donné que le service instructeur m'a écrit "Envoyez votre billet d’avion."
    Quand j'ouvre ma demande dans « Mes démarches »
    Alors je lis "Envoyez votre billet d’avion."
    Quand je réponds "Le voici."
    Alors je lis "Votre message est envoyé au service instructeur."

  Scénario: Un message vide est refusé à côté de son champ
    Quand j'ouvre ma demande dans « Mes démarches »
    Et je réponds ""
    Alors le champ "texte" dit "Le message est obligatoire."

  Scénario: Envoyer le complément demandé, seul champ modifiable
    Étant donné que le service instructeur m'a demandé de préciser "depuis"
    Quand j'ouvre ma demande dans « Mes démarches »
    Et je suis le lien "Envoyer les compléments demandés"
    Et j'envoie le complément "depuis=01/03/2020"
    Alors je lis "Vos compléments sont envoyés au service instructeur."
    Et l'état de ma demande est "Nouvelle"
