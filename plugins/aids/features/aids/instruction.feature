# language: fr
Fonctionnalité: Retrouver et exporter les demandes déposées
  Afin que le formulaire mis en ligne un samedi soit instruit dès le lundi
  En tant qu'agent de la direction qui instruit la démarche
  Je veux lister les demandes, en ouvrir une et les exporter

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 3 demandes y sont déposées
    Et que je suis connecté comme instructeur

  Scénario: Retrouver une demande par son numéro et l'ouvrir
    Quand je cherche la demande numéro 2
    Et j'ouvre la demande numéro 2
    Alors je lis "Pays où vous vous trouvez"
    Et je lis "Australie"

  Scénario: Exporter toutes les demandes en CSV
    Quand j'exporte les demandes en CSV
    Alors le fichier compte 3 demandes
