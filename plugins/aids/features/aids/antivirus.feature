# language: fr
@antivirus
Fonctionnalité: Les fichiers d'une demande passent à l'antivirus avant d'être transmis
  Afin qu'aucun virus n'entre dans l'administration par une demande d'aide
  En tant qu'instructeur de la province Sud
  Je veux que chaque fichier soit analysé, et qu'un fichier non reconnu sain ne soit jamais servi

  Contexte:
    Étant donné que la démarche "Aide aux entreprises" est publiée pour les entreprises
    Et que je suis connecté comme entreprise

  Scénario: Un fichier infecté est refusé à côté de son champ, et rien n'en est gardé
    Quand j'envoie mes pièces avec une attestation CAFAT infectée
    Alors le champ "attestation_cafat" dit "« cafat.pdf » contient un virus (Cagou.Test.PDF-EICAR.UNOFFICIAL) : il n'a pas été gardé. Envoyez un fichier sain."
    Et le fichier "cafat.pdf" n'est plus conservé

  Scénario: Antivirus injoignable : le fichier attend en quarantaine, puis il est transmis
    Étant donné que l'antivirus est injoignable
    Quand j'envoie mes pièces et je dépose
    Et un instructeur ouvre la demande déposée
    Alors je lis "Antivirus : En quarantaine : analyse antivirus en attente"
    Et le téléchargement de "cafat.pdf" est refusé : "Ce fichier est en cours d'analyse antivirus"
    Quand l'antivirus répond de nouveau et que l'analyse des fichiers en quarantaine passe
    Et un instructeur ouvre la demande déposée
    Alors je lis "Antivirus : Analysé : aucun virus"
    Et je télécharge "cafat.pdf"
