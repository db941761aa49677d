"""A procedure's workflow, as data: its states and the transitions between them, read from JSON and checked whole.

Like a form's definition (:mod:`cagou_aids.definition`), a workflow reaches
the module as JSON (a shipped file, an import) and becomes a
:class:`Workflow` through :func:`parse_workflow`, which refuses the whole of
it, each problem named in French with where it lies. What is stored is
:func:`workflow_data` of what was parsed.

The JSON shape::

    {"code": "aide_paiement", "title": "Aide avec paiement", "description": "…",
     "states": [{"code": "deposee", "label": "Déposée", "meaning": "Votre demande est enregistrée…",
                 "final": false}, …],
     "transitions": [{"code": "refuser", "label": "Refuser", "from": ["en_instruction"], "to": "refusee",
                      "role": "aids:instructor", "requires": [{"kind": "motivation"}], "step": "",
                      "mail": {"subject": "…", "body": "… {motivation} …"},
                      "history": {"text": "Demande refusée.", "public": true}}, …]}

Every application starts in the state ``deposee`` (the submission writes
it), which each workflow therefore declares, under the label it likes
("Nouvelle" in the census); ``complement`` and ``retiree`` keep the meaning
the requests for documents and the withdrawal give them. So an application
sent before its procedure had a workflow reads in the workflow's terms.

A transition is taken by a holder of ``role`` (a role of the module, granted
within the procedure's directorate); ``requires`` lists what the person must
give (a ``motivation``, or an ``annotation``: a private annotation, named by its
``code``, filled in first; later kinds, a document, join
:data:`REQUIREMENT_KINDS`); ``step`` marks the four-eyes review: the
``proposal`` a validator may not validate, and the ``validation`` that
counts one level (the procedure sets one to three) and moves on only at the
last. The mail's subject and body may name ``{numero}``, ``{demarche}``,
``{etat}`` (the state reached, its label) and ``{motivation}``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cagou_aids.definition import DefinitionError
from cagou_aids.documents import DOCUMENTS

#: What a transition may require of the person who takes it.
MOTIVATION = "motivation"
#: A proposal's amount, whole F CFP (services/envelopes.py reads it and checks the budget envelope).
AMOUNT = "amount"
REQUIREMENT_KINDS = {MOTIVATION: "une motivation écrite", AMOUNT: "un montant en F CFP"}
#: A private annotation (its ``code``) filled in before the transition (cagou_aids/annotations.py).
ANNOTATION = "annotation"
REQUIREMENT_KINDS[ANNOTATION] = "une annotation privée remplie"
ANNOTATION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
#: The four-eyes review's steps; ``act`` and ``signature`` are taken by the acts service only (an act's creation or
#: withdrawal, its signature: services/acts.py), never by a button on the application's page.
PROPOSAL, VALIDATION, ACT, SIGNATURE = "proposal", "validation", "act", "signature"
STEPS = ("", PROPOSAL, VALIDATION, ACT, SIGNATURE)
#: The module's roles a transition may name (hooks.py declares them), each with the permission only it holds.
ROLE_PERMISSIONS = {
    "aids:instructor": "aids:application:instruct",
    "aids:validator": "aids:application:validate",
    "aids:signer": "aids:act:sign",
}
#: What a mail template may name.
MAIL_NAMES = frozenset({"numero", "demarche", "etat", "motivation"})
#: A state's code is what the application's row holds (16 characters).
CODE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
TRANSITION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TOP_KEYS = frozenset({"code", "title", "description", "states", "transitions"})
#: Where every application starts.
INITIAL = "deposee"
STATE_KEYS = frozenset({"code", "label", "meaning", "final"})
TRANSITION_KEYS = frozenset({"code", "label", "from", "to", "role", "requires", "step", "mail", "history", "document"})
MAX_LABEL = 200
MAX_MEANING = 1000
MAX_MAIL = 5000
MAX_STATES = 40
MAX_TRANSITIONS = 100
MAX_MOTIVATION = 5000


class WorkflowError(DefinitionError):
    """A workflow refused whole: every problem, in French, each saying where it lies (as a form's definition)."""


@dataclass(frozen=True)
class State:
    code: str
    label: str
    #: What the state means for the applicant, shown in "Mes démarches".
    meaning: str
    final: bool = False


@dataclass(frozen=True)
class Requirement:
    kind: str
    label: str = ""
    #: The annotation's code, for the kind ``annotation``.
    code: str = ""


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True)
class History:
    text: str
    #: Whether the applicant reads it in their application's history.
    public: bool = True


@dataclass(frozen=True)
class Transition:
    code: str
    label: str
    sources: tuple[str, ...]
    target: str
    role: str
    requires: tuple[Requirement, ...] = ()
    step: str = ""
    mail: Mail | None = None
    history: History | None = None
    #: The document it produces for the applicant (:data:`cagou_aids.documents.DOCUMENTS`), or "".
    document: str = ""

    def needs(self, kind: str) -> bool:
        return any(requirement.kind == kind for requirement in self.requires)

    @property
    def by_act(self) -> bool:
        """Taken by an act's creation, withdrawal or signature, not by hand."""
        return self.step in (ACT, SIGNATURE)


