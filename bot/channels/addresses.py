"""Checking and normalising contact addresses, before anything is stored. Each channel's
`normalise` uses these; the messages name the kind of address, never the address."""

from __future__ import annotations

import phonenumbers

from bot.errors import CarebotError


class AddressError(CarebotError):
    """An address carebot cannot use. The message names the channel, never the address."""


def numeric_id(channel: str, address: str) -> str:
    """A provider's numeric user or chat id (negative for a Telegram group)."""
    text = address.strip()
    if not text.lstrip("-").isdigit():
        raise AddressError(f"a {channel} address must be a numeric id")
    return text


MOBILE = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
CALLABLE = MOBILE | {phonenumbers.PhoneNumberType.FIXED_LINE}


def phone_number(
    what: str,
    address: str,
    *,
    region: str,
    types: frozenset[int] = MOBILE,
    refusal: str = "is not a mobile number",
) -> str:
    """A number of one of `types` in E.164, read as a number of `region` when it has no
    country code; AddressError names `what` ("the SMS number ..."), never the number. A
    number refused as read in `region` says so: a US number typed as (201) 555-0123 on a
    server in Belgium is a Belgian number that does not exist."""
    local = not address.strip().startswith(("+", "00"))
    hint = (
        f" (read as a {region} number: give it with its country code, such as +1 for the"
        " US, or set CAREBOT_DEFAULT_REGION)"
        if local
        else ""
    )
    try:
        number = phonenumbers.parse(address, region)
    except phonenumbers.NumberParseException as exc:
        raise AddressError(f"the {what} number cannot be read as a phone number{hint}") from exc
    if not phonenumbers.is_valid_number(number):
        raise AddressError(f"the {what} number is not a valid phone number{hint}")
    if phonenumbers.number_type(number) not in types:
        raise AddressError(f"the {what} number {refusal}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_number(what: str, address: str, *, region: str) -> str:
    """A mobile number in E.164 (see `phone_number`)."""
    return phone_number(what, address, region=region)


def no_address(channel: str, address: str) -> str:
    raise AddressError(f"channel {channel} takes no address")
