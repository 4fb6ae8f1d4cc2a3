"""Checking and normalising contact addresses per channel, before anything is stored."""

from __future__ import annotations

import phonenumbers


class AddressError(Exception):
    """An address carebot cannot use. The message names the channel, never the address."""


def normalise(channel: str, address: str, *, region: str = "BE") -> str:
    """The canonical form of an address on a channel (E.164 for SMS)."""
    if channel == "sms":
        return _phone(address, region)
    if channel in ("telegram", "x"):
        text = address.strip()
        if not text.lstrip("-").isdigit():
            raise AddressError(f"a {channel} address must be a numeric id")
        return text
    raise AddressError(f"channel {channel} takes no address")


def _phone(address: str, region: str) -> str:
    try:
        number = phonenumbers.parse(address, region)
    except phonenumbers.NumberParseException as exc:
        raise AddressError("the SMS number cannot be read as a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise AddressError("the SMS number is not a valid phone number")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise AddressError("the SMS number is not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
