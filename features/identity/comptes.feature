# language: fr
Fonctionnalité: Gérer les comptes et les rôles depuis la console
  Afin que chacun ait les droits de sa mission, et rien de plus
  En tant qu'administrateur informatique
  Je veux créer, désactiver les comptes et accorder les rôles par direction

  Contexte:
    Étant donné les données de démonstration
    Et que je suis connecté comme "admin" avec "demo-admin-2026"

  Scénario: Accorder un rôle dans une direction
    Quand j'accorde le rôle « Rédacteur des notes d'exemple » à "agent" dans la direction "DEFE"
    Alors la fiche de "agent" montre la permission "sample:note:edit" pour « Direction de l'économie, de la formation et de l'emploi »
    Et "agent" peut modifier la note « Première note »
    Mais "agent" ne peut pas modifier la note « Seconde note »

  Scénario: Désactiver un agent qui quitte la Province
    Étant donné que "agent" est connecté de son côté
    Quand je désactive le compte "agent"
    Alors la session de "agent" est fermée
    Et les modules ont été prévenus du départ de "agent"
    Et le journal d'audit contient « Compte « agent » désactivé. »