@dataclass(frozen=True)
class Workflow:
    code: str
    title: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    description: str = ""
    by_code: Mapping[str, State] = field(default_factory=dict, compare=False, repr=False)

    def state(self, code: str) -> State | None:
        return self.by_code.get(code)

    def transition(self, code: str) -> Transition | None:
        return next((transition for transition in self.transitions if transition.code == code), None)

    def leaving(self, state: str) -> list[Transition]:
        return [transition for transition in self.transitions if state in transition.sources]


class Reader:
    """Gathers every problem of one workflow before refusing it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def text(self, data: Mapping[str, Any], key: str, where: str, limit: int, required: bool = True) -> str:
        value = data.get(key, "")
        if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
            kind = "un texte non vide" if required else "un texte"
            self.problems.append(f"{where} : « {key} » doit être {kind} d'au plus {limit} caractères.")
            return ""
        return value.strip()

    def code(self, data: Mapping[str, Any], where: str, pattern: re.Pattern[str] = CODE) -> str:
        value = data.get("code")
        if not isinstance(value, str) or not pattern.match(value):
            longest = 16 if pattern is CODE else 32
            self.problems.append(f"{where} : le code doit faire 1 à {longest} caractères, minuscules, chiffres ou _, "
                                 "en commençant par une lettre.")  # fmt: skip
            return ""
        return value

    def template(self, text: str, where: str) -> None:
        """A text filled at each transition names only :data:`MAIL_NAMES`, and nothing of them but their value."""
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError:
            self.problems.append(f"{where} : accolade mal fermée dans « {text[:40]} ».")
            return
        for name in sorted(names - MAIL_NAMES):
            self.problems.append(f"{where} : « {{{name[:40]}}} » n'est pas connu (possibles : "
                                 f"{', '.join('{' + known + '}' for known in sorted(MAIL_NAMES))}).")  # fmt: skip

    def keys(self, data: Any, allowed: frozenset[str], where: str) -> bool:
        if not isinstance(data, dict):
            self.problems.append(f"{where} : un objet JSON est attendu.")
            return False
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.problems.append(f"{where} : clé inconnue « {unknown[0][:40]} ».")
        return True

    def state(self, data: Any, where: str) -> State | None:
        if not self.keys(data, STATE_KEYS, where):
            return None
        final = data.get("final", False)
        if not isinstance(final, bool):
            self.problems.append(f"{where} : « final » vaut true ou false.")
        code = self.code(data, where)
        label = self.text(data, "label", where, MAX_LABEL)
        meaning = self.text(data, "meaning", where, MAX_MEANING)
        return State(code, label, meaning, final is True)

    def mail(self, data: Any, where: str) -> Mail | None:
        if data is None:
            return None
        where = f"{where}, courriel"
        if not self.keys(data, frozenset({"subject", "body"}), where):
            return None
        subject = self.text(data, "subject", where, MAX_LABEL)
        body = self.text(data, "body", where, MAX_MAIL)
        self.template(subject, where)
        self.template(body, where)
        return Mail(subject, body)

    def history(self, data: Any, where: str) -> History | None:
        if data is None:
            return None
        where = f"{where}, historique"
        if not self.keys(data, frozenset({"text", "public"}), where):
            return None
        public = data.get("public", True)
        if not isinstance(public, bool):
            self.problems.append(f"{where} : « public » vaut true ou false.")
        text = self.text(data, "text", where, MAX_LABEL)
        self.template(text, where)
        return History(text, public is not False)

    def requirements(self, data: Any, where: str) -> tuple[Requirement, ...]:
        if not isinstance(data, list):
            self.problems.append(f"{where} : « requires » est une liste.")
            return ()
        found = []
        for number, item in enumerate(data, start=1):
            here = f"{where}, exigence {number}"
            if not self.keys(item, frozenset({"kind", "label", "code"}), here):
                continue
            if item.get("kind") not in REQUIREMENT_KINDS:
                self.problems.append(f"{here} : « kind » inconnu (possibles : {', '.join(REQUIREMENT_KINDS)}).")
                continue
            code = item.get("code", "")
            if (
                (item["kind"] == ANNOTATION) != bool(code)
                or not isinstance(code, str)
                or (code and not ANNOTATION_CODE.match(code))
            ):
                self.problems.append(f"{here} : « code » nomme l'annotation (1 à 24 minuscules, chiffres ou _) pour "
                                     "une exigence « annotation », et seulement pour elle.")  # fmt: skip
                continue
            label = self.text(item, "label", here, MAX_LABEL, required=False)
            found.append(Requirement(item["kind"], label, code))
        return tuple(found)

    def transition(self, data: Any, where: str, states: set[str]) -> Transition | None:
        if not self.keys(data, TRANSITION_KEYS, where):
            return None
        code = self.code(data, where, TRANSITION_CODE)
        where = f"Transition « {code} »" if code else where
        label = self.text(data, "label", where, MAX_LABEL)
        sources = data.get("from")
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
            self.problems.append(f"{where} : « from » est une liste non vide d'états.")
            sources = []
        for source in sources:
            if source not in states:
                self.problems.append(f"{where} : l'état de départ « {source[:40]} » n'existe pas.")
        target = data.get("to")
        if not isinstance(target, str) or target not in states:
            self.problems.append(f"{where} : l'état d'arrivée « {str(target)[:40]} » n'existe pas.")
            target = ""
        role = data.get("role")
        if role not in ROLE_PERMISSIONS:
            self.problems.append(f"{where} : le rôle « {str(role)[:40]} » n'existe pas (possibles : "
                                 f"{', '.join(ROLE_PERMISSIONS)}).")  # fmt: skip
            role = ""
        step = data.get("step", "")
        if step not in STEPS:
            self.problems.append(f"{where} : « step » vaut « proposal », « validation », « act », « signature » "
                                 "ou rien.")  # fmt: skip
            step = ""
        document = data.get("document", "")
        if document != "" and document not in DOCUMENTS:
            self.problems.append(f"{where} : le document « {str(document)[:40]} » n'existe pas (possibles : "
                                 f"{', '.join(DOCUMENTS)}).")  # fmt: skip
            document = ""
        return Transition(
            code, label, tuple(sources), target, role, self.requirements(data.get("requires", []), where), step,
            self.mail(data.get("mail"), where), self.history(data.get("history"), where), document,
        )  # fmt: skip


def parse_workflow(data: Any) -> Workflow:
    """The workflow ``data`` describes, or ``WorkflowError`` with every problem found."""
    reader = Reader()
    if not reader.keys(data, TOP_KEYS, "Le circuit"):
        raise WorkflowError(reader.problems)
    code = reader.code(data, "Le circuit")
    title = reader.text(data, "title", "Le circuit", MAX_LABEL)
    description = reader.text(data, "description", "Le circuit", MAX_MEANING, required=False)
    raw_states = data.get("states")
    if not isinstance(raw_states, list) or not 1 <= len(raw_states) <= MAX_STATES:
        raise WorkflowError([*reader.problems, f"Le circuit : « states » est une liste de 1 à {MAX_STATES} états."])
    states = [s for n, item in enumerate(raw_states, start=1) if (s := reader.state(item, f"État {n}")) is not None]
    codes = [state.code for state in states if state.code]
    for duplicate in sorted({c for c in codes if codes.count(c) > 1}):
        reader.problems.append(f"L'état « {duplicate} » est déclaré deux fois.")
    if INITIAL not in codes:
        reader.problems.append(f"Le circuit : il lui faut l'état « {INITIAL} », où commence toute demande déposée.")
    raw_transitions = data.get("transitions")
    if not isinstance(raw_transitions, list) or len(raw_transitions) > MAX_TRANSITIONS:
        reader.problems.append(f"Le circuit : « transitions » est une liste d'au plus {MAX_TRANSITIONS} transitions.")
        raw_transitions = []
    known = set(codes)
    transitions = [t for n, item in enumerate(raw_transitions, start=1)
                   if (t := reader.transition(item, f"Transition {n}", known)) is not None]  # fmt: skip
    names = [transition.code for transition in transitions if transition.code]
    for duplicate in sorted({c for c in names if names.count(c) > 1}):
        reader.problems.append(f"La transition « {duplicate} » est déclarée deux fois.")
    by_code = {state.code: state for state in states}
    for transition in transitions:
        for source in transition.sources:
            if source in by_code and by_code[source].final:
                reader.problems.append(f"Transition « {transition.code} » : l'état « {source} » est final, "
                                       "rien n'en part.")  # fmt: skip
    if reader.problems:
        raise WorkflowError(reader.problems)
    return Workflow(code, title, tuple(states), tuple(transitions), description, by_code)


def workflow_data(workflow: Workflow) -> dict[str, Any]:
    """The JSON that :func:`parse_workflow` reads back into ``workflow``."""
    transitions = []
    for transition in workflow.transitions:
        item: dict[str, Any] = {
            "code": transition.code, "label": transition.label, "from": list(transition.sources),
            "to": transition.target, "role": transition.role,
            "requires": [{k: v for k, v in asdict(r).items() if v} for r in transition.requires],
        }  # fmt: skip
        if transition.step:
            item["step"] = transition.step
        if transition.mail is not None:
            item["mail"] = asdict(transition.mail)
        if transition.history is not None:
            item["history"] = asdict(transition.history)
        if transition.document:
            item["document"] = transition.document
        transitions.append(item)
    return {
        "code": workflow.code, "title": workflow.title, "description": workflow.description,
        "states": [asdict(state) for state in workflow.states],
        "transitions": transitions,
    }  # fmt: skip


def filled(template: str, values: Mapping[str, str]) -> str:
    """A mail's or a history line's template filled: the parser checked it names only :data:`MAIL_NAMES`."""
    return template.format_map({name: values.get(name, "") for name in MAIL_NAMES})
