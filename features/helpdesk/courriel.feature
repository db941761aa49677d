# language: fr
Fonctionnalité: Écrire à l'assistance par courriel
  Afin de suivre une demande sans ouvrir l'intranet
  En tant qu'agent de la province
  Je veux répondre aux courriels de l'assistance et lui écrire directement,
  sans que les répondeurs, les boucles ni les doublons ne créent de tickets

  Le courrier arrive au module par un vrai échange SMTP, comme depuis le
  serveur de messagerie de la province.

  Contexte:
    Étant donné le bureau de l'assistance
    Et le courrier de l'assistance est à l'écoute

  Scénario: La réponse à un courriel de l'assistance s'ajoute au ticket
    Étant donné "agent" a ouvert la demande "Imprimante en panne"
    Quand "agent" répond au courriel de l'assistance : "Elle affiche toujours l'erreur 50.1."
    Alors le serveur de messagerie accepte le courriel
    Et la demande "Imprimante en panne" a la réponse "Elle affiche toujours l'erreur 50.1." de "agent"
    Et le journal d'audit attribue la réponse à "agent"

  Scénario: Un agent connu ouvre une demande par courriel
    Quand "agente" écrit à l'assistance « Écran noir au démarrage » : "Mon écran reste noir depuis ce matin."
    Alors le serveur de messagerie accepte le courriel
    Et une demande « Écran noir au démarrage » est ouverte pour "agente"
    Et "agente" reçoit l'accusé de réception de sa demande

  Scénario: Un expéditeur inconnu est refusé
    Quand "pirate@exemple.com" écrit à l'assistance « Gagnez un ordinateur » : "Cliquez ici."
    Alors le serveur de messagerie refuse le courriel
    Et aucune demande n'est créée
    Et le journal d'audit garde la trace du courriel refusé

  Scénario: Une rafale de courriels indésirables ne remplit pas le journal d'audit
    Quand "pirate@exemple.com" écrit 12 fois à l'assistance « Gagnez un ordinateur » : "Cliquez ici."
    Alors le serveur de messagerie refuse chacun des courriels
    Et aucune demande n'est créée
    Et le journal d'audit garde la trace de 10 courriels refusés seulement

  Scénario: Le message d'absence d'un agent est ignoré
    Étant donné "agent" a ouvert la demande "VPN coupé"
    Quand le répondeur de "agent" répond au courriel de l'assistance
    Alors le serveur de messagerie accepte le courriel
    Et la demande "VPN coupé" n'a aucune réponse
    Et le journal d'audit garde la trace du courriel refusé

  Scénario: Une réponse à tous, remise deux fois, ne compte qu'une fois
    Étant donné "agent" a ouvert la demande "Imprimante en panne"
    Quand "agent" répond à tous au courriel de l'assistance : "Merci, c'est réparé."
    Et le serveur de messagerie remet ce courriel une seconde fois
    Alors la demande "Imprimante en panne" a une seule réponse

  Scénario: Module désactivé : le courrier attend sans se perdre
    Étant donné le module d'assistance est désactivé sur l'intranet
    Quand "agente" écrit à l'assistance « Écran noir au démarrage » : "Mon écran reste noir."
    Alors le serveur de messagerie diffère le courriel
    Et aucune demande n'est créée
    Quand le module d'assistance est réactivé sur l'intranet
    Et le serveur de messagerie remet ce courriel une seconde fois
    Alors le serveur de messagerie accepte le courriel
    Et une demande « Écran noir au démarrage » est ouverte pour "agente"

  Scénario: Répondre à une demande close en ouvre une nouvelle
    Étant donné "agent" a ouvert la demande "Imprimante en panne"
    Et la demande "Imprimante en panne" est close
    Quand "agent" répond au courriel de l'assistance : "Elle est de nouveau en panne."
    Alors le serveur de messagerie accepte le courriel
    Et la demande "Imprimante en panne" n'a aucune réponse
    Et une demande « Suite de HD-000001 : Imprimante en panne » est ouverte pour "agent"
