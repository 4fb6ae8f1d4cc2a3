"""A clear request in words to stop the messages: an opt-out on the channel it came by.

A one-word STOP is a keyword (`bot.triage.keywords`). A sentence is an opt-out when it asks
for the messages to stop, in nl, fr or en:

- a word that only ever means it: "uitschrijven", "afmelden", "unsubscribe", "désinscrire",
  "désabonner", "opt out", "remove me from the list";
- a stop verb together with the messages: "stop met die berichten", "please stop texting
  me", "arrêtez les rappels";
- not wanting, or no longer getting, the messages: "ik wil geen berichten meer", "je ne veux
  plus recevoir ces messages", "no more messages please", "stuur mij niets meer";
- a STOP with only politeness around it: "stop aub", "STOP please".

A sentence about something else that holds "stop" ("stop met roken gaat goed", "I stopped my
pills", "j'ai arrêté de fumer") is none, and neither is a negated request ("please don't stop
the messages"). Whether the reply also carries a warning sign is the triage's business: the
emergency answer goes first.
"""

from __future__ import annotations

import re

from bot.triage.normalise import normalise

_UNSUBSCRIBE = frozenset(
    (
        "uitschrijven",
        "uitschrijf",
        "uitgeschreven",
        "afmelden",
        "afmeld",
        "unsubscribe",
        "unsubscribed",
        "desinscrire",
        "desinscris",
        "desinscrivez",
        "desinscription",
        "desabonner",
        "desabonne",
        "desabonnez",
        "optout",
        "uitgeschreven",
        "unsub",
    )
)
_STOP = frozenset(
    (
        "stop",
        "stoppen",
        "stopt",
        "stopp",
        "ophouden",
        "hou",
        "houd",
        "arreter",
        "arretez",
        "arrete",
        "arretes",
        "cesser",
        "cessez",
        "quit",
        "cease",
        "halt",
        "end",
        "enough",
        "genoeg",
        "assez",
        "basta",
    )
)
_MESSAGES = frozenset(
    (
        "berichten",
        "bericht",
        "berichtjes",
        "sms",
        "smsjes",
        "sms'jes",
        "sms'en",
        "messages",
        "message",
        "texts",
        "text",
        "texting",
        "messaging",
        "reminders",
        "reminder",
        "herinneringen",
        "herinnering",
        "rappels",
        "rappel",
        "mails",
        "mail",
        "notifications",
        "meldingen",
        "dm",
        "dms",
        "sturen",
        "envoyer",
        "sending",
        "send",
        "envois",
        "textos",
        "texto",
        "service",
        "programma",
        "programme",
        "program",
        "sms'kes",
        "smskes",
        "smsen",
        "ermee",
        "daarmee",
        "gedoe",
    )
)
# "stop dit aub", "arrêtez ça": a stop with only "this" and politeness after it.
_THIS = frozenset(("this", "dit", "ca", "that", "dat", "it", "het"))
_WANT = frozenset(("wil", "wens", "want", "veux", "voudrais", "souhaite", "need", "hoef"))
_RECEIVE = frozenset(
    (
        "ontvangen",
        "krijgen",
        "recevoir",
        "receive",
        "get",
        "getting",
        "stuur",
        "stuurt",
        "sturen",
        "send",
        "envoyez",
        "envoie",
        "envoyer",
        "text",
        "message",
        "contact",
        "contacter",
        "contacteren",
    )
)
_MORE = frozenset(("meer", "more", "plus", "anymore", "longer", "again", "opnieuw"))
# Dutch separable verbs: "gelieve mij af te melden" is "afmelden".
_SEPARATED = re.compile(r"\b(af|uit)\s+te\s+(melden|schrijven)\b")
_SEPARATED_IMPERATIVE = re.compile(r"\b(?:schrijf|meld)\s+(?:me|mij|ons)\s+(?:uit|af)\b")
_NEG = frozenset(
    (
        "niet",
        "geen",
        "not",
        "no",
        "don't",
        "do",
        "ne",
        "n'",
        "pas",
        "plus",
        "niets",
        "niks",
        "nothing",
        "rien",
        "never",
        "nooit",
        "jamais",
        "more",
        "meer",
        "longer",
        "anymore",
        "any",
    )
)
_POLITE = frozenset(
    (
        "please",
        "pls",
        "aub",
        "alstublieft",
        "alsjeblieft",
        "asap",
        "svp",
        "s'il",
        "vous",
        "plait",
        "merci",
        "thanks",
        "thank",
        "you",
        "dank",
        "u",
        "bedankt",
        "now",
        "nu",
        "maintenant",
        "de",
        "the",
        "het",
        "ok",
        "stp",
    )
)
_NEGATIONS = frozenset(
    (
        "no",
        "geen",
        "niet",
        "plus",
        "niets",
        "niks",
        "rien",
        "nothing",
        "don't",
        "not",
        "ne",
        "n'",
        "never",
        "nooit",
        "jamais",
    )
)
_PAST = frozenset(("ai", "a", "avons", "heb", "ben", "had", "have", "has", "was"))
_DENIAL = frozenset(("don't", "dont", "niet", "pas", "never", "nooit", "not"))
_WORD = re.compile(r"[a-z]+n't|qu'|\b[a-z]'(?=[a-z])|[a-z]+'[a-z]+|[a-z]+")
_ASIDE = re.compile(
    r"\b(?:met|with|de|d'|van|on|of|to)\s+(?:roken|fumer|smoking|drinken|boire"
    r"|drinking|snoepen|suiker|sucre|sugar|pillen|pills|medicaments?|cachets?"
    r"|alcohol|alcool|eten|manger|bier|biere|beer|wine|wijn|vin)\b"
)


