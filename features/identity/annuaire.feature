# language: fr
Fonctionnalité: Se connecter à l'intranet avec son compte de l'annuaire
  Afin de n'avoir qu'un identifiant et qu'un mot de passe
  En tant qu'agent de la Province Sud
  Je veux me connecter avec mon compte de l'annuaire de la Province, mes rôles suivant mes groupes

  Contexte:
    Étant donné les données de démonstration
    Et l'annuaire de la Province, qui donne le rôle "sample:reader" au groupe "lecteurs" et le rôle "sample:editor" dans la direction "DEFE" au groupe "redacteurs-defe"

  Scénario: Première connexion d'un agent de l'annuaire
    Quand "hpoadja" se connecte à l'intranet avec son mot de passe de l'annuaire
    Alors la page d'accueil montre « Henri Poadja »
    Et "hpoadja" est un agent de la direction "DEFE-SAE" à l'adresse "henri.poadja@province-sud.nc"
    Et "hpoadja" a les rôles "sample:reader, sample:editor@DEFE"
    Et les modules ont été prévenus de l'arrivée de "hpoadja"

  Scénario: Les rôles suivent les groupes de l'annuaire
    Étant donné "hpoadja" s'est déjà connecté une fois
    Et l'informatique a accordé à la main le rôle "sample:editor" dans la direction "DFI" à "hpoadja"
    Quand l'annuaire retire "hpoadja" du groupe "lecteurs"
    Et "hpoadja" se connecte à l'intranet avec son mot de passe de l'annuaire
    Alors "hpoadja" a les rôles "sample:editor@DEFE, sample:editor@DFI"
    Et le journal d'audit contient « Rôle « sample:reader » retiré à « hpoadja ». »

  Scénario: Un mauvais mot de passe est refusé
    Quand "hpoadja" se connecte à l'intranet avec le mot de passe "pas-le-bon"
    Alors la connexion est refusée avec « Identifiant ou mot de passe incorrect. »
    Et "hpoadja" n'a pas de compte sur la plateforme

  Scénario: L'annuaire est arrêté
    Étant donné l'annuaire de la Province s'est arrêté
    Quand "hpoadja" se connecte à l'intranet avec son mot de passe de l'annuaire
    Alors la connexion est refusée avec « L'annuaire de la Province est injoignable : les agents ne peuvent pas se connecter pour le moment. Les comptes informatiques locaux fonctionnent toujours. »
    Mais "admin" se connecte toujours avec "demo-admin-2026"

  Scénario: Un agent parti ne revient pas par l'annuaire
    Étant donné "hpoadja" s'est déjà connecté une fois
    Et l'informatique a désactivé le compte "hpoadja"
    Quand "hpoadja" se connecte à l'intranet avec son mot de passe de l'annuaire
    Alors la connexion est refusée avec « Identifiant ou mot de passe incorrect. »
    Et le compte "hpoadja" reste désactivé
