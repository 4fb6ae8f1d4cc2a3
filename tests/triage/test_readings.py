"""Reading blood pressure and glucose out of patients' free text (bot.triage.readings)."""

from __future__ import annotations

import pytest

from bot.triage.readings import Readings, find_readings, parse_readings


def _pressure(text: str) -> tuple[int | None, int | None]:
    readings = parse_readings(text)
    return readings.systolic, readings.diastolic


@pytest.mark.parametrize("text", ["128/79", "128 / 79", "BP 128/79", "128/79 mmHg", "128\\79"])
def test_it_reads_a_slash_pair_as_mmhg(text: str) -> None:
    assert _pressure(text) == (128, 79)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150 op 95", (150, 95)),
        ("bloeddruk 150 op 95", (150, 95)),
        ("148 over 94", (148, 94)),
        ("ma tension est à 13 sur 8", (130, 80)),
        ("bovendruk 165 onderdruk 98", (165, 98)),
        ("systolic 150 diastolic 95", (150, 95)),
        ("bloeddruk 125-80", (125, 80)),
    ],
)
def test_it_reads_worded_pairs_in_three_languages(text: str, expected: tuple[int, int]) -> None:
    assert _pressure(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tension 13/8", (130, 80)),
        ("TA 16/10", (160, 100)),
        ("tension 12,5/8", (125, 80)),
        ("tension 14,5/9,5", (145, 95)),
        ("13/8 de tension ce matin", (130, 80)),
        ("maximum 14 minimum 8", (140, 80)),
        ("13/8 cmHg", (130, 80)),
    ],
)
def test_it_reads_french_cmhg_tension_as_mmhg(text: str, expected: tuple[int, int]) -> None:
    assert _pressure(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "13/8",
        "16/10",
        "12/03",
        "3/4",
        "tension le 12/03",
        "tension ok, rdv le 16/10",
        "tension 12/3",
    ],
)
def test_it_reads_no_cmhg_without_a_blood_pressure_word_or_from_a_date(text: str) -> None:
    assert _pressure(text) == (None, None)


@pytest.mark.parametrize(
    "text",
    [
        "12/03",
        "12/03/2026",
        "3/4",
        "12-03-2026",
        "2026-03-12",
        "10:30",
        "10u30",
        "10h30",
        "om 8u",
        "at 8am",
        "+32470123456",
        "0470 12 34 56",
        "0470/12.34.56",
        "050 36 51 11",
        "0032 478 55 66 77",
        "+44 7700 900123",
        "score 8/10",
        "ik weeg 90/100 kg",
        "1/2 pil",
    ],
)
def test_it_never_takes_a_date_time_or_phone_number_for_a_reading(text: str) -> None:
    assert parse_readings(text) == Readings()


def test_it_reads_the_reading_beside_a_date_and_a_time() -> None:
    assert parse_readings("gemeten op 12/03 om 10u30: 131/83") == Readings(131, 83)
    assert parse_readings("12/03/2026 bloeddruk 136/86") == Readings(136, 86)
    assert parse_readings("BP 145/95 on 12/3 at 9:15") == Readings(145, 95)


@pytest.mark.parametrize(
    "text", ["99/100", "50/50", "301/100", "bloeddruk 49/20", "60/40", "300/200", "tension 3/4"]
)
def test_it_refuses_implausible_pressures(text: str) -> None:
    assert _pressure(text) == (None, None)


def test_a_blood_pressure_word_allows_extreme_but_possible_values() -> None:
    assert _pressure("bp 300/200") == (300, 200)
    assert _pressure("bloeddruk 50/20") == (50, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.8 mmol/L", 7.8),
        ("7,8 mmol", 7.8),
        ("bloedsuiker 5.4mmol", 5.4),
        ("140 mg/dL", 7.8),
        ("suiker 180 mg/dl", 10.0),
        ("glycemie 140mg", 7.8),
    ],
)
def test_it_reads_glucose_with_its_unit(text: str, expected: float) -> None:
    assert parse_readings(text).glucose_mmol_l == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("glycémie 1,4 g/L", 7.8),  # 1.4 g/L = 140 mg/dL = 7.8 mmol/L
        ("glycemie 1,05 g/l a jeun", 5.8),
        ("glycémie 1g20", 6.7),
        ("glycémie à jeun 1g05", 5.8),
        ("glycemie 0,3 g/l", 1.7),
    ],
)
def test_it_converts_grams_per_litre_to_mmol(text: str, expected: float) -> None:
    assert parse_readings(text).glucose_mmol_l == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("suiker 6", 6.0),
        ("bloedsuiker nuchter 5.9", 5.9),
        ("my sugar was 15", 15.0),
        ("sugar 2.7 feeling shaky", 2.7),
        ("glycemie 1,05", 1.1),  # not a French reply: mmol/L
    ],
)
def test_it_reads_a_bare_number_under_35_after_a_glucose_word_as_mmol(
    text: str, expected: float
) -> None:
    readings = parse_readings(text, language="nl")
    assert (readings.glucose_mmol_l, readings.glucose_unit_assumed) == (expected, True)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("glycémie 1,26", "fr", 7.0),  # a Belgian meter's g/L, not 1.26 mmol/L (a coma)
        ("glycémie 1,05", None, 5.8),  # unknown language: the French word decides
        ("sucre 0,45", "fr", 2.5),
        ("glycémie 3,5", "fr", 19.4),
        ("glycémie 5,6", "fr", 5.6),  # above 3.5: mmol/L
        ("suiker 1,2", "nl", 1.2),
    ],
)
def test_a_bare_glucose_in_a_french_reply_from_0_4_to_3_5_is_grams_per_litre(
    text: str, language: str | None, expected: float
) -> None:
    readings = parse_readings(text, language=language)
    assert (readings.glucose_mmol_l, readings.glucose_unit_assumed) == (expected, True)


