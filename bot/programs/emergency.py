"""The emergency number a patient is told to call: their country's, or their program's.

A patient's country is that of their phone number when they have one (the region
`phonenumbers` reads from its country code), else that of their time zone (the IANA zone
table shipped in the `tzdata` package, `zone.tab`, which names one country per zone, and its
links such as `US/Eastern`), else `CAREBOT_DEFAULT_REGION`. Nothing is stored: it is derived
when a message is written, so a patient whose number or zone is edited is told the new one.

The number for a country: `AMBULANCE` where the country publishes a number for an ambulance
that differs from 112 (a stroke needs an ambulance, not the police: in Japan that is 119,
while 110 is the police); otherwise 112 where `phonenumbers`' short-number data says 112 is
an emergency number there (every EU country, and many others); otherwise the emergency
number `phonenumbers` gives as that country's example; otherwise `CAREBOT_EMERGENCY_NUMBER`.
A program's `emergency_number` wins over all of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import phonenumbers
from phonenumbers import PhoneMetadata, shortnumberinfo
from sqlmodel import Session, select

from bot.channels import registry
from bot.store.keyring import ErasedError
from bot.store.models import Contact, Patient

if TYPE_CHECKING:
    from bot.programs.model import Program
    from bot.store.store import Store

# Countries whose ambulance number is not 112, or where 112 works but is not the number
# people know and are told to call (each is checked against phonenumbers' data by a test).
AMBULANCE: dict[str, str] = {
    "US": "911",  # 112 is routed on many mobile networks, but 911 is the number
    "CA": "911",
    "MX": "911",
    "GB": "999",  # 112 works too; 999 is the number the NHS tells people to call
    "JP": "119",  # fire and ambulance (110 is the police)
    "KR": "119",  # fire and ambulance (112 is the police)
    "CN": "120",  # ambulance (110 police, 119 fire)
    "AU": "000",
    "NZ": "111",
    "BR": "192",  # SAMU, the ambulance service
    "CH": "144",  # ambulance (112 works too)
}


def number_for_region(region: str, *, fallback: str) -> str:
    """The emergency number to call for a stroke in a country (ISO 3166 alpha-2)."""
    region = region.upper()
    if region in AMBULANCE:
        return AMBULANCE[region]
    if shortnumberinfo.is_emergency_number("112", region):
        return "112"
    metadata = PhoneMetadata.short_metadata_for_region(region)
    example = metadata.emergency.example_number if metadata and metadata.emergency else None
    return example or fallback


def longest(fallback: str) -> str:
    """The longest number `number_for_region` may give from the table or the fallback:
    what a template is sized with for a channel's length check."""
    return max([*AMBULANCE.values(), "112", fallback], key=len)


def region_of_phone(number: str) -> str | None:
    """The country of a number in E.164 (`+12015550123` -> US), or None for another address
    (a chat id, an X user id)."""
    if not number.startswith("+"):
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "001" else None  # 001: a non-geographic number


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> country, from tzdata's zone.tab and the links in its tzdata.zi."""
    folder = resources.files("tzdata").joinpath("zoneinfo")
    countries: dict[str, str] = {}
    for line in folder.joinpath("zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            countries[zone] = country
    for line in folder.joinpath("tzdata.zi").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        # `L Asia/Tokyo Japan`; an abbreviation (CET, EST5EDT, UCT) names no country.
        if len(parts) == 3 and parts[0] == "L" and not parts[2].isupper():
            target, link = parts[1], parts[2]
            if target in countries and link not in countries:
                countries[link] = countries[target]
    return countries


def region_of_timezone(timezone: str) -> str | None:
    """The country of an IANA zone (`Asia/Tokyo` -> JP), or None (`UTC`, `Etc/GMT+1`)."""
    return _zone_countries().get(timezone)


def patient_region(*, phones: list[str], timezone: str | None, default: str) -> str:
    """A patient's country: their first phone number's, else their zone's, else `default`."""
    for phone in phones:
        region = region_of_phone(phone)
        if region:
            return region
    return (region_of_timezone(timezone) if timezone else None) or default.upper()


def number_for(
    *, override: str | None, phones: list[str], timezone: str | None, default: str, fallback: str
) -> str:
    """The number a patient is told to call: the program's, else their country's."""
    if override:
        return override
    region = patient_region(phones=phones, timezone=timezone, default=default)
    return number_for_region(region, fallback=fallback)


def patient_number(
    store: Store,
    session: Session,
    patient: Patient,
    program: Program | None,
    *,
    contacts: Iterable[Contact] | None = None,
) -> str:
    """The number this patient is told to call (their phone contacts decrypted here, in
    memory only: only a number's country code is used). `contacts`: the patient's, when
    the caller has read them already (a batch of sends)."""
    settings = store.settings
    if program is not None and program.emergency_number:
        return program.emergency_number
    if contacts is None:
        contacts = session.exec(select(Contact).where(Contact.pseudonym == patient.pseudonym))
    by_channel = {c.channel: c for c in contacts}
    phones = []
    for channel in registry.NAMES:  # the registry's order: SMS before WhatsApp and voice
        contact = by_channel.get(channel)
        if contact is None or not registry.typed_address(channel):
            continue
        try:
            address = store.decrypt(
                session,
                patient.pseudonym,
                contact.address_enc,
                table="contact",
                column="address",
                row=f"{patient.pseudonym}:{channel}",
            )
        except ErasedError:
            break
        phones.append(address)
    return number_for(
        override=None,
        phones=phones,
        timezone=patient.timezone or None,
        default=settings.carebot_default_region,
        fallback=settings.carebot_emergency_number,
    )
