# language: fr
Fonctionnalité: Activer et désactiver les modules depuis la console
  Afin d'ouvrir un service le jour où il devient nécessaire, sans redémarrer
  En tant qu'administrateur informatique
  Je veux activer ou désactiver chaque module, site par site

  Contexte:
    Étant donné les données de démonstration
    Et que "admin" a le rôle "sample:reader"
    Et que je suis connecté comme "admin" avec "demo-admin-2026"

  Scénario: Voir les modules installés et leur état
    Quand j'ouvre la console informatique
    Alors je vois le module "Module d'exemple" en version "1.0"
    Et le module "sample" est "Activé" sur l'intranet
    Et le module "sample" est "Activé" sur l'extension publique
    Et le cœur de la plateforme est "Toujours actif"

  Scénario: Désactiver un module sur l'intranet
    Quand je désactive le module "sample" sur l'intranet
    Alors je lis le message "Module « Module d'exemple » désactivé sur l'intranet."
    Et le module "sample" est "Désactivé" sur l'intranet
    Et la page "/intranet/exemple/" répond 404
    Et la page "/exemple/" répond 200
    Et la navigation de "Mon espace" ne propose plus "Notes d'exemple"
    Et le journal d'audit contient "Module « Module d'exemple » désactivé sur l'intranet."
    Et les notes du module d'exemple sont conservées

  Scénario: Réactiver un module
    Étant donné que le module "sample" est désactivé sur l'intranet
    Quand j'active le module "sample" sur l'intranet
    Alors le module "sample" est "Activé" sur l'intranet
    Et la page "/intranet/exemple/" répond 200
    Et la navigation de "Mon espace" propose "Notes d'exemple"

  Scénario: Le choix survit au redémarrage
    Quand je désactive le module "sample" sur l'extension publique
    Et que la plateforme redémarre
    Alors le module "sample" est "Désactivé" sur l'extension publique

  Scénario: Un agent sans rôle ne peut pas toucher aux modules
    Étant donné que je suis connecté comme "agent" avec "demo-agent-2026"
    Quand je tente de désactiver le module "sample" sur l'intranet
    Alors la réponse est refusée avec le statut 403
    Et le module "sample" est toujours activé sur l'intranet
