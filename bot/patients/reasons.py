"""Why a reply carries its flags, in words a nurse reads: "systolic 172 >= 140".

Worked out again from the decrypted text when the reply is opened, with the same triage code
and the program's thresholds, rather than stored: a reason holds a reading, which is personal
data, and would need its own encrypted column. A program's thresholds changed since the reply
came in give today's reasons; the flags shown beside them are those set when it came in.
"""

from __future__ import annotations

from bot.triage.classify import Thresholds, classify
from bot.triage.readings import AllReadings, find_readings


def flag_reasons(text: str, limits: Thresholds, *, language: str | None) -> list[str]:
    """Each reason for a flag of this reply, urgent ones first, each once."""
    found = find_readings(text, language=language)
    triage = classify(text, limits, language=language)
    reasons = [f"warning sign: {sign}" for sign in triage.signs]
    reasons += [f"meter shows {code}" for code in found.glucose_codes]
    reasons += _reading_reasons(found, limits, urgent=True)
    reasons += _reading_reasons(found, limits, urgent=False)
    if "attention" in triage.flags and not reasons:
        reasons.append("a body part or sense named with a change")
    if "opt-out" in triage.flags:
        reasons.append("asks to stop the messages")
    if "info" in triage.flags:
        reasons.append("asks for information")
    return list(dict.fromkeys(reasons))


def _reading_reasons(found: AllReadings, limits: Thresholds, *, urgent: bool) -> list[str]:
    """The comparisons each reading fails, against the urgent or the attention limits."""
    if urgent:
        pressure = [
            ("systolic", ">=", limits.urgent_systolic_high),
            ("diastolic", ">=", limits.urgent_diastolic_high),
        ]
        glucose = [("<", limits.urgent_glucose_low), (">", limits.urgent_glucose_high)]
    else:
        pressure = [
            ("systolic", ">=", limits.attention_systolic_high),
            ("systolic", "<", limits.attention_systolic_low),
            ("diastolic", ">=", limits.attention_diastolic_high),
        ]
        glucose = [("<", limits.attention_glucose_low), (">", limits.attention_glucose_high)]
    reasons = []
    for systolic, diastolic in found.pressures:
        values = {"systolic": systolic, "diastolic": diastolic}
        for kind, op, limit in pressure:
            if _fails(values[kind], op, limit):
                reasons.append(f"{kind} {values[kind]} {op} {_num(limit)}")
    for mmol in found.glucoses:
        for op, bound in glucose:
            if _fails(mmol, op, bound):
                reasons.append(f"glucose {_num(mmol)} mmol/L {op} {_num(bound)}")
    return reasons


def _fails(value: float, op: str, limit: float) -> bool:
    return value >= limit if op == ">=" else value < limit if op == "<" else value > limit


def _num(value: float) -> str:
    """172, not 172.0; 7.8 as it is."""
    return f"{value:g}"
