# language: fr
Fonctionnalité: Une demande de compléments close quand l'instructeur reprend l'instruction sans elle
  Afin de ne pas envoyer des compléments que personne n'attend plus
  En tant que résident qui a reçu une demande de compléments
  Je veux qu'elle soit close, et ne me soit plus proposée, dès que l'instructeur fait avancer ma demande sans elle

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que je suis connecté comme usager
    Et que j'ai déposé une demande
    Et que le service instructeur m'a demandé de préciser "depuis"

  Scénario: L'instructrice reprend à la main pendant que le formulaire des compléments est ouvert
    Quand j'ouvre ma demande dans « Mes démarches »
    Et je suis le lien "Envoyer les compléments demandés"
    Et l'instructrice fait "info_recue" sans attendre mes compléments
    Et j'envoie le complément "depuis=01/03/2020"
    Alors la page répond 404
    Quand j'ouvre ma demande dans « Mes démarches »
    Alors je ne lis plus "Envoyer les compléments demandés"
    Et je lis "Demande de compléments close par le service instructeur"
    Et l'état de ma demande est "Nouvelle"
    Et le journal d'audit dit "Demande de compléments close sans réponse"
