# language: fr
Fonctionnalité: Administrer l'assistance : catégories, groupes, priorités et niveaux de service
  Afin que chaque demande arrive dans la bonne file, avec la bonne priorité et les bons délais
  En tant qu'administrateur de l'assistance
  Je veux tenir l'arborescence des catégories, les groupes de techniciens, la matrice des priorités et les niveaux de service

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et je suis connecté comme "hdadmin"

  Scénario: Renommer une catégorie renomme le chemin de ses sous-catégories
    Quand je renomme la catégorie "Réseau" en "Réseaux et télécoms"
    Alors l'arborescence montre "VPN" sous "Réseaux et télécoms"
    Et la catégorie "Réseaux et télécoms > VPN" existe
    Et la catégorie "Réseau > VPN" n'existe plus
    Et le journal d'audit contient "Catégorie « Réseau » renommée « Réseaux et télécoms »."

  Scénario: Une catégorie ne se range pas sous sa propre sous-catégorie
    Quand je range la catégorie "Réseau" sous "Réseau > VPN"
    Alors la page répond 400
    Et le champ "parent" signale "« Réseau » ne peut pas être rangée sous « Réseau > VPN », qui est elle-même ou l'une de ses sous-catégories."
    Et la catégorie "Réseau > VPN" existe

  Scénario: Deux catégories sœurs ne portent pas le même nom
    Quand j'ajoute la catégorie "vpn" sous "Réseau"
    Alors la page répond 400
    Et le champ "name" signale "Une catégorie « VPN » existe déjà sous « Réseau » : choisissez un autre nom."
    Et la catégorie "Réseau > vpn" n'existe plus

  Scénario: Les tickets d'une catégorie arrivent dans la file de son groupe
    Quand j'ajoute la catégorie "Wi-Fi" sous "Réseau" pour le groupe "INFRA"
    Et "agent" ouvre une demande dans la catégorie "Réseau > Wi-Fi"
    Alors cette demande est dans la file du groupe "INFRA"

  Scénario: Une catégorie désactivée n'est plus proposée, les tickets existants la gardent
    Étant donné "agent" a ouvert une demande dans la catégorie "Réseau > VPN"
    Quand je désactive la catégorie "Réseau"
    Alors la catégorie "Réseau > VPN" est désactivée
    Et "agent" ne peut plus ouvrir de demande dans la catégorie "Réseau > VPN"
    Et cette demande garde la catégorie "Réseau > VPN"

  Scénario: Ajouter un technicien à un groupe par son identifiant
    Quand j'ajoute "tech1" au groupe "INFRA"
    Alors les membres du groupe "INFRA" sont "Rémi Réseau, Théo Technicien"
    Et le journal d'audit contient "Théo Technicien rejoint le groupe « Bureau des infrastructures »."

  Scénario: Un identifiant inconnu ou sans rôle de technicien est refusé
    Quand j'ajoute "personne" au groupe "INFRA"
    Alors la page répond 400
    Et le champ "member" signale "Aucun compte n'a l'identifiant « personne »."
    Quand j'ajoute "agent" au groupe "INFRA"
    Alors la page répond 400
    Et le champ "member" signale "Paul Agent (agent) n'a pas le rôle de technicien ni de responsable : accordez-le d'abord depuis la console informatique (Comptes)."
    Et les membres du groupe "INFRA" sont "Rémi Réseau"

  Scénario: La matrice des priorités fixe la priorité des nouvelles demandes
    Quand je mets la priorité "P1 — critique" pour l'urgence "Normale" et l'impact "Une personne"
    Et "agent" ouvre une demande d'urgence "Normale" pour "Une personne" dans la catégorie "Logiciels"
    Alors cette demande a la priorité "P1 — critique"

  Scénario: Les délais se comptent en heures ouvrées et la résolution vient après la première réponse
    Quand je règle pour "P2 — haute" une première réponse en 2 h 00 et une résolution en 1 h 30
    Alors la page répond 400
    Et le champ "resolution-2" signale "Résolution en P2 — haute : le délai de résolution ne peut pas être plus court que celui de la première réponse (2 h)."
    Quand je règle pour "P2 — haute" une première réponse en 2 h 00 et une résolution en 12 h 30
    Alors les délais de "P2 — haute" sont de 120 et 750 minutes ouvrées
    Et la page montre les heures ouvrées "de 07:30 à 11:30, de 12:30 à 16:30 (Pacific/Noumea)"

  Scénario: Un technicien n'entre pas dans l'administration
    Étant donné je suis connecté comme "tech1"
    Quand j'ouvre l'administration de l'assistance
    Alors la page répond 403
