# language: fr
Fonctionnalité: Demander une intervention informatique et la suivre
  Afin d'obtenir de l'aide sans passer dix coups de téléphone
  En tant qu'agent de la Province
  Je veux décrire mon problème en ligne, suivre ma demande et dire si la réponse m'a aidé

  Contexte:
    Étant donné le bureau d'assistance avec ses techniciens et ses catégories
    Et que je suis connecté comme "agent"

  Scénario: Les articles d'aide apparaissent pendant que je tape le titre
    Quand je tape "vpn maison" dans le titre d'une nouvelle demande
    Alors l'article "Configurer le VPN à la maison" m'est proposé
    Et aucun brouillon ne m'est proposé

  Scénario: Ouvrir une demande, qui part dans la bonne file et m'est confirmée par courriel
    Quand j'envoie une demande "Le VPN refuse ma connexion" dans la catégorie "Réseau > VPN"
    Alors la page me donne la référence "HD-000001"
    Et la demande est dans la file du groupe "INFRA"
    Et je reçois un courriel "[HD-000001] Demande enregistrée : Le VPN refuse ma connexion"

  Scénario: Répondre, voir la réponse du technicien, rouvrir puis noter
    Étant donné que j'ai ouvert la demande "Imprimante bloquée" dans la catégorie "Matériel > Ordinateur portable"
    Et que "tech1" a répondu "Éteignez-la et rallumez-la."
    Et que "tech1" a écrit la note interne "Bourrage connu sur ce modèle"
    Quand j'ouvre ma demande
    Alors je lis "Éteignez-la et rallumez-la."
    Et je ne lis pas "Bourrage connu sur ce modèle"
    Quand "tech1" résout la demande
    Et que je rouvre ma demande
    Alors la demande est "En cours"
    Quand "tech1" résout la demande
    Et que je donne la note 5 avec le commentaire "Parfait"
    Alors la demande porte la note 5

  Scénario: Un technicien saisit une demande reçue par téléphone
    Étant donné que je suis connecté comme "tech1"
    Quand j'envoie pour "agente" une demande "Souris en panne" dans la catégorie "Matériel > Ordinateur portable"
    Alors la demande appartient à "agente" et a été saisie par "tech1"