def test_a_glucose_with_its_unit_written_has_no_unit_assumed() -> None:
    assert not parse_readings("glycémie 1,26 g/l", language="fr").glucose_unit_assumed
    assert not parse_readings("suiker 7,8 mmol").glucose_unit_assumed


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("suiker HI", "HI"),
        ("mijn suikerke gaf HI op de meter", "HI"),
        ("meter says LO", "LO"),
        ("LO op mijn suikermeter", "LO"),
        ("le lecteur de glycémie affiche LO", "LO"),
    ],
)
def test_a_meter_that_shows_hi_or_lo_is_read_as_such(text: str, code: str) -> None:
    assert parse_readings(text).glucose_code == code


@pytest.mark.parametrize("text", ["Hi nurse, all fine", "hi, my meter is new", "lo and behold"])
def test_a_greeting_is_not_a_meter_code(text: str) -> None:
    assert parse_readings(text).glucose_code is None


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("onderdruk 95 bovendruk 152", (152, 95)),
        ("diastolic 88 systolic 141", (141, 88)),
        ("tension basse 9 haute 14", (140, 90)),
        ("19 op 11 vanmorgen", (190, 110)),
        ("bp 120 slash 75", (120, 75)),
    ],
)
def test_it_reads_pressures_in_either_word_order_and_as_dictated(
    text: str, pair: tuple[int, int]
) -> None:
    assert find_readings(text).pressures == (pair,)


def test_it_keeps_every_glucose_after_one_word_and_reads_dialect_words() -> None:
    assert find_readings("bg 95 this morning and 380 after dinner").glucoses == (5.3, 21.1)
    assert find_readings("suiker 7,2 en 2 boterhammen").glucoses == (7.2,)
    assert find_readings("suikerke 24,3").glucoses == (24.3,)
    assert find_readings("glycémie 6 virgule 4", language="fr").glucoses == (6.4,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("suiker was 145 vanmorgen", 8.1),
        ("glycémie 250", 13.9),
        ("glucose 51", 2.8),
    ],
)
def test_it_reads_a_bare_number_from_35_after_a_glucose_word_as_mg_per_dl(
    text: str, expected: float
) -> None:
    assert parse_readings(text).glucose_mmol_l == expected


def test_it_takes_the_lone_decimal_beside_a_blood_pressure_as_glucose() -> None:
    assert _values("130/80 en 6,5") == (130, 80, 6.5)
    assert _values("140/90 7,5 72") == (140, 90, 7.5)
    assert parse_readings("7.8") == Readings()


@pytest.mark.parametrize(
    "text",
    [
        "Ik neem 2 suikers in mijn koffie",
        "ik heb suikerziekte type 2",
        "aspirine 80 mg",
        "cholesterol 5,2 mmol/L",
        "mon cholestérol 2,1 g/l",
        "hba1c 7,8%",
        "HbA1c 58 mmol/mol",
        "j'ai arrêté le sucre depuis 3 semaines",
        "suiker hba1c 7",
        "glucose 901 mg/dl",
        "suiker 0,4",
        "sugar 1000",
    ],
)
def test_it_takes_no_glucose_from_counts_other_lab_values_or_impossible_values(text: str) -> None:
    assert parse_readings(text).glucose_mmol_l is None


def test_it_skips_a_counted_number_to_find_the_glucose_after_it() -> None:
    assert parse_readings("suiker 2 keer gemeten, 7,1").glucose_mmol_l == 7.1


def test_it_keeps_the_first_reading_and_finds_them_all() -> None:
    text = "gisteren 190/105, vandaag 150/90, suiker 6,1 en later suiker 8,2"
    assert _values(text) == (190, 105, 6.1)
    assert find_readings(text).pressures == ((190, 105), (150, 90))
    assert find_readings(text).glucoses == (6.1, 8.2)


def test_it_reads_both_kinds_in_one_reply() -> None:
    assert _values("bloeddruk vanmorgen 132/84 en suiker 6,4") == (132, 84, 6.4)
    assert _values("tension: 128/76, glycémie: 102 mg/dl") == (128, 76, 5.7)
    assert _values("TA 17/10 glycémie 1,62 g/l") == (170, 100, 9.0)


def _values(text: str) -> tuple[int | None, int | None, float | None]:
    readings = parse_readings(text)
    return readings.systolic, readings.diastolic, readings.glucose_mmol_l


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tension cent nonante sur nonante", (190, 90, None)),
        ("bloeddruk honderdvijftig op vijfennegentig", (150, 95, None)),
        ("blood pressure one hundred ninety over a hundred", (190, 100, None)),
        ("tension cent quatre-vingt-dix sur cent dix", (190, 110, None)),
        ("sugar two point five", (None, None, 2.5)),
        ("glycémie deux virgule huit mmol", (None, None, 2.8)),
    ],
)
def test_it_reads_numbers_written_or_dictated_as_words(
    text: str, expected: tuple[int | None, int | None, float | None]
) -> None:
    assert _values(text) == expected


def test_an_article_is_not_read_as_the_number_one() -> None:
    assert parse_readings("suiker een beetje hoog vandaag") == Readings()
    assert parse_readings("j'ai pris un sucre dans mon café") == Readings()
