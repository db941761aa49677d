# language: fr
Fonctionnalité: Surveiller la plateforme depuis la console
  Afin de savoir ce que la plateforme fait et ce qui ne va pas
  En tant qu'administrateur informatique
  Je veux voir les modules en panne, les courriels envoyés et le journal d'audit

  Contexte:
    Étant donné les données de démonstration
    Et que "admin" a le rôle "sample:reader"
    Et que je suis connecté comme "admin" avec "demo-admin-2026"

  Scénario: Un module qui ne se charge pas est signalé, les autres fonctionnent
    Étant donné que le module "cagou_broken" est installé mais ne peut pas être importé
    Quand j'ouvre la console informatique
    Alors le module "broken" est signalé "En panne"
    Et l'erreur mentionne "cagou_this_dependency_is_missing"
    Et la page "/intranet/exemple/" répond 200

  Scénario: Lire les courriels déposés en développement
    Étant donné qu'un courriel "Votre demande est enregistrée" a été envoyé à "jeanne.martin@example.nc"
    Quand j'ouvre la page des courriels envoyés
    Alors je vois le courriel "Votre demande est enregistrée" adressé à "jeanne.martin@example.nc"

  Scénario: Le journal d'audit montre qui a fait quoi
    Quand je désactive le module "sample" sur l'intranet
    Et que j'ouvre le journal d'audit
    Alors la dernière entrée est l'action "core:module:disable" de "admin"
