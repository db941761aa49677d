# language: fr
Fonctionnalité: Traiter les demandes dans les files des techniciens
  Afin de survivre à une semaine de 450 demandes
  En tant que technicien du bureau de l'assistance
  Je veux prendre les demandes sans doublon, les faire avancer et tenir les délais

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et que "agent" a ouvert la demande "Écran noir" d'urgence "Basse"
    Et que "agent" a ouvert la demande "Plus de réseau" d'urgence "Haute"

  Scénario: Prendre le suivant donne la demande la plus urgente
    Étant donné que je suis connecté comme "tech1"
    Quand je prends le suivant
    Alors j'ouvre la demande "Plus de réseau"
    Et elle m'est attribuée

  Scénario: Deux techniciens prennent la même demande, un seul l'obtient
    Étant donné que "tech2" a pris la demande "Écran noir"
    Et que je suis connecté comme "tech1"
    Quand je prends la demande "Écran noir"
    Alors on me répond "vient d'être pris par Inès Technicienne" avec le statut 409

  Scénario: En attente du demandeur, le délai est suspendu
    Étant donné que je suis connecté comme "tech1"
    Et que j'ai pris la demande "Écran noir"
    Quand je mets la demande "Écran noir" en attente du demandeur
    Et que deux heures ouvrées passent
    Et que le demandeur répond "Voici la photo de l'écran"
    Alors la demande "Écran noir" est "En cours"
    Et son échéance de résolution a reculé de deux heures

  Scénario: Une demande qui dépasse son délai prévient le responsable du groupe
    Quand 90 minutes passent sans réponse à "Plus de réseau"
    Et que la vérification des délais passe
    Alors "chef" reçoit un courriel "Hors délai : Plus de réseau"

  Scénario: Quand un technicien quitte la Province, ses demandes retournent dans la file
    Étant donné que "tech1" a pris la demande "Écran noir"
    Quand le compte de "tech1" est désactivé
    Alors la demande "Écran noir" n'est attribuée à personne
