# language: fr
Fonctionnalité: S'inscrire sur les services en ligne
  Afin de déposer mes demandes et de suivre mes dossiers
  En tant que particulier ou entreprise
  Je veux créer un compte dont l'adresse est vérifiée

  Scénario: Un particulier s'inscrit, confirme son adresse et se connecte
    Quand je m'inscris comme particulier "Alice Wadrawane" avec l'adresse "alice@example.nc"
    Alors je reçois un courriel « Confirmez votre adresse électronique » à "alice@example.nc"
    Et je ne peux pas encore me connecter avec "alice@example.nc"
    Quand j'ouvre le dernier lien reçu
    Alors la page dit « Adresse confirmée »
    Et je peux me connecter sur l'extension publique avec "alice@example.nc"

  Scénario: Une entreprise se trompe de RIDET
    Quand je m'inscris comme entreprise "Pêcheries de Thio" avec le RIDET "12345"
    Alors le champ "ridet" signale « 7 chiffres pour l'entreprise »
    Et aucun compte n'a été créé

  Scénario: Un lien de confirmation ne sert qu'une fois
    Quand je m'inscris comme particulier "Alice Wadrawane" avec l'adresse "alice@example.nc"
    Et que j'ouvre le dernier lien reçu
    Et que j'ouvre encore le même lien
    Alors la page dit « Lien inutilisable »

  Scénario: Mot de passe oublié
    Étant donné les données de démonstration
    Quand je demande un nouveau mot de passe pour "jeanne.martin@example.nc"
    Et que je choisis le nouveau mot de passe "corail-manguier-pirogue" depuis le lien reçu
    Alors je peux me connecter sur l'extension publique avec "jeanne.martin@example.nc" et "corail-manguier-pirogue"
