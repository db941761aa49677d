# language: fr
Fonctionnalité: Les saisies invalides sont refusées clairement, sans rien enregistrer à moitié
  Afin de ne jamais perdre ce que j'ai tapé ni créer de demande bancale
  En tant qu'agent ou technicien
  Je veux un message clair en français à côté du champ en cause

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et que je suis connecté comme "agent"

  Plan du Scénario: Une demande invalide est refusée
    Quand j'envoie une demande dont le champ "<champ>" vaut "<valeur>"
    Alors la réponse a le statut 400
    Et le message "<message>" est à côté du champ "<champ>"
    Et aucune demande n'est enregistrée

    Exemples:
      | champ       | valeur        | message                                                 |
      | description | (vide)        | La description est obligatoire.                         |
      | title       | (10000 x)     | Le titre fait 200 caractères au plus (vous en avez saisi 10 000). |
      | category    | Plomberie     | Catégorie inconnue : « Plomberie ». Choisissez-en une dans la liste. |

  Scénario: Un caractère invisible collé dans la demande est refusé, et la demande proposée de nouveau sans lui
    Quand j'envoie une demande dont la description contient un caractère de contrôle "\x00" collé d'un PDF
    Alors la réponse a le statut 400
    Et je lis "Le champ « description » contient un caractère invisible qui ne peut pas être enregistré (U+0000)"
    Et aucune demande n'est enregistrée
    Quand j'envoie de nouveau ce qui est proposé, sans ce caractère
    Alors la demande "Une panne" est enregistrée avec la description "Depuis ce matin, l'écran clignote."

  Scénario: Une pièce jointe déguisée est refusée d'après son contenu
    Quand j'envoie une demande avec la pièce jointe "capture.png" qui est en fait un programme
    Alors la réponse a le statut 400
    Et le message "« capture.png » n'est pas d'un type accepté" est à côté du champ "attachments"
    Et aucune demande n'est enregistrée

  Scénario: Une pièce jointe trop lourde est refusée
    Quand j'envoie une demande avec une pièce jointe de 11 Mo
    Alors la réponse a le statut 400
    Et le message "la limite est de 10 Mo par fichier" est à côté du champ "attachments"

  Scénario: On ne répond plus à une demande close
    Étant donné que j'ai ouvert la demande "Ancienne panne" dans la catégorie "Logiciels"
    Et que la demande "Ancienne panne" est close
    Quand je réponds "Ça recommence" à la demande "Ancienne panne"
    Alors la réponse a le statut 409
    Et je lis "est clos : il ne reçoit plus de réponse"

  Scénario: Un technicien ne touche pas aux demandes des autres groupes
    Étant donné que j'ai ouvert la demande "VPN lent" dans la catégorie "Réseau > VPN"
    Et que je suis connecté comme "tech1"
    Quand je prends la demande "VPN lent" par la file
    Alors la réponse a le statut 403
    Et je lis "dont vous n'êtes pas membre"
