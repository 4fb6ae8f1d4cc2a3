"""Word lists and masks for `bot.triage.readings`, kept apart so the parser stays readable.

Every pattern here runs on text already folded by `bot.triage.fold.fold` (lower case, no
accents), and is compiled once, at import.
"""

from __future__ import annotations

import re

# Words that say "this is a blood pressure", in nl, fr and en, with the usual typos.
BP_WORDS = (
    r"bloed\s?druk\w*|bloedruk\w*|bloodruk|bloeddruck|tensie|druk|bd"
    r"|tension|tention|tenssion|tensio|pression(?:\s+arterielle)?|t\.?a\.?"
    r"|blood\s?pressure|bloodpresure|blood\s?presure|b\.?p\.?|pressure"
)
BP_WORD = re.compile(rf"\b(?:{BP_WORDS})(?![a-z])")
# A time of day before a pair is how a patient lists readings: "ce matin 12/8, ce soir 18/10".
TIME_OF_DAY = re.compile(
    r"\b(?:matin|soir|midi|morning|evening|tonight|vanmorgen|vanochtend|vanavond|vanmiddag"
    r"|ochtend|avond|middag|'s morgens|'s avonds|nuchter|a jeun|fasting)\b[\s:,]*$"
)

# Words that say "this is a blood sugar".
GLUCOSE_WORDS = (
    r"(?:bloed)?s[uo]i?k+e?r(?:s|spiegel|waarde|gehalte|meting)?|suker|sukker"
    r"|glu[ck]ose|gluc|glukose|glyc[ae]?mi[ea]?|glycemy|glic[ae]?mi[ea]?|glycemi"
    r"|sucre|taux\s+de\s+sucre|dextro"
    r"|(?:blood\s?)?sugg?[ae]r[sz]?|sugur|bg"
)
GLUCOSE_WORD = re.compile(rf"\b(?:{GLUCOSE_WORDS})\b")
FRENCH_GLUCOSE = re.compile(r"\b(?:glyc[ae]?mi[ea]?|glycemi|glic[ae]?mi[ea]?|sucre)\b")

# A meter that shows HI or LO instead of a number: after a glucose or meter word, or just
# before a meter word ("HI op de meter"). "Hi nurse" at the start of a reply is a greeting.
_METER_WORDS = (
    r"\w*meter|toestel|apparaat|lecteur|appareil|gluco\s?met(?:er|re)|machine|device|display"
    r"|scherm|ecran"
)
METER_CODE = re.compile(
    rf"(?:\b(?:{GLUCOSE_WORDS}|{_METER_WORDS})\b(?:\s+[a-z:=]+){{0,3}}?\s*[:=]?\s*"
    r"(?P<code>hi|lo)\b(?!\s+(?:there|all|nurse|zuster|madame|dokter))"
    rf"|\b(?P<code2>hi|lo)\s+(?:op|on|sur|au|du|van|from|of|in|dans)\s+(?:\w+\s+)?"
    rf"(?:{_METER_WORDS})\b)"
)

# Other measurements and lab values a patient may send: their numbers are not glucose.
OTHER_MEASURE = re.compile(
    r"\b(?:cholest\w*|ldl|hdl|triglycerid\w*|hbaic|creatinine|kreatinine|ureum|uree|inr|tsh"
    r"|psa|hemoglobine|ferritine|vitamine?\w*|kalium|potassium|natrium|sodium"
    r"|pols|pouls|pulse|hartslag|hartritme|rythme|heart\s?rate|bpm|gewicht|poids|weight|kilo\w*"
    r"|temp\w*|koorts|fievre|fever|saturatie|saturation|sat|o2|zuurstof|oxygene|oxygen"
    r"|type|nr|nummer|numero|kamer|chambre|room|stap\w*|steps?)\b"
)

# A number followed by one of these counts something else: "2 keer", "3 weken", "2 klontjes".
NOT_A_READING_AFTER = re.compile(
    r"\s*(?:x\b|%|€|keer|maal|fois|times?\b|dag(?:en)?\b|jours?\b|days?\b|we[e]?k(?:en)?\b"
    r"|semaines?|weeks?|maand(?:en)?|mois\b|months?|ja(?:a)?r(?:en)?\b|ans?\b|years?"
    r"|uur|uren|heures?|hours?|hrs?\b|min\w*|sec\w*|kg\b|kilo|km\b|gr\b|gram\w*|l\b(?!\s*/)"
    r"|ml\b|cl\b|liter|litre|pil\w*|tablet\w*|comprime\w*|cachets?|gelules?|pills?"
    r"|eenheden|units?|unites?|ie\b|ui\b|iu\b|stuks?|klontje\w*|morceaux|lumps?|lepel\w*"
    r"|cuill\w*|spoons?|teaspoons?|kop\w*|tasses?|cups?|glas\w*|verres?|euros?|eur\b"
    r"|stap\w*|steps?|cal\b|kcal|e\b|ste\b|ieme|th\b|nd\b|rd\b)"
)

# Glucose units, in the order they are tried.
GLUCOSE_UNIT = re.compile(
    r"\s*(?:(?P<mmol>mmol(?!\s*/\s*mol)(?:\s*/\s*l(?:iter|itre)?)?)"
    r"|(?P<mgdl>mg\s*/?\s*dl|mg\s*/\s*100\s*ml|mg\s*%)"
    r"|(?P<gl>gr?\s*/\s*l(?:iter|itre)?|g\s+par\s+lit(?:re|er)|grammes?\s*(?:/|par)\s*l\w*)"
    r"|(?P<mg>mg))"
    r"(?![a-z])"
)

# Prepositions before a date: "rdv le 14/9" is a date, not a tension of 14/9.
DATE_BEFORE = re.compile(
    r"\b(?:le|du|au|op|on|tot|vanaf|sinds|since|depuis|until|till|rdv|afspraak|date|datum"
    r"|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|maandag|dinsdag|woensdag"
    r"|donderdag|vrijdag|zaterdag|zondag|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday)\s*:?\s*$"
)

# Things that look like numbers but never are readings; they are blanked out first.
MASKS = (
    # phone numbers: +32 470 12 34 56, 0032..., 0470/12.34.56, 050 36 51 11
    re.compile(r"(?:\+|\b00)[0-9](?:[ .\-/]?[0-9]){7,14}(?![0-9])"),
    re.compile(r"(?<![0-9.,])0[0-9](?:[ .\-/]?[0-9]){7,9}(?![0-9])"),
    # full dates: 12/03/2026, 12-03-26, 12.03.2026
    re.compile(r"(?<![0-9.,])[0-9]{1,2}([/.\-])[0-9]{1,2}\1(?:[0-9]{4}|[0-9]{2})(?![0-9])"),
    # ISO dates: 2026-03-12
    re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?![0-9])"),
    # clock times: 10:30, 10u30, 10h30, 10 h 30, om 10.30
    re.compile(r"(?<![0-9.,])[0-9]{1,2}(?::|\s?[hu]\s?)[0-9]{2}(?![0-9])"),
    re.compile(r"\b(?:om|a|at|vers|rond|tegen|around|about)\s+[0-9]{1,2}[.:][0-9]{2}(?![0-9])"),
    # hours: 8u, 10h, 7 uur, 9 heures, 8am, 8 o'clock
    re.compile(r"(?<![0-9.,])[0-9]{1,2}\s?(?:h|u|uur|heures?|am|pm|a\.m\.|p\.m\.|o'?clock)\b"),
)

# HbA1c carries a digit in its name; it becomes a plain word before numbers are read.
HBA1C = re.compile(r"\bhb\s?a1c\b|\ba1c\b")
