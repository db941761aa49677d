# language: fr
Fonctionnalité: Trier les inscriptions du recensement par priorité, et exporter les personnes à contacter
  Afin d'organiser les retours en commençant par les situations les plus urgentes
  En tant qu'agent de la cellule qui instruit le recensement
  Je veux la liste des inscriptions classée par un score de priorité, et la liste des personnes à contacter

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que le tri donne 50 au besoin médical, 40 à la grossesse et 10 par personne qui voyage avec le demandeur
    Et que sont inscrits "Wamytan" sans critère, "Kasarhérou" pour un besoin médical et "Tjibaou" enceinte avec 2 personnes
    Et que je suis connecté comme instructeur

  Scénario: La liste triée par priorité met les situations urgentes en premier
    Quand j'ouvre la liste des inscriptions triée par priorité
    Alors les inscriptions sont dans l'ordre "Tjibaou, Kasarhérou, Wamytan"

  Scénario: L'export des personnes à contacter donne le score, et sa lecture est tracée
    Quand j'exporte les personnes à contacter en CSV
    Alors l'export liste "Tjibaou" avec le score 60 en premier
    Et le journal d'audit garde "aids:application:export"
