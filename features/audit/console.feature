# language: fr
Fonctionnalité: Consulter le journal d'audit
  Afin de savoir qui a fait quoi, quand et depuis où
  En tant qu'administrateur informatique
  Je veux filtrer le journal, chercher dans ses résumés, voir le détail d'une entrée et l'exporter

  Contexte:
    Étant donné les données de démonstration
    Et que "technicien" a le rôle "sample:reader"
    Et que "technicien" a ajouté la note "Budget 2026"
    Et que "technicien" a ajouté la note "Congés annuels"
    Et que je suis connecté comme "admin" avec "demo-admin-2026"

  Scénario: Filtrer par module et par personne
    Quand je filtre le journal sur le module "sample" et la personne "technicien"
    Alors le journal affiche 2 entrées
    Et la première entrée a pour résumé "Note « Congés annuels » ajoutée."

  Scénario: Chercher un mot dans les résumés
    Quand je cherche "congés" dans le journal
    Alors le journal affiche 1 entrée
    Et la première entrée a pour résumé "Note « Congés annuels » ajoutée."

  Scénario: Une date impossible est refusée à côté de son champ
    Quand je filtre le journal à partir du "31/02/2026"
    Alors la réponse est refusée avec le statut 400
    Et le champ "du" affiche l'erreur "Saisissez une date valide au format JJ/MM/AAAA (par exemple 23/03/2026)."

  Scénario: Voir une modification avant et après
    Étant donné que "technicien" a le rôle "sample:editor"
    Et que "technicien" a renommé la note "Budget 2026" en "Budget 2027"
    Quand j'ouvre le détail de la dernière entrée du module "sample"
    Alors le champ "title" valait "Budget 2026" avant et "Budget 2027" après

  Scénario: Exporter les entrées filtrées pour Excel
    Quand j'exporte le journal filtré sur le module "sample"
    Alors le fichier CSV a pour colonnes "N°;Date (heure de Nouméa);Compte;Type de compte"
    Et le fichier CSV contient 2 entrées
    Et le journal d'audit contient "Export CSV du journal d'audit (module = sample)."

  Scénario: Un agent suit l'historique d'une note qu'il peut lire, pas le reste du journal
    Étant donné que je suis connecté comme "technicien" avec "demo-technicien-2026"
    Quand j'ouvre l'historique de la note "Budget 2026"
    Alors l'historique montre "Note « Budget 2026 » ajoutée."
    Et la page "/intranet/console/journal/" répond 403

  Scénario: Un agent qui ne peut pas lire les notes ne voit pas leur historique
    Étant donné que je suis connecté comme "agent" avec "demo-agent-2026"
    Quand j'ouvre l'historique de la note "Budget 2026"
    Alors la réponse est refusée avec le statut 404
