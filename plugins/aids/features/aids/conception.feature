# language: fr
Fonctionnalité: Concevoir une démarche en ligne
  Afin de mettre en ligne un formulaire le jour même
  En tant qu'agent qui conçoit les démarches de sa direction
  Je veux bâtir le formulaire champ par champ, le voir comme l'usager le verra, et le publier

  Contexte:
    Étant donné que je suis connecté comme concepteur

  Scénario: Une page blanche, un champ, et l'aperçu le montre comme l'usager le verra
    Quand je crée la démarche "Recensement des résidents" d'une page blanche
    Et j'ajoute le champ obligatoire "Date de naissance" de type "date"
    Alors l'aperçu montre le champ "Date de naissance (obligatoire)"

  Scénario: La publication attend la notice sur les données personnelles
    Quand je crée la démarche "Recensement des résidents" d'une page blanche
    Et je publie la démarche
    Alors la page est refusée
    Et je lis "Indiquez la base légale du traitement : la publication l'exige."

  Scénario: Un type de champ inconnu est refusé à côté de son champ
    Quand je crée la démarche "Recensement des résidents" d'une page blanche
    Et j'ajoute le champ obligatoire "Piège" de type "script"
    Alors le champ "type" dit "Choisissez un type de champ dans la liste."

  Scénario: Un fichier importé qui contient un type inconnu est refusé, et rien n'est créé
    Quand j'importe une démarche dont un champ est de type "signature"
    Alors le champ "file" dit "Page 1, champ 1 (« nom ») : type de champ inconnu : « signature »."
    Et aucune démarche n'est créée
