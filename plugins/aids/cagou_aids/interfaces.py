"""The aids module's services, as zope.interface interfaces.

A view asks the request for a service by its interface
(``request.find_service(IProcedures)``) and never imports its
implementation, which lives in ``services/`` and is registered by the
module's ``includeme``: a test may register another one.
"""

from __future__ import annotations

from zope.interface import Interface

# ruff: noqa: N805  (zope.interface methods are declared without ``self``, nor types)
# mypy: disable-error-code="no-untyped-def,misc"


class IProcedures(Interface):
    """The procedures designers build and publish."""

    def create(settings, definition):
        """A new procedure in draft, its first version holding ``definition`` (JSON data), and return it.

        ``settings`` is a :class:`~cagou_aids.services.procedures.ProcedureSettings`. Raises
        ``Invalid`` (each setting's message, and the definition's problems under ``definition``)
        before anything is kept; audits ``aids:procedure:create``.
        """

    def create_from_model(model, settings):
        """A new procedure in draft from one of the shipped models (``repatriation``, ``business_aid``)."""

    def publish(procedure, confirmed=False):
        """Open the latest version to the public; delete the applications sent while it was in test.

        Raises ``Invalid`` while the personal-data notice is incomplete (each missing part under
        ``data_notice.<part>``), and under ``confirm`` when the new version has changes that would break the
        drafts in progress (:func:`cagou_aids.versions.breaking_changes`) and ``confirmed`` is false;
        ``Refused`` (409) when the latest version is published already. Audits ``aids:procedure:publish``.
        """

    # The designer's changes (services/designer.py). Each change to the form goes through
    # ``parse_definition`` before it is kept (``Invalid`` with the problems in French otherwise), is made on a
    # new version once the latest is published, and is audited as ``aids:procedure:<subject>``.

    def create_blank(settings):
        """A new procedure in draft whose form is one empty page."""

    def clone(procedure, settings):
        """A new procedure in draft with ``settings`` and a copy of ``procedure``'s latest form."""

    def import_file(content, directorate_id=None):
        """A new procedure in draft from an exported file (:mod:`cagou_aids.transfer`), checked whole;
        ``Invalid`` under ``file`` with every problem otherwise. The file's directorate wins when it names one."""

    def update_settings(procedure, settings):
        """Change the procedure's settings (``Invalid`` field by field); audits ``aids:procedure:settings``."""

    def add_field(procedure, page, kind, label, required=False, choices=(), parent=""):
        """Add a field at the end of page ``page`` (from 1), or of the repeatable block ``parent``; return its
        name, made from the label. Audits ``aids:procedure:field``."""

    def update_field(procedure, name, values):
        """Replace the field's keys by ``values`` (its JSON keys; its name, type and own fields stay)."""

    def remove_field(procedure, name):
        """Remove the field ``name`` (a condition on it makes the removal refused)."""

    def move_field(procedure, name, offset):
        """Move a field up (-1) or down (+1); over its page's edge, to the end of the page before or the start
        of the page after."""

    def add_page(procedure, title):
        """Add an empty page at the end and return its number. Audits ``aids:procedure:page``."""

    def update_page(procedure, number, values):
        """Replace page ``number``'s title, help and condition (``values`` keeps its ``fields``)."""

    def remove_page(procedure, number):
        """Remove page ``number`` with its fields (the form keeps one page at least)."""

    def move_page(procedure, number, offset):
        """Move page ``number`` up (-1) or down (+1)."""

    def new_version(procedure):
        """The version to edit: the latest if it is not published, else a new copy of it (audited
        ``aids:procedure:version``)."""

    def put_in_test(procedure):
        """Draft → test: reachable by its link only, its submissions marked as tests. Audits ``aids:procedure:test``."""

    def back_to_draft(procedure):
        """Test → draft, its test submissions deleted. Audits ``aids:procedure:draft``."""

    def close(procedure):
        """Published → closed now (its closing instant set to now if later). Audits ``aids:procedure:close``."""


