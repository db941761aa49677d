"""The worker writes plain headers directly: the same bytes as compat32's folding, faster."""

from __future__ import annotations

import email.errors
import email.policy
from email.message import Message

from hypothesis import given
from hypothesis import strategies as st

from cagou.mail.services import PLAIN_HEADERS

#: Header names a mail carries, short and long.
NAMES = st.sampled_from(["To", "Subject", "Message-ID", "X-Cagou-Reference-De-Suivi-Du-Dossier"])
#: Values near what the fast path takes: ASCII with spaces, tabs, line ends and the odd accent.
VALUES = st.text(alphabet=st.sampled_from([*"aZ09@.<>=?;:_-", " ", "\t", "\n", "é"]), max_size=120)


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


def test_a_long_or_accented_header_still_goes_the_compat32_way() -> None:
    long_value = " ".join(["mot"] * 40)
    folded, encoded = written(PLAIN_HEADERS, "Subject", long_value, 78), written(PLAIN_HEADERS, "Subject", "Reçue", 78)
    assert isinstance(folded, bytes) and b"\n " in folded
    assert isinstance(encoded, bytes) and b"=?" in encoded


def test_a_message_keeps_the_policy_when_copied_for_the_generator() -> None:
    message = Message(policy=PLAIN_HEADERS)
    message["To"] = "agent@province-sud.nc"
    assert message.as_bytes() == b"To: agent@province-sud.nc\n\n"
