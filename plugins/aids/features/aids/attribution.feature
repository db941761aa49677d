# language: fr
Fonctionnalité: Répartir les demandes entre groupes d'instructeurs, se les attribuer, les transmettre et les suivre
  Afin que chaque demande trouve son instructeur sans se perdre, et que je voie ce qui a changé sur mes dossiers
  En tant qu'instructeur de la direction qui instruit la démarche
  Je veux voir le groupe de chaque demande, me l'attribuer, la transmettre à un collègue et la suivre

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que ses groupes instructeurs sont "Nouméa" pour la commune "Nouméa" et "Brousse et îles" par défaut
    Et que 1 demandes y sont déposées
    Et que je suis connecté comme instructeur

  Scénario: Une demande déposée va au groupe de sa commune
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Alors le groupe instructeur affiché est "Nouméa"

  Scénario: Je m'attribue une demande : je la suis et elle est dans « Mes dossiers »
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je clique "Me l'attribuer"
    Alors la demande est attribuée à "Léa Instructrice"
    Et elle est suivie par "Léa Instructrice"
    Et « Mes dossiers » liste la demande numéro 1

  Scénario: Transmettre sans message est refusé à côté du champ ; avec un message, le collègue est prévenu
    Étant donné qu'un collègue "Hugo Collègue" instruit aussi la démarche
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je clique "Me l'attribuer"
    Et je transmets la demande à "Hugo Collègue" avec le message ""
    Alors le message à mon collègue dit "Le message à votre collègue est obligatoire."
    Quand je transmets la demande à "Hugo Collègue" avec le message "Famille à Sydney : à toi de voir."
    Alors la demande est attribuée à "Hugo Collègue"
    Et "hugo@example.nc" a reçu un courriel "Une demande vous est transmise"

  Scénario: Un badge dit qu'il y a du nouveau, jusqu'à ce que j'ouvre la demande
    Étant donné que le demandeur de la demande numéro 1 a écrit "J'ai trouvé un vol pour le 12."
    Quand je cherche la demande numéro 1
    Alors la liste dit "nouveau : message" pour la demande numéro 1
    Quand j'ouvre la demande numéro 1
    Et je cherche la demande numéro 1
    Alors la liste ne dit rien de nouveau pour la demande numéro 1

  Scénario: Qui suit une demande est prévenu des transitions des autres
    Étant donné qu'un collègue "Hugo Collègue" instruit aussi la démarche
    Et que "Hugo Collègue" suit la demande numéro 1
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je fais "Qualifier"
    Alors "hugo@example.nc" a reçu un courriel "Demande RAP"
    Et elle est suivie par "Léa Instructrice"
