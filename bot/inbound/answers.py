"""The automatic answers carebot gives at once, in the patient's language. carebot never
gives medical advice beyond telling a patient with warning signs to call the emergency number."""

from __future__ import annotations

from bot.programs.model import Program
from bot.triage.classify import Triage

STOPPED = {
    "nl": "U krijgt geen berichten meer via dit kanaal. Stuur START om opnieuw te beginnen.",
    "fr": "Vous ne recevrez plus de messages par ce canal. Envoyez START pour recommencer.",
    "en": "You will get no more messages on this channel. Send START to begin again.",
}
STARTED = {
    "nl": "Welkom terug: u krijgt opnieuw uw wekelijkse herinnering.",
    "fr": "Bon retour : vous recevrez à nouveau votre rappel de la semaine.",
    "en": "Welcome back: you will get your weekly reminder again.",
}
HELP = {
    "nl": "Vragen? Neem contact op met {hospital}. Stuur STOP om geen berichten meer te krijgen.",
    "fr": "Des questions ? Contactez {hospital}. Envoyez STOP pour ne plus recevoir de messages.",
    "en": "Questions? Contact {hospital}. Send STOP to receive no more messages.",
}
EMERGENCY = "Call {number} now. / Bel nu {number}. / Appelez le {number} maintenant."


def answer_for(
    triage: Triage,
    *,
    program: Program | None,
    language: str | None,
    hospital: str,
    emergency_number: str = "112",
) -> str | None:
    """The text to send back at once, or None. Urgency comes before everything else."""
    lang = language if language in ("nl", "fr", "en") else "en"
    if "urgent" in triage.flags:
        if program is not None and language in program.emergency:
            emergency = program.emergency[language]
        else:
            emergency = EMERGENCY.format(number=emergency_number)
        # A reply that is both a warning sign and a STOP: the emergency first, then the opt-out.
        return f"{emergency}\n\n{STOPPED[lang]}" if "opt-out" in triage.flags else emergency
    if "opt-out" in triage.flags:
        return STOPPED[lang]
    if triage.keyword == "start":
        return STARTED[lang]
    if triage.keyword == "help":
        return HELP[lang].format(hospital=hospital)
    return None