class IApplications(Interface):
    """What applicants send."""

    def sent_with(procedure, idempotency_key):
        """The application ``idempotency_key`` gave on ``procedure``, or None."""

    def submit(procedure, answers, idempotency_key, email, applicant=None, files=(), checked=False):
        """Store an application with its receipt number, and return it.

        ``files`` are the stored files the applicant sent (a draft's): those the answers refer to
        become the application's, and are listed with their SHA-256 in the confirmation mail.
        ``checked`` says the caller looked for ``idempotency_key``'s application already, in this
        transaction (``sent_with``): it is not looked for again. The confirmation mail is composed by
        a job queued in the same transaction (:meth:`confirm`).

        The answers are read again whole against the version the public fills
        (:func:`cagou_aids.forms.check_answers`): hidden fields are dropped, and
        ``Invalid`` names every wrong one. ``Refused`` (409) while the procedure
        is not open, with when it closed. The same ``idempotency_key`` on the same
        procedure returns the application it first gave, however many times and
        from however many processes it is sent. Audits ``aids:application:submit``.
        """

    def confirm(application):
        """The job's part of a submission: the confirmation mail with the PDF receipt, written once.

        Writes it to the outbox (keyed ``aids.application.<id>.confirmation``) and marks the application
        ``confirmed_at``; returns the outbox row's id, or None when the application was confirmed already
        (a second run of the job). Nothing is audited: the submission was.
        """

    def withdraw(application, applicant):
        """The applicant withdraws their application before any decision: it will not be instructed.

        ``applicant`` is the signed-in account, or None for a guest, whose key (their private link)
        the view has checked. ``Refused`` (404) when the application is not ``applicant``'s (a guest's
        application for a guest), (409) once a decision is taken or when it is withdrawn already.
        Writes the history and audits ``aids:application:withdraw``.
        """


class IReceipts(Interface):
    """What an applicant keeps of their application: the PDF receipt, and everything sent as one ZIP."""

    def pdf(application):
        """The receipt as PDF bytes: the procedure, the number, when (Nouméa time), who applied, every
        answer as the pages show it, the files with their SHA-256. Rendered each time (nothing stored)."""

    def archive(application):
        """A temporary file (binary, at its start) holding the ZIP of the receipt and every file sent,
        under safe names (``fichiers/<champ>/<nom>``); the caller streams it and it disappears once closed."""


class IMessages(Interface):
    """Messages about an application, from the instructors to the applicant and back."""

    def write(application, author, text, uploads, account):
        """Keep a message of ``author`` (``INSTRUCTORS`` or ``APPLICANT``, :mod:`cagou_aids.models`) with its files
        (``uploads``, PDF, JPEG or PNG by their content, 10 MB each, 5 at most), and return it.

        ``account`` is who writes (None for a guest). ``Invalid`` (under ``texte`` or ``pieces``) for an empty or
        too long text or a refused file, before anything is kept; ``Refused`` (409) once the application is
        anonymised. Writes the history, mails the other side (the applicant's address, the procedure's contact
        address) and audits ``aids:message:send``.
        """


class IDocumentRequests(Interface):
    """Requests for documents: an instructor reopens chosen fields of an application, the applicant answers them."""

    def ask(application, names, text, instructor):
        """Reopen the fields ``names`` (any field of the application's version that takes an answer) with the
        instructor's ``text``, and return the request; the application waits for its answer.

        ``Invalid`` for no field, a name the form does not have (under ``champs``) or an empty or too long text
        (under ``demande``); ``Refused`` (409) unless the application is submitted (under a workflow: in a state
        a transition leaves for ``complement``) and nothing is asked already.
        Writes the history, mails the applicant, audits ``aids:request:ask``.
        """

    def answer(document_request, values, uploads, account):
        """The applicant's answers to the reopened fields only (``values``: what the form sent, ``uploads``: the
        files sent, by field), read with the rules of the application's version; return the application.

        ``Invalid`` with each message next to its field, before anything is kept; the answers of the other
        fields are never changed. The files replaced stay with the application, no longer listed. Writes the
        history, mails the procedure's contact address, audits ``aids:request:answer``.
        """

    def close_on_leaving(application, before):
        """Called by every workflow transition: when it took ``application`` out of ``complement`` (``before``) by
        hand, the open request for documents is closed unanswered, by the signed-in instructor (its reopened fields
        locked again, no longer offered to the applicant); returns it, or None when there was none. Writes the
        history, audits ``aids:request:close``."""


