# language: fr
Fonctionnalité: Un journal d'audit complet et digne de confiance
  Afin de pouvoir prouver ce qui s'est passé sur la plateforme
  En tant que responsable de la sécurité
  Je veux que les tentatives refusées soient enregistrées et que toute altération du journal soit détectée

  Contexte:
    Étant donné les données de démonstration

  Scénario: Une connexion échouée est enregistrée
    Quand "agent" se connecte avec le mot de passe "pas-le-bon-mot-de-passe"
    Alors le journal contient la tentative refusée "Échec de connexion pour l'identifiant « agent »."

  Scénario: Une page refusée à une personne connectée est enregistrée
    Étant donné que je suis connecté comme "agent" avec "demo-agent-2026"
    Quand j'ouvre la page "/intranet/console/"
    Alors la réponse est refusée avec le statut 403
    Et le journal contient la tentative refusée "Accès refusé à GET /intranet/console/ (permission « core:console:view » manquante)."

  Scénario: Le journal intact se vérifie
    Quand je vérifie le journal
    Alors la vérification réussit

  Scénario: Une entrée modifiée dans la base est nommée
    Étant donné que le journal est scellé
    Et qu'une entrée a été modifiée directement dans la base
    Quand je vérifie le journal
    Alors la vérification échoue en nommant l'entrée modifiée

  Scénario: Une entrée ajoutée dans la base sans les clés du journal est nommée
    Étant donné que le journal est scellé
    Et qu'une entrée accordant des droits a été ajoutée directement dans la base
    Quand je vérifie le journal
    Alors la vérification échoue en nommant l'entrée ajoutée, qui n'a pas été écrite par l'application

  Scénario: Un journal entièrement réécrit sans les clés du journal est détecté
    Étant donné que le journal est scellé
    Et que tout le journal a été réécrit avec des empreintes recalculées
    Quand je vérifie le journal
    Alors la vérification échoue dès la première position

  Scénario: Une fin de journal supprimée est trahie par son point de contrôle signé
    Étant donné qu'une clé de signature a été créée
    Et qu'un point de contrôle a été signé
    Et que la dernière entrée a été supprimée de la base avec son maillon
    Quand je vérifie le journal
    Alors la vérification échoue au point de contrôle signé

  Scénario: La purge des entrées anciennes garde une chaîne vérifiable
    Étant donné qu'une clé de signature a été créée
    Et que les entrées du module "sample" sont conservées 30 jours
    Et que "technicien" a ajouté une note il y a 40 jours
    Quand je purge le journal
    Alors 1 entrée du module "sample" est purgée
    Et la vérification réussit avec 1 entrée purgée
