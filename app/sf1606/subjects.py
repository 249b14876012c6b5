"""The citizens a message concerns: every CPR number in its stored facts (never log them).

Used by the client's access log (app/core/audit.py) and the gateway's (app/gateway/team.py),
so both record the same citizens for a view of the same message.
"""

from __future__ import annotations

import re

from app import cpr as cpr_numbers
from app.sf1606.stored import MessageFacts

_CPR_LABEL = re.compile(r"cpr|personnummer", re.IGNORECASE)


def cprs_for_message(facts: MessageFacts) -> set[str]:
    """Every CPR number the message concerns (10 digits each; never log the result).

    Sender and recipient (when their id type is CPR), ContentData CPR, ContactInfo fields whose
    label names a CPR ("Barnets CPR nummer"), and the CPR numbers found at ingest in the
    subject, comments, ContactInfo values, the text/plain files and the PDF text
    (`MessageFacts.cprs`). Reads the stored facts only: no parse, no file bytes. Over-logging a
    number is harmless; missing one is not.
    """
    message = facts.header
    found: set[str] = set(facts.cprs)

    def add_exact(value: str | None) -> None:
        if not value:
            return
        try:
            found.add(cpr_numbers.normalise(value))
        except cpr_numbers.InvalidCpr:
            pass

    if message.sender.id_type.upper() == "CPR":
        add_exact(message.sender.id)
    if message.recipient.id_type.upper() == "CPR":
        add_exact(message.recipient.id)
    if message.content_data is not None:
        add_exact(message.content_data.cpr)
    for info in message.contact_info:
        if _CPR_LABEL.search(info.label or ""):
            add_exact(info.value)
    return found
