"""The automatic answers carebot gives at once, in the patient's language. carebot never
gives medical advice beyond telling a patient with warning signs to call the emergency number."""

from __future__ import annotations

from bot.programs import render
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
# When the program's own text cannot be used (see `emergency_text`).
EMERGENCY_TEXT = {
    "nl": "Dit kan een beroerte zijn. Bel nu meteen {number}. Wacht niet.",
    "fr": "Cela peut être un AVC. Appelez le {number} tout de suite. N'attendez pas.",
    "en": "This may be a stroke. Call {number} right now. Do not wait.",
}


def emergency_text(
    program: Program | None, *, language: str | None, number: str, hospital: str
) -> str:
    """The emergency answer, naming the patient's number. The program's text in the
    patient's language, with `{{ emergency_number }}` filled in; an older program's text
    that writes a number out is used only when it is the patient's number (a text saying
    112 is never sent to a patient in the US). Otherwise carebot's own text in that
    language, so that this answer never fails to go out."""
    text = program.emergency.get(language or "") if program is not None else None
    if text is not None and "emergency_number" in text:
        try:
            return render.render_source(text, {"emergency_number": number, "hospital": hospital})
        except Exception:  # noqa: BLE001 - checked when loaded; this answer must still go
            text = None
    if text is not None and number in text:
        return text
    if language in EMERGENCY_TEXT:
        return EMERGENCY_TEXT[language].format(number=number)
    return EMERGENCY.format(number=number)


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
        emergency = emergency_text(
            program, language=language, number=emergency_number, hospital=hospital
        )
        # A reply that is both a warning sign and a STOP: the emergency first, then the opt-out.
        return f"{emergency}\n\n{STOPPED[lang]}" if "opt-out" in triage.flags else emergency
    if "opt-out" in triage.flags:
        return STOPPED[lang]
    if triage.keyword == "start":
        return STARTED[lang]
    if triage.keyword == "help":
        return HELP[lang].format(hospital=hospital)
    return None
