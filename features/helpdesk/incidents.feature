# language: fr
Fonctionnalité: Incidents majeurs
  Afin de répondre une seule fois quand le VPN tombe et que cinquante agents écrivent
  En tant que technicien
  Je veux rattacher les doublons à un incident principal et les résoudre avec lui

  Scénario: Résoudre l'incident principal résout et prévient chaque demande rattachée
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et que "agent" a ouvert la demande "VPN inaccessible" dans la catégorie "Réseau > VPN"
    Et que "agente" a ouvert 3 demandes "Plus de VPN" dans la catégorie "Réseau > VPN"
    Et que je suis connecté comme "reseau"
    Quand je rattache les demandes "Plus de VPN" à l'incident "VPN inaccessible"
    Et que je résous la demande "VPN inaccessible"
    Alors les 4 demandes sont "Résolu"
    Et "agente" reçoit 3 courriels "Demande résolue : Plus de VPN"
