# language: fr
Fonctionnalité: Le tableau de bord des responsables de l'assistance
  Afin de voir d'un coup d'œil si le bureau tient ses délais et quand il est submergé
  En tant que responsable d'un groupe de techniciens
  Je veux des graphiques des tickets ouverts et résolus, des délais, de la satisfaction et de la semaine de pointe,
  et exporter les tickets que je regarde

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et nous sommes le lundi 30 mars 2026 à 9 h 00, heure de Nouméa

  Scénario: Les chiffres d'une journée se lisent au ticket près, en heures ouvrées
    Étant donné "agent" ouvre la demande "Portable lent" dans la catégorie "Matériel > Ordinateur portable"
    Et "agente" ouvre la demande urgente "Logiciel bloqué" dans la catégorie "Logiciels"
    Et "agent" ouvre la demande "VPN coupé" dans la catégorie "Réseau > VPN"
    Et "tech1" prend la demande "Portable lent"
    Et il est 10 h 00
    Et "tech1" répond à la demande "Portable lent"
    Et il est 11 h 00
    Et "tech1" résout la demande "Portable lent"
    Et "agent" note la demande "Portable lent" 5 sur 5
    Et il est 14 h 00
    Et "tech2" répond à la demande "Logiciel bloqué"
    Quand "chef" ouvre le tableau de bord
    Alors le tableau de bord compte 2 tickets ouverts et 1 résolu le 30/03/2026
    Et la première réponse prend "2 h 30" en médiane et "4 h" au 90e centile
    Et la résolution prend "2 h" en médiane
    Et les délais de première réponse sont tenus pour 1 ticket sur 2
    Et la satisfaction moyenne est de "5,0 sur 5"
    Et le tableau de bord ne montre que le groupe "Bureau de l'assistance aux utilisateurs"

  Scénario: Une journée de Nouméa va de minuit à minuit, heure de Nouméa
    Étant donné il est 23 h 30
    Et "agent" ouvre la demande "Écran noir" dans la catégorie "Logiciels"
    Et nous sommes le mardi 31 mars 2026 à 0 h 30, heure de Nouméa
    Et "agent" ouvre la demande "Toujours noir" dans la catégorie "Logiciels"
    Quand "chef" ouvre le tableau de bord
    Alors le tableau de bord compte 1 ticket ouvert et 0 résolu le 30/03/2026
    Et le tableau de bord compte 1 ticket ouvert et 0 résolu le 31/03/2026

  Scénario: La semaine de pointe ressort à côté de la semaine habituelle
    Étant donné 2 demandes ont été ouvertes chaque semaine, de la semaine 6 à la semaine 9 de 2026
    Et 10 demandes ont été ouvertes la semaine 10 de 2026
    Et nous sommes le lundi 16 mars 2026 à 9 h 00, heure de Nouméa
    Quand "chef" ouvre le tableau de bord
    Alors la semaine de pointe est la semaine 10, avec 10 tickets ouverts
    Et elle pèse "× 5,0" une semaine habituelle de "2,0" tickets
    Et sa barre est la seule mise en évidence dans le graphique des semaines

  Scénario: Un technicien n'a pas accès au tableau de bord
    Quand "tech1" ouvre le tableau de bord
    Alors la page répond 403

  Scénario: Une date impossible est signalée à côté de son champ
    Quand "chef" ouvre le tableau de bord du "31/02/2026" au "30/03/2026"
    Alors la page répond 400
    Et le champ "du" signale "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."

  Scénario: Une période à l'envers est signalée à côté de la date de fin
    Quand "chef" ouvre le tableau de bord du "30/03/2026" au "01/03/2026"
    Alors la page répond 400
    Et le champ "au" signale "La date de fin (01/03/2026) précède la date de début (30/03/2026) : inversez-les."

  Scénario: L'export CSV désamorce les formules et entre au journal d'audit
    Étant donné "agent" ouvre la demande "=SOMME(A1:A9)" dans la catégorie "Logiciels"
    Quand "chef" exporte les tickets en CSV
    Alors l'export contient 1 ticket, intitulé "'=SOMME(A1:A9)"
    Et le journal d'audit contient "Export CSV de 1 ticket de l'assistance (du 23/02/2026 au 30/03/2026)."

  Scénario: L'export XLSX s'ouvre dans un tableur
    Étant donné "agent" ouvre la demande "Portable lent" dans la catégorie "Matériel > Ordinateur portable"
    Et "agent" ouvre la demande "VPN coupé" dans la catégorie "Réseau > VPN"
    Quand "hdadmin" exporte les tickets en XLSX
    Alors le classeur a une feuille "Tickets" avec 2 tickets
    Et le journal d'audit contient "Export XLSX de 2 tickets de l'assistance (du 23/02/2026 au 30/03/2026)."
