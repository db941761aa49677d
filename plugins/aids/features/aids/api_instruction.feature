# language: fr
Fonctionnalité: Faire avancer une demande par l'API des instructeurs
  Afin que le logiciel du service instructeur fasse avancer les dossiers sans passer par les pages
  En tant qu'instructeur ayant un jeton d'API
  Je veux lire les transitions possibles, en faire une et écrire au demandeur, avec les règles des pages

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 1 demandes y sont déposées
    Et que je suis connecté comme instructeur
    Et que je crée un jeton d'API d'instructeur

  Scénario: Mon programme fait une transition, et la même sur un état périmé est refusée
    Quand mon programme lit les transitions de la demande numéro 1
    Alors l'API propose "qualifier" et "clore"
    Quand mon programme fait "qualifier" sur la demande numéro 1 lue "deposee"
    Alors l'API répond 200 avec l'état "Qualifiée"
    Quand mon programme fait "qualifier" sur la demande numéro 1 lue "deposee"
    Alors l'API répond 409 "Cette demande est maintenant « Qualifiée »"
    Et la demande numéro 1 est toujours "qualifiee"

  Scénario: Une transition sans sa motivation est refusée pour son champ
    Quand mon programme fait "clore" sur la demande numéro 1 lue "deposee"
    Alors l'API répond 400 "La motivation est obligatoire."

  Scénario: Mon programme écrit au demandeur avec un fichier en base64
    Quand mon programme écrit "Merci d'envoyer votre billet d'avion." au demandeur de la demande numéro 1 avec un PDF
    Alors l'API répond 201 avec 1 fichier
    Et le demandeur a reçu un courriel "Un message du service instructeur" "000001"
