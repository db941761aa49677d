"""The worker writes plain headers directly and encodes the subject itself: the bytes compat32 would write."""

from __future__ import annotations

import email
import email.errors
import email.policy

from hypothesis import given
from hypothesis import strategies as st

from cagou.mail.messages import PLAIN_HEADERS, encoded_words

#: Header names a mail carries, short and long.
NAMES = st.sampled_from(["To", "Subject", "Message-ID", "X-Cagou-Reference-De-Suivi-Du-Dossier"])
#: Values near what the fast path takes: ASCII with spaces, tabs, line ends, folds and the odd accent.
PIECES = st.sampled_from([*"aZ09@.<>=?;:_-", " ", "\t", "\n", "\n ", "é"])
VALUES = st.lists(PIECES, max_size=120).map("".join)
#: Subjects as modules write them: French, with what else a person may type.
SUBJECTS = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=255)


def written(policy: email.policy.Compat32, name: str, value: str, max_line_length: int) -> bytes | str:
    """The header's bytes, or the name of the error compat32 refuses it with (a line end before a word)."""
    try:
        return policy.clone(max_line_length=max_line_length).fold_binary(name, value)
    except email.errors.HeaderParseError as error:
        return type(error).__name__


@given(NAMES, VALUES, st.sampled_from([0, 78]))
def test_a_header_is_written_as_compat32_writes_it(name: str, value: str, max_line_length: int) -> None:
    assert written(PLAIN_HEADERS, name, value, max_line_length) == written(
        email.policy.compat32, name, value, max_line_length
    )


@given(SUBJECTS, st.sampled_from([0, 78]))
def test_an_encoded_subject_is_written_as_compat32_writes_it(subject: str, max_line_length: int) -> None:
    value = encoded_words(subject)
    fast = written(PLAIN_HEADERS, "Subject", value, max_line_length)
    assert fast == written(email.policy.compat32, "Subject", value, max_line_length)
    assert isinstance(fast, bytes) and all(len(line) <= 78 for line in fast.splitlines())


@given(SUBJECTS)
def test_an_encoded_subject_reads_back_as_it_was_typed(subject: str) -> None:
    header = written(PLAIN_HEADERS, "Subject", encoded_words(subject), 78)
    assert isinstance(header, bytes)
    message = email.message_from_bytes(header + b"\n", policy=email.policy.default)
    assert str(message["Subject"]) == subject


def test_a_long_or_accented_header_still_goes_the_compat32_way() -> None:
    folded = written(PLAIN_HEADERS, "Subject", " ".join(["mot"] * 40), 78)
    encoded = written(PLAIN_HEADERS, "Subject", "Reçue", 78)
    assert isinstance(folded, bytes) and b"\n " in folded
    assert isinstance(encoded, bytes) and b"=?" in encoded


def test_a_message_keeps_the_policy_when_copied_for_the_generator() -> None:
    message = email.message.Message(policy=PLAIN_HEADERS)
    message["To"] = "agent@province-sud.nc"
    assert message.as_bytes() == b"To: agent@province-sud.nc\n\n"
