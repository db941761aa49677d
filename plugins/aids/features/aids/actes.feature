# language: fr
Fonctionnalité: Attribuer l'aide par un arrêté, signé par un signataire habilité
  Afin que le payeur puisse verser l'aide sur un acte qui ne change plus
  En tant qu'instructeur, puis signataire de la direction
  Je veux créer l'arrêté des demandes validées, le faire signer, et le retirer tant qu'il n'est pas signé

  Contexte:
    Étant donné que la démarche "Recensement des résidents bloqués à l'étranger" est publiée
    Et que 2 demandes y sont déposées
    Et que la démarche suit le circuit "aide_paiement" avec 1 niveaux de validation
    Et que je suis connecté comme instructeur

  Scénario: Un arrêté attribue l'aide aux demandes validées ; signé, il est figé
    Étant donné que la demande numéro 1 est proposée à "300 000" puis validée
    Et que la demande numéro 2 est proposée à "200 000" puis validée
    Quand je crée un arrêté avec toutes les demandes validées
    Alors l'arrêté affiche un total de "500 000"
    Et l'arrêté est "En préparation"
    Et la demande numéro 1 est toujours "inscrite_acte"
    Quand un signataire signe l'arrêté
    Alors l'arrêté est "Signé"
    Et la demande numéro 2 est toujours "acte_signe"
    Et le demandeur a reçu un courriel "Votre aide est attribuée" "000002"
    Et l'arrêté signé ne peut plus être retiré
    Quand je télécharge le PDF de l'arrêté
    Alors le PDF dit "cinq cent mille francs CFP"

  Scénario: Retirer un arrêté non signé rend ses demandes à l'état validé
    Étant donné que la demande numéro 1 est proposée à "300 000" puis validée
    Quand je crée un arrêté avec toutes les demandes validées
    Et je retire l'arrêté
    Alors l'arrêté est "Retiré"
    Et la demande numéro 1 est toujours "validee"

  Scénario: L'arrêté signé est mis en paiement ; le retour du payeur est vérifié en entier
    Étant donné que la demande numéro 1 est proposée à "300 000" puis validée
    Et que la demande numéro 2 est proposée à "200 000" puis validée
    Quand je crée un arrêté avec toutes les demandes validées
    Et un signataire signe l'arrêté
    Et l'instructeur met l'arrêté en paiement
    Alors la demande numéro 1 est toujours "mise_paiement"
    Quand le payeur retourne "payé" pour la demande numéro 1 à "250 000"
    Alors le retour est refusé : "l'arrêté attribue 300 000 F CFP"
    Et la demande numéro 1 est toujours "mise_paiement"
    Quand le payeur retourne "payé" pour la demande numéro 1 à "300 000"
    Alors la demande numéro 1 est toujours "payee"
    Quand le payeur retourne "rejeté" pour la demande numéro 2 à "200 000"
    Alors la demande numéro 2 est toujours "acte_signe"
    Et le demandeur a reçu un courriel "Corrigez vos coordonnées bancaires" "000002"

  Scénario: La signature donne à chaque bénéficiaire sa lettre de décision, jointe au courriel de la signature
    Étant donné que la demande numéro 1 est proposée à "300 000" puis validée
    Quand je crée un arrêté avec toutes les demandes validées
    Alors l'accueil d'un signataire annonce "1 acte(s) à signer"
    Quand un signataire signe l'arrêté
    Alors l'arrêté est "Signé"
    Et le courriel "Votre aide est attribuée" de la demande numéro 1 porte la lettre qui dit "trois cent mille francs CFP"
    Et l'archive de la demande numéro 1 contient sa lettre et l'arrêté signé
    Et l'accueil d'un signataire annonce "Aucun arrêté n'attend votre signature."