def stop_request(text: str) -> bool:
    """Whether `text` asks, in words, for carebot's messages to stop."""
    folded = _SEPARATED.sub(r"\1\2", normalise(text))
    folded = _SEPARATED_IMPERATIVE.sub("uitschrijven", folded)
    words = _WORD.findall(folded)
    if not words or _ASIDE.search(folded):
        return False
    if all(w in _STOP or w in _POLITE for w in words) and any(w in _STOP for w in words):
        return True
    for i, word in enumerate(words):
        around = words[max(0, i - 4) : i + 4]
        if (
            word in _RECEIVE
            and words[0] not in ("i", "ik", "je", "j'")
            and any(w in _NEGATIONS for w in around)
            and any(w in _MORE for w in around)
        ):
            return True  # "ge moogt mij da nie meer sturen", "ne m'envoyez plus rien"
        before = words[max(0, i - 3) : i]
        if any(w in _DENIAL for w in before) and word not in _WANT:
            continue  # "ik wil me niet afmelden", "please don't stop the messages"
        if word in _UNSUBSCRIBE:
            return True
        if word in (
            "remove",
            "take",
            "haal",
            "retirez",
            "enlevez",
            "retirer",
            "enlever",
            "supprimer",
            "supprimez",
            "delete",
            "schrap",
        ) and any(w in ("list", "lijst", "liste", "off") for w in words[i + 1 : i + 6]):
            return True
        if (
            word in _STOP
            and not any(w in _PAST for w in before[-1:])
            and (
                any(w in _MESSAGES for w in words[max(0, i - 5) : i + 6])
                or (
                    words[i + 1 : i + 2]
                    and words[i + 1] in _THIS
                    and all(w in _POLITE for w in words[i + 2 :])
                )
            )
        ):
            return True
        if (
            word in _WANT
            and any(w in _NEG for w in words[max(0, i - 2) : i + 4])
            and any(w in _MESSAGES or w in _RECEIVE for w in words[i + 1 : i + 7])
        ):
            return True
        if word in ("no", "geen", "plus", "pas") and any(
            w in _MESSAGES - {"this", "dit", "ca", "service"} for w in words[i + 1 : i + 3]
        ):
            return True
    return False