class IDrafts(Interface):
    """What applicants have typed before submitting: page after page, never lost."""

    def start(procedure, applicant, idempotency_key=""):
        """A new draft of ``procedure`` for the signed-in public account ``applicant``, and return it.

        Its submission will carry ``idempotency_key`` (a program's), or a key made for it.

        ``Refused`` (409) while the procedure is not open, (403) when its public is not the
        applicant's (a company's procedure for a person, for instance).
        """

    def start_as_guest(procedure, email):
        """A new draft for someone without an account, whose ``email`` receives a code and the draft's private
        link; return it. ``Invalid`` for an address that is not one, ``Refused`` while the procedure is closed."""

    def confirm_guest(draft, code):
        """The guest proves their address with the code mailed to it; ``Invalid`` (under ``code``) otherwise."""

    def save_page(draft, number, typed, answers=None):
        """Keep what was typed on page ``number`` and, when the page was accepted, its ``answers``.

        The answers of the page's fields replace the ones it had; no audit entry (a draft is
        the applicant's own, until submitted).
        """

    def attach(draft, spec, uploads, errors, known=None):
        """Keep the files ``uploads`` sent for the file field ``spec`` of the draft, and return their SHA-256.

        A file refused (its content not of a type the field accepts, over its size, over the field's count
        or the application's total) gets its French message under the field's name in ``errors``, and is
        not kept. ``known`` is the list of the draft's files when the caller holds it (they are read
        otherwise); the files kept are appended to it.
        """

    def submit(draft, answers=None, files=None, checked=False):
        """Submit the draft's answers through ``IApplications.submit`` with the draft's key, and return
        the application; the same draft submitted again returns the same application.

        ``answers`` and ``files``, when the caller holds them, stand for the draft's own (which are then
        not read again); ``checked`` is passed on to ``IApplications.submit``."""

    def send(procedure, applicant, answers, uploads, idempotency_key, checked=False):
        """A program's submission in one call (the public API): return ``(application, created)``.

        The application ``idempotency_key`` already gave on ``procedure`` comes back with ``created`` False,
        nothing stored again. Otherwise a draft is made for ``applicant`` (the same refusals as ``start``),
        the ``uploads`` (file field name → files) are attached as a browser's would be, each file field's
        answer becomes the SHA-256 of the files kept for it, and the draft is submitted under the key.
        ``Invalid`` names every refused file and answer (a file field the form does not have, an answer
        naming a file not sent among them); nothing is kept then. ``checked``: the caller looked for the
        key's application already, in this transaction (``IApplications.sent_with``).
        """


class IWorkflows(Interface):
    """Workflows (:mod:`cagou_aids.workflow`): stored and versioned, followed by procedures, taken by instructors."""

    def install(data):
        """Store the workflow ``data`` describes (JSON data, checked whole), and return its version.

        A workflow of the same code gets a new version, unless the definition is the one its latest
        version holds (then that one comes back: importing twice changes nothing). ``WorkflowError``
        names every problem before anything is kept; audits ``aids:workflow:import``.
        """

    def shipped(code):
        """The latest version of the shipped workflow ``code`` (``aide_paiement``, ``recensement_tri``), installed
        first when it is not yet."""

    def attach(procedure, version, levels=1):
        """``procedure``'s applications follow the workflow ``version`` from now on, with ``levels`` (1 to 3)
        distinct validators for each proposal.

        ``Invalid`` (under ``niveaux`` or ``circuit``) for a level count out of bounds, or when some of the
        procedure's applications are in a state the version does not have. Audits ``aids:procedure:workflow``.
        """

    def available(application):
        """The transitions the signed-in agent may take on ``application`` now, as ``(transition, refusal)``
        pairs: ``refusal`` is None, or the French reason the four-eyes rule refuses it to them."""

    def take(application, code, inputs, seen_state=None):
        """The signed-in agent takes the transition ``code`` on ``application``, with ``inputs`` (``motivation``);
        return the state reached.

        ``Refused`` (409) when the procedure has no workflow, when the application is not (or no longer) in a
        state the transition leaves, or not in ``seen_state`` (what the agent's page showed: two agents at once,
        the second is told); (403) without the transition's role within the procedure's directorate, for the
        validation of one's own proposal or a second validation of the same proposal by the same person.
        ``Invalid`` (under ``motivation``) for a requirement not met; ``Refused`` (400) while a private annotation
        it requires is empty (services/annotations.py). Otherwise, at once: the state (a validation
        below the procedure's last level keeps it), the transition taken, the history line, the applicant's mail
        and the audit entry ``aids:application:transition``. An ``amount`` requirement reads ``montant`` (whole
        F CFP); the last validation level refuses (409) past the procedure's envelope; an act's transitions are
        refused (409) unless the application's act calls for them (services/envelopes.py ``chain_check``).
        """


