"""The message channels: the events that show a message was sent, opened or clicked, and who a channel may contact.

E-mail needs `consent_email`; WhatsApp and SMS need `consent_whatsapp` (the phone-messaging consent) and a phone
number; push needs the app (an `app_install` event). An unsubscribe on a channel withdraws it, and an unsubscribe on
WhatsApp or SMS withdraws both (they share the consent); an unsubscribe naming no channel withdraws every channel.

>>> consent_group("sms"), consent_group("whatsapp"), consent_group("email")
('phone', 'phone', 'email')
>>> sorted(OPENED)
['email', 'push', 'whatsapp']
"""

from __future__ import annotations

import phonenumbers

CHANNELS = ("email", "whatsapp", "push", "sms")
SENT = {channel: f"{channel}_sent" for channel in CHANNELS}
OPENED = {"email": ("email_open",), "whatsapp": ("whatsapp_read", "whatsapp_open"), "push": ("push_open",)}
CLICKED = {channel: (f"{channel}_click",) for channel in ("email", "whatsapp", "sms", "push")}
CONSENT = {"email": "consent_email", "whatsapp": "consent_whatsapp", "sms": "consent_whatsapp"}
"""The customers column holding each channel's consent; push has none (installing the app is the consent)."""
NEEDS = {
    "email": ("customers.email", "customers.consent_email"),
    "whatsapp": ("customers.phone", "customers.consent_whatsapp"),
    "sms": ("customers.phone", "customers.consent_whatsapp"),
    "push": ("events",),
}
"""The data (see `crmlib.collect.needs`) without which a channel reaches nobody."""


UNSUBSCRIBED_FROM = {"email": ("email",), "phone": ("whatsapp", "sms"), "push": ("push", "app")}
"""The channels whose unsubscribe withdraws each consent group (an unsubscribe naming no channel withdraws all)."""


def unsubscribe_sql(group: str) -> str:
    """SQL true for an event that withdraws consent group `group` (`consent_group`): its own unsubscribe or one
    naming no channel. The one rule of the lists and the e-mail list growth KPI.

    >>> unsubscribe_sql("phone")
    "event_type = 'unsubscribe' AND (channel IS NULL OR channel IN ('whatsapp', 'sms'))"
    """
    channels = ", ".join(f"'{c}'" for c in UNSUBSCRIBED_FROM[group])
    return f"event_type = 'unsubscribe' AND (channel IS NULL OR channel IN ({channels}))"


def email_subscribed_sql(at: str, consent: str = "c.consent_email", first_unsubscribe: str = "u.first_ts") -> str:
    """SQL true for a customer who could be e-mailed at time `at`: with no e-mail unsubscribe before `at` and
    consenting (the customers file's consent), or whose first e-mail unsubscribe (`unsubscribe_sql`) came at or
    after `at` (subscribed until then). The lists read the same rule at the period's end."""
    return (
        f"(CASE WHEN {first_unsubscribe} IS NULL THEN coalesce({consent}, false) ELSE {first_unsubscribe} >= {at} END)"
    )


def consent_group(channel: str) -> str:
    """Channels sharing one consent: an unsubscribe on one withdraws all of its group."""
    return "phone" if channel in ("whatsapp", "sms") else channel


def event_channel_sql(column: str = "event_type") -> str:
    """SQL giving the channel of a message event from its type (`email_open` -> `email`), else NULL."""
    cases = " ".join(
        f"WHEN {column} IN ({', '.join(repr(e) for e in events)}) THEN '{channel}'"
        for channel in CHANNELS
        for events in [(SENT[channel], *OPENED.get(channel, ()), *CLICKED.get(channel, ()))]
    )
    return f"CASE {cases} END"


def e164(phone, region: str) -> str | None:
    """A phone number in E.164 (+62812…), reading numbers without a country code as `region`'s; None when it is
    no valid number.

    >>> e164("0812-3456-7890", "ID"), e164("+62 812 3456 7890", "US"), e164("12345", "ID")
    ('+6281234567890', '+6281234567890', None)
    """
    if not isinstance(phone, str) or not phone.strip():
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
