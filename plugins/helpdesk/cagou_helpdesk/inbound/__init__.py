"""Mail to the helpdesk: an SMTP/LMTP listener that turns messages into tickets and replies.

``cagou helpdesk-mail`` runs an aiosmtpd server (SMTP, or LMTP with
``--lmtp``) that the organisation's mail server hands the helpdesk's mail to.
Each message is parsed once, whatever the number of its recipients, and given
to :func:`receive`, which does the work in one transaction and says what to
answer:

- a reply to a notification (``In-Reply-To`` / ``References`` naming a
  Message-ID the helpdesk sent or received) lands in that ticket; so does a
  mail whose subject quotes ``HD-000123`` when its sender is the ticket's
  requester or a technician working on it;
- any other mail from a known agent opens a ticket for them;
- an unknown sender is refused (550), nothing is created;
- auto-replies, bounces, mailing lists and the platform's own mail are
  accepted and dropped (250: a refusal would bounce and feed the loop), with
  only a ``refused`` entry in the audit log (a limited number per hour, see
  :func:`record_refusal`);
- the same message delivered twice (a retry, a reply-all reaching two helpdesk
  addresses) is recognised by its Message-ID and handled once;
- while the module is disabled on the intranet, or when something fails,
  the answer is 451: the sending server keeps the message and tries again.

Every change goes through :mod:`cagou_helpdesk.services`, so the rules of
the web pages (a closed ticket takes no reply, attachments checked by their
content, every reply audited) hold for mail too.

The package: the settings and limits in ``common``, what to answer in
``answers``, reading a message (its parts, loops, text and attachments) in
``reading``, turning it into a ticket or a reply in ``receiving``, the
SMTP/LMTP server and its command in ``listener``.
"""