class IAnnotations(Interface):
    """Private annotations, eligibility rules and triage weights (services/annotations.py): never the applicant's."""

    def define(procedure, data):
        """Replace ``procedure``'s annotations by ``data`` (a list of ``{code, label, help, kind, options}``),
        checked whole; ``Invalid`` with each problem under its field suffixed with its rank (``label-2``).
        Audits ``aids:procedure:annotations`` (before, after)."""

    def set_eligibility(procedure, data):
        """Set the eligibility rules (:mod:`cagou_aids.eligibility`); ``Invalid`` per key. Audits
        ``aids:procedure:eligibility``."""

    def set_triage(procedure, data):
        """Set the triage's weights (:mod:`cagou_aids.triage`); ``Invalid`` per key. Audits
        ``aids:procedure:triage``."""

    def set_values(application, inputs, uploads, account):
        """Set the annotations named in ``inputs`` (code → text or JSON value, empty clears it) and ``uploads``
        (code → one ``Upload``, for file annotations); return the values changed. ``Invalid`` under the code for a
        value its kind refuses or an unknown code, nothing kept; ``Refused`` (409) on an anonymised application.
        Audits ``aids:annotation:set`` with the changed values before and after."""


class IAssignments(Interface):
    """Who works on an application (services/assignment.py): its group of instructors, the agent it is assigned to,
    the agents who follow it."""

    def route(application):
        """Put a new application in the group of instructors its answers route it to (the default group otherwise);
        return the group, or None when the procedure has no group. Called once by the submission."""

    def assign(application, account_id):
        """Assign ``application`` to the agent ``account_id``, who follows it from then on; return the assignment.

        ``Refused`` (403) when the signed-in agent may not instruct the application, or when ``account_id`` is not
        an instructor of its procedure's directorate (or above it); (409) once the application is anonymised.
        Mails the assignee (unless they assign themselves) and audits ``aids:application:assign``.
        The bulk actions of the queue call it for each application chosen.
        """

    def transfer(application, account_id, message):
        """The application's assignee hands it to a colleague with ``message``: the colleague is assigned, follows
        it and is mailed the message. ``Invalid`` (under ``message``) for an empty or too long message; ``Refused``
        (403) unless the signed-in agent is the assignee and the colleague an instructor of the directorate.
        Audits ``aids:application:transfer``."""

    def follow(application, following=True):
        """The signed-in agent follows (or stops following) ``application``: followers are mailed the applicant's
        messages and the transitions others take. Audits ``aids:application:follow``."""

    def seen(application):
        """The signed-in agent opened ``application`` now: its badges are cleared for them (nothing audited)."""

    def transition_taken(application, label, before, reached):
        """Called by ``IWorkflows.take``: the agent who takes a file out of ``deposee`` follows it from then on, and
        the followers (but the agent) are mailed the transition ``label`` and the state ``reached``."""

    def applicant_wrote(application, text):
        """Called by ``IMessages.write`` for the applicant's messages: the followers are mailed ``text``."""


class IInstructorGroups(Interface):
    """A procedure's groups of instructors and their routing rules, as its designer defines them
    (services/groups.py)."""

    def save(procedure, name, field, values, member_ids, is_default=False, group=None):
        """Create (or, with ``group``, change) a group: its ``name``, the form's ``field`` whose answers ``values``
        route to it (none for the default group, which takes the rest), its members (instructors of the
        procedure's directorate); return it. Applications of the procedure in no group yet are routed then.

        ``Invalid`` under ``nom``, ``champ``, ``valeurs``, ``membres`` or ``defaut`` before anything is kept.
        Audits ``aids:procedure:groups``.
        """

    def remove(group):
        """Delete a group; its applications are in no group any more (their assignee stays). Audits
        ``aids:procedure:groups``."""


class IOpinions(Interface):
    """Expert opinions ("avis", services/opinions.py): asked of another directorate or of an outside expert, never
    shown to the applicant."""

    def ask(application, asked):
        """The signed-in instructor asks an opinion on ``application`` (``asked``: an
        :class:`~cagou_aids.services.opinions.OpinionAsked` of what the form sent); return ``(opinion, token)``,
        ``token`` the outside expert's one-time link's (None for a directorate).

        ``Invalid`` (under ``question``, ``destinataire``, ``direction``, ``courriel``, ``visibilite``, ``echeance``,
        ``fichiers``) before anything is kept; ``Refused`` (403) without ``aids:application:instruct`` on the
        procedure, (409) once the application is anonymised. Mails the outside expert their link; audits
        ``aids:opinion:ask``.
        """

    def answer(opinion, favourable, text, uploads, account):
        """The expert's answer: ``favourable`` (True, False, or None when not chosen), ``text``, the files ``uploads``
        (PDF, JPEG or PNG by their bytes, 10 MB each, 5 at most). ``account`` is the agent who answers, None for the
        outside expert whose link the view checked. ``Invalid`` (under ``avis``, ``texte``, ``pieces``);
        ``Refused`` (403) for an agent who may not answer for the directorate asked, (409) once answered, (410)
        after the deadline. Closes the link, mails the asker, audits ``aids:opinion:answer``."""

    def by_token(token):
        """The opinion an outside expert's link opens; ``Refused`` 404 for a token unknown (or replaced by a
        reminder's), 410 once answered or past its deadline, saying nothing of the application."""

    def remind_due():
        """Mail again, with a new link (the previous one stops working), the outside experts who have not answered
        ``aids.opinion_reminder_days`` (3) after the request or the latest reminder, twice at most, before the
        deadline; return how many. Audits ``aids:opinion:remind`` for each."""


