# language: fr
Fonctionnalité: L'API JSON de l'assistance, par jeton personnel
  Afin de brancher d'autres outils sur l'assistance (supervision, scripts, formulaires des directions)
  En tant qu'agent ou technicien
  Je veux ouvrir, lire, suivre et traiter les tickets en JSON, avec un jeton qui ne permet que ce que je lui confie

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories

  Scénario: Un agent ouvre un ticket par l'API et le retrouve dans ses demandes
    Étant donné "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il envoie par l'API le ticket "Le VPN refuse mon mot de passe" dans la catégorie "Réseau > VPN"
    Alors l'API répond 201
    Et le ticket est dans la file du groupe "INFRA"
    Et la liste de ses tickets par l'API compte 1 ticket

  Scénario: Les notes internes n'arrivent jamais au demandeur par l'API
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "tech1" a écrit la note interne "Poste réinstallé l'an dernier" sur ce ticket
    Et "tech1" a répondu "Pouvez-vous redémarrer ?" sur ce ticket
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il lit ce ticket par l'API
    Alors l'API répond 200
    Et il lit la réponse "Pouvez-vous redémarrer ?"
    Et la réponse de l'API ne contient pas "Poste réinstallé"

  Scénario: Un titre de 10 000 caractères est refusé en français et rien n'est enregistré
    Étant donné "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il envoie par l'API un ticket dont le titre fait 10000 caractères
    Alors l'API répond 400
    Et le champ "title" est refusé avec le message "Le titre fait 200 caractères au plus (vous en avez saisi 10 000)."
    Et aucun ticket n'est enregistré

  Scénario: Un technicien ne modifie pas un ticket hors de ses groupes
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "reseau" a un jeton d'API pour "helpdesk:ticket:create, helpdesk:ticket:work"
    Quand il passe ce ticket au statut "in_progress" par l'API
    Alors l'API répond 403
    Et le message d'erreur dit "dont vous n'êtes pas membre"
    Et ce ticket est toujours au statut "new" sans technicien

  Scénario: Une modification refusée en partie n'enregistre rien
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "tech1" a un jeton d'API pour "helpdesk:ticket:create, helpdesk:ticket:work"
    Quand il passe ce ticket au statut "in_progress" et en priorité 1 sans donner de raison
    Alors l'API répond 400
    Et le champ "reason" est refusé avec le message "La raison du changement de priorité est obligatoire."
    Et ce ticket est toujours au statut "new" sans technicien

  Scénario: Un jeton sans la permission dans sa portée est refusé
    Étant donné "agent" a un jeton d'API pour "core:profile:read"
    Quand il demande par l'API la liste de ses tickets
    Alors l'API répond 403
    Et le message d'erreur dit "portée du jeton"

  Scénario: Un ticket clos ne reçoit plus de réponse
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et ce ticket a été résolu puis clos par "tech1"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il répond "Encore moi" sur ce ticket par l'API
    Alors l'API répond 409
    Et le message d'erreur dit "est clos : il ne reçoit plus de réponse"

  Scénario: Un agent joint une capture d'écran à sa réponse et la retrouve sur le ticket
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il répond "Voici la capture" sur ce ticket par l'API avec le fichier "capture.png"
    Alors l'API répond 201
    Et ce ticket liste par l'API la pièce jointe "capture.png" de type "image/png"
    Et il télécharge par l'API la pièce jointe "capture.png" telle qu'il l'a envoyée

  Scénario: Un fichier dont le contenu n'est pas d'un type accepté est refusé et rien n'est enregistré
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il répond "Mon programme" sur ce ticket par l'API avec un programme nommé "capture.png"
    Alors l'API répond 400
    Et le champ "attachments" est refusé avec un message qui dit "n'est pas d'un type accepté (d'après son contenu)"
    Et ce ticket n'a ni message ni pièce jointe

  Scénario: Le demandeur note la réponse à son ticket résolu
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et ce ticket a été résolu par "tech1"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il note ce ticket 4 sur 5 par l'API avec le commentaire "Rapide, merci."
    Alors l'API répond 200
    Et ce ticket est noté 4 avec le commentaire "Rapide, merci."

  Scénario: Une note hors de 1 à 5 est refusée en français et rien n'est enregistré
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et ce ticket a été résolu par "tech1"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il note ce ticket 6 sur 5 par l'API avec le commentaire "Parfait"
    Alors l'API répond 400
    Et le champ "rating" est refusé avec le message "« rating » doit être un nombre entier parmi 1, 2, 3, 4, 5."
    Et ce ticket n'est pas noté

  Scénario: Un ticket encore ouvert ne se note pas
    Étant donné un ticket "Écran noir" ouvert par "agent"
    Et "agent" a un jeton d'API pour "helpdesk:ticket:create"
    Quand il note ce ticket 5 sur 5 par l'API avec le commentaire "Déjà ?"
    Alors l'API répond 409
    Et le champ "rating" est refusé avec le message "Vous pourrez noter la réponse quand le ticket sera résolu."
    Et ce ticket n'est pas noté

  Scénario: Un technicien voit par l'API les tickets rattachés à un incident majeur
    Étant donné un ticket "Le VPN est tombé" ouvert par "agent"
    Et le ticket "Plus de VPN" de "agente" a été rattaché à ce ticket par "tech1"
    Et "tech1" a un jeton d'API pour "helpdesk:ticket:create, helpdesk:ticket:work"
    Quand il lit ce ticket par l'API
    Alors l'API répond 200
    Et il lit 1 ticket rattaché à l'incident, au statut "new"
    Et le ticket rattaché nomme ce ticket comme incident parent
