# language: fr
Fonctionnalité: Base de connaissances et réponses types
  Afin que les questions fréquentes trouvent leur réponse sans devenir des tickets
  En tant que technicien de l'assistance
  Je veux rédiger des articles que je publie pour les agents, et des réponses types à insérer dans mes réponses

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories

  Scénario: Un agent trouve les articles publiés, jamais les brouillons
    Étant donné je suis connecté comme "agent"
    Quand je cherche "VPN" dans la base de connaissances
    Alors je vois l'article "Configurer le VPN à la maison"
    Et je ne vois pas l'article "Brouillon sur le VPN de secours"
    Et la page du brouillon "Brouillon sur le VPN de secours" répond 404

  Scénario: Un technicien rédige un article, le publie, et les agents le trouvent
    Étant donné je suis connecté comme "tech1"
    Quand je rédige l'article "Imprimer depuis la maison" avec le texte "Installez le pilote de l'imprimante du service."
    Alors l'article "Imprimer depuis la maison" est un brouillon
    Quand je publie l'article "Imprimer depuis la maison"
    Et je me connecte comme "agent"
    Et je cherche "imprimer maison" dans la base de connaissances
    Alors je vois l'article "Imprimer depuis la maison"
    Et le journal d'audit contient "Article « Imprimer depuis la maison » publié."

  Scénario: Le texte d'un article reste du texte
    Étant donné je suis connecté comme "tech1"
    Quand je rédige l'article "Balises" avec le texte "<script>alert(1)</script> & <b>gras</b>"
    Et je publie l'article "Balises"
    Alors la page de l'article "Balises" affiche "<script>alert(1)</script> & <b>gras</b>" tel quel

  Scénario: Un titre de 201 caractères est refusé et rien n'est enregistré
    Étant donné je suis connecté comme "tech1"
    Quand je rédige un article dont le titre fait 201 caractères
    Alors la page répond 400
    Et le champ "title" signale "Le titre fait 200 caractères au plus (vous en avez saisi 201)."
    Et la base de connaissances compte 2 articles

  Scénario: Une réponse type préparée est proposée près de la réponse d'un ticket
    Étant donné je suis connecté comme "tech1"
    Quand je crée la réponse type "VPN rétabli" avec le texte "Le VPN fonctionne de nouveau."
    Alors les réponses types proposées pour le ticket 12 sont "VPN rétabli"
    Et le choix "VPN rétabli" mène au ticket 12 avec sa réponse préremplie

  Scénario: Un agent n'accède pas aux réponses types
    Étant donné je suis connecté comme "agent"
    Quand j'ouvre la page des réponses types
    Alors la page répond 403
