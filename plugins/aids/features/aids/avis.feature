# language: fr
Fonctionnalité: Demander un avis à une autre direction ou à un expert extérieur
  Afin d'instruire une demande avec l'éclairage d'un spécialiste
  En tant qu'instructeur de la démarche
  Je veux demander un avis, le lire une fois rendu, sans que le demandeur n'en voie rien

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 1 demandes y sont déposées
    Et que je suis connecté comme instructeur

  Scénario: Un expert extérieur rend son avis par son lien, qui ne sert qu'une fois
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je demande l'avis de l'expert "docteur@example.nc" : "Le motif médical du séjour est-il établi ?"
    Alors l'expert "docteur@example.nc" a reçu 1 courriel avec son lien
    Quand l'expert ouvre son lien
    Alors il lit la question "Le motif médical du séjour est-il établi ?" et rien de la demande numéro 1
    Quand il rend un avis "favorable" motivé "Oui : le certificat du médecin en atteste."
    Alors son lien répond 410 "Ce lien a expiré"
    Et je lis sur la demande numéro 1 "Avis favorable"
    Et le journal d'audit dit "Avis rendu sur la demande"

  Scénario: Une autre direction répond sur l'intranet, depuis « Avis demandés »
    Étant donné qu'une experte de la "Direction des finances" peut rendre des avis
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je demande l'avis de la direction "Direction des finances" : "Ce foyer a-t-il déjà reçu une aide ?"
    Et l'experte rend depuis « Avis demandés » un avis "défavorable" motivé "Déjà aidé en avril."
    Alors je lis sur la demande numéro 1 "Avis défavorable"

  Scénario: Sans réponse, l'expert est relancé deux fois au plus, et la date limite ferme son lien
    Quand je cherche la demande numéro 1
    Et j'ouvre la demande numéro 1
    Et je demande l'avis de l'expert "docteur@example.nc" : "Le motif médical du séjour est-il établi ?"
    Et 3 jours passent sans réponse et la tâche de relance s'exécute
    Et 3 jours passent sans réponse et la tâche de relance s'exécute
    Et 3 jours passent sans réponse et la tâche de relance s'exécute
    Alors l'expert "docteur@example.nc" a reçu 3 courriel avec son lien
    Et le journal d'audit dit "Rappel 2 à l'expert"
    Quand la date limite de l'avis passe
    Alors son lien répond 410 "Ce lien a expiré"