class IEnvelopes(Interface):
    """Each procedure's budget envelope (services/envelopes.py): the validations never exceed it."""

    def set(procedure, amount):
        """Set the envelope of ``procedure`` to ``amount`` F CFP; ``Invalid`` (under ``montant``) below what is
        validated already. Audits ``aids:procedure:envelope``."""

    def use(procedure):
        """An :class:`~cagou_aids.services.envelopes.EnvelopeUse`: the envelope, and what is proposed, validated,
        in acts being prepared, in signed acts and paid."""


class IActs(Interface):
    """The acts that attribute aids (services/acts.py): created, signed once, withdrawn or corrected."""

    def template(procedure):
        """The :class:`~cagou_aids.services.acts.ActTexts` a new act of ``procedure`` starts from."""

    def save_template(procedure, texts):
        """Keep the designer's texts for the procedure's acts; audits ``aids:procedure:act_template``."""

    def candidates(procedure):
        """The validated applications a new act may take."""

    def create(procedure, application_ids, texts):
        """A new act, numbered without gaps in its year, with these validated applications (each moved into it
        through its workflow); ``Invalid`` under ``demandes`` or a text's name, ``Refused`` (403, 409).
        Audits ``aids:act:create``."""

    def rectify(act, texts):
        """A rectificatif referring to the signed ``act``; audits ``aids:act:create``."""

    def sign(act):
        """Sign ``act`` (``aids:act:sign``): its PDF rendered and frozen, its applications moved on; ``Refused``
        (409) once signed or withdrawn. Audits ``aids:act:sign`` with the PDF's SHA-256."""

    def withdraw(act):
        """Withdraw the unsigned ``act``, its applications back to validated; audits ``aids:act:withdraw``."""

    def pdf(act):
        """The signed act's stored PDF, or the unsigned one rendered now."""


class IPayments(Interface):
    """The payment of signed acts (services/payments.py): into payment, the file, the accountant's return."""

    def order(act):
        """Put the signed ``act``'s applications into payment; ``Refused`` (409) unsigned or none waiting.
        Audits ``aids:act:payment``; returns how many."""

    def payment_rows(act):
        """The payment file's rows (beneficiary, RIDET, IBAN, amount, receipt, act, imputation) of the applications
        in payment; audited as a read, ``aids:act:payment_file``."""

    def import_return(act, data):
        """Apply the accountant's return file (CSV), checked whole: ``Invalid`` under ``fichier`` naming each
        problem, nothing changed. Returns (paid, rejected); audits ``aids:act:payment_return``."""


class ISavedViews(Interface):
    """An instructor's saved views of a procedure's list: a name and the list's query string, their own."""

    def save(procedure, account, name, query):
        """Keep the list's ``query`` (its query string, without the page) under ``name`` for ``account``, and
        return the view; a name the agent already gave on this procedure is replaced.

        ``Invalid`` (under ``nom``) for an empty or too long name, (under ``form``) for a query string too long.
        Audits ``aids:view:save``.
        """

    def delete(view, account):
        """Delete ``view``; ``Refused`` (404) when it is not ``account``'s. Audits ``aids:view:delete``."""


class IBulkActions(Interface):
    """An action taken on many applications at once (:mod:`cagou_aids.bulk` lists them)."""

    def run(procedure, code, application_ids, inputs):
        """Take the action ``code`` (one :func:`cagou_aids.bulk.offered` gives for ``procedure``) on the
        applications ``application_ids`` of ``procedure``, with the shared ``inputs`` (``motivation``,
        ``demande``, ``champs``); return a :class:`~cagou_aids.bulk.BulkReport`, each file done or refused with
        the French reason.

        ``Invalid`` before anything is done for an action not offered (under ``action``), an empty selection or
        one over :data:`~cagou_aids.bulk.MAX_BULK` (under ``selection``), a shared input the action needs
        missing (under its name). Each file goes through its own service (``IWorkflows.take``,
        ``IDocumentRequests.ask``): its history, mail and audit entry, its refusal (four eyes, a state that
        changed) reported and the others done. All in the request's transaction; audits ``aids:bulk``.
        """
