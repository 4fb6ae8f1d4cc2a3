"""The concepts a warning sign is made of, with the words that say each one in nl, fr and en.

`bot.inbound.sign_rules` combines them: a loss of an ability together with a body part or a
sense is a warning sign, whatever words the patient chose ("ik krijg mijn sleutel niet meer
omgedraaid" is a *motor* ability, a *modal* and a *negation*; "a curtain over my eye" is an
*eye* and a *vision quality*). The words are folded and normalised first
(`bot.inbound.normalise`): lower case, no accents, Flemish and text-message forms spelled out.

This module holds the grammar's own words (negations, modals, what a phrase is about) and
the fixed expressions; `bot.inbound.sign_lexicon` holds the words of the signs themselves. A
word ending in `*` stands for every word that begins so (`verlamd*` is `verlamde` too).
Words of several tokens ("mal de tete", "in de war") are first joined into one (`IDIOMS`),
so that each concept is a set of single words.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.inbound.sign_lexicon import SIGN_WORDS

# Fixed expressions, joined into one word before the concepts are looked up.
IDIOMS = {
    "aan een kant": "oneside", "aan 1 kant": "oneside", "on one side": "oneside",
    "d'un cote": "oneside", "d'un seul cote": "oneside", "one side": "oneside",
    "isn't there": "notthere", "is not there": "notthere", "er niet is": "notthere",
    "n'est pas la": "notthere", "n'est plus la": "notthere",
    "laisse tomber": "dropping", "laat vallen": "dropping", "liet vallen": "dropped",
    "laat alles vallen": "dropping everything", "liet alles vallen": "dropped everything",
    "laat dingen vallen": "dropping things", "laat steeds dingen vallen": "dropping things",
    "gevallen voor die": "smitten", "gevallen voor dat": "smitten", "gevallen voor deze": "smitten",
    "get a word in": "interrupt", "non stop": "constantly", "nonstop": "constantly",
    "sans arret": "constantly", "zonder ophouden": "constantly", "gibberish to me": "unclear",
    "knocked out": "fainted",
    "zakte in elkaar": "flauwgevallen", "zakt in elkaar": "flauwgevallen",
    "n'existent pas": "gibberish", "bestaan niet": "gibberish", "don't exist": "gibberish",
    "all over the place": "uncontrolled", "next thing i knew": "woke", "who i am": "confus",
    "wie ik ben": "confus", "qui je suis": "confus", "not right": "strange",
    "niet juist": "strange", "pas normal": "strange", "ni meer": "niet meer",
    "mots croises": "crossword", "fell for": "fooled", "gevallen voor een": "smitten",
    "gevallen voor nen": "smitten", "had a few": "drunk", "wasn't there": "notthere",
    "was not there": "notthere", "n'etait plus la": "notthere", "n'etait pas la": "notthere",
    "corner of his mouth": "mondhoek", "corner of her mouth": "mondhoek",
    "corner of my mouth": "mondhoek", "coin de la bouche": "mondhoek",
    "coin de sa bouche": "mondhoek",
    "deden wat ze wilden": "uncontrolled", "doen wat ze willen": "uncontrolled",
    "did what they wanted": "uncontrolled", "patate chaude dans la bouche": "slurred",
    "hot potato in my mouth": "slurred", "hete patat in mijn mond": "slurred",
    "belongs to somebody else": "notmine", "zoned out": "fainted", "heart rate": "pulse",
    "fait peine a voir": "pitiful", "2 of every": "double", "tombee sur une": "metby",
    "tombe sur un": "metby", "tombee sur un": "metby", "tombe sur une": "metby",
    "niet te doen": "unbearable", "nie te doen": "unbearable",
    "ne comprend plus rien": "confus", "ne comprends plus rien": "confus",
    "begrijpt niets meer": "verward", "snapt er niets meer van": "verward",
    "weight off my chest": "relief", "poids en moins": "relief", "pak van mijn hart": "relief",
    "see eye to eye": "agree", "du tout": "whatsoever", "at all": "whatsoever",
    "nimporte quoi": "gibberish", "fait n'importe quoi": "uncontrolled",
    "fait nimporte quoi": "uncontrolled", "nergens op trok": "gibberish", "ca tourne": "vertige",
    "het draait": "vertige", "2 of everything": "double", "au lieu d'": "insteadof",
    "got lost": "verdwaald", "me suis perdu": "verdwaald", "me suis perdue": "verdwaald",
    "s'est perdu": "verdwaald", "s'est perdue": "verdwaald", "liep verloren": "verdwaald",
    "mal de tete": "maldetete", "mal a la tete": "maldetete", "maux de tete": "maldetete",
    "mal au crane": "maldetete", "pijn in mijn hoofd": "hoofdpijn",
    "pijn in het hoofd": "hoofdpijn", "head pain": "headache", "tombe dans les pommes": "evanoui",
    "tombee dans les pommes": "evanoui", "tourne de l'oeil": "evanoui",
    "perdu connaissance": "evanoui", "perte de connaissance": "evanoui",
    "van zijn stokje": "flauwgevallen", "van haar stokje": "flauwgevallen",
    "van mijn stokje": "flauwgevallen", "buiten bewustzijn": "bewusteloos",
    "out like a light": "blackout", "passed out": "fainted", "pass out": "fainted",
    "blacked out": "blackout", "lost consciousness": "fainted",
    "veulent rien dire": "gibberish", "veut rien dire": "gibberish",
    "slaan nergens op": "gibberish", "slaat nergens op": "gibberish", "make no sense": "gibberish",
    "makes no sense": "gibberish", "making no sense": "gibberish", "not making sense": "gibberish",
    "was even weg": "flauwgevallen", "was efkes weg": "flauwgevallen",
    "even weg geweest": "flauwgevallen", "failli tomber": "trebuche", "fall down": "fellover",
    "fell down": "fellover", "fell over": "fellover", "falls down": "fellover",
    "falling down": "fellover", "falling over": "fellover", "in de war": "verward",
    "de kluts kwijt": "verward", "de weg kwijt": "verward", "n'est plus a moi": "notmine",
    "n'est pas a moi": "notmine", "niet van mij": "notmine", "niet meer van mij": "notmine",
    "plus a moi": "notmine", "belongs to someone else": "notmine", "someone else's": "notmine",
    "van iemand anders": "notmine", "a quelqu'un d'autre": "notmine",
    "van mijn stok": "flauwgevallen", "van zijn stok": "flauwgevallen",
    "van haar stok": "flauwgevallen", "not mine": "notmine", "pas a moi": "notmine",
    "pins and needles": "tingling", "instead of": "insteadof", "in plaats van": "insteadof",
    "au lieu de": "insteadof", "veux dire": "mean", "wil zeggen": "mean",
    "n'importe quoi": "gibberish", "door elkaar": "jumbled", "mixed up": "jumbled",
    "geen kracht": "krachteloos", "no strength": "weakness", "plus de force": "sansforce",
    "pas de force": "sansforce", "sans force": "sansforce", "geen gevoel": "gevoelloos",
    "no feeling": "numbness", "plus de sensation": "insensible", "aucune sensation": "insensible",
    "not working": "notworking", "tete qui tourne": "vertige", "tete tourne": "vertige",
    "tete me tourne": "vertige", "tout tourne": "vertige", "alles draait": "vertige",
    "kamer draait": "vertige", "wereld draait": "vertige", "room spins": "vertige",
    "room is spinning": "vertige", "had a fall": "fellover", "a fall": "fellover",
    "really bad": "severe", "very bad": "severe", "so bad": "severe", "out of nowhere": "sudden",
    "plus debout": "cantstand", "pas debout": "cantstand", "nergens op trekken": "gibberish",
    "nergens op trekt": "gibberish", "angine de poitrine": "angina", "pas de probleme": "fine",
    "aucun probleme": "fine", "geen probleem": "fine", "no problem": "fine", "no trouble": "fine",
    "alles draait om": "isabout", "tombe bien": "timely", "tombe mal": "untimely",
    "lost sight of": "forgot", "lose sight of": "forgot", "mal au coeur": "nausee",
    "mal au dos": "maldedos", "mal de dos": "maldedos", "moins bien": "worse",
    "last van": "lastvan", "minder goed": "worse", "less well": "worse",
    "confused about": "unsure", "confuse sur": "unsure", "confus sur": "unsure",
    "heart attack": "infarct", "crise cardiaque": "infarct", "hartaanval": "infarct",
}

# The words of the grammar itself: negation, modality, who and what a phrase is about.
GRAMMAR_WORDS: dict[str, tuple[str, ...]] = {
    # Negations; a loss of an ability is phrased with one, so the rules decide what it undoes.
    "neg": (
        "not", "no", "none", "nor", "without", "niet", "geen", "zonder", "niks", "niets", "noch",
        "pas", "sans", "aucun", "aucune", "ni", "ne", "n'", "rien", "nee", "neen", "non", "nope",
        "nothing", "nobody", "niemand", "personne", "*n't", "never", "nooit", "jamais",
    ),
    "never": ("never", "nooit", "jamais"),
    # "plus" is a negation after "ne" or before "de", and in "je peux plus": an ability lost.
    "plus": ("plus",),
    "modal": (
        "can", "can't", "could", "couldn't", "unable", "able", "kan", "kon", "konden", "kunnen",
        "lukt", "lukte", "lukken", "krijg", "kreeg", "krijgt", "krijgen", "peux", "peut", "pouvais",
        "pouvait", "pourrais", "pouvons", "arrive", "arrivais", "arrivait", "arriver", "sais",
        "sait", "savais", "savait", "impossible", "incapable", "won't", "wouldn't", "wil", "wilt",
        "wou", "veut", "voulait", "moyen", "manage", "managed", "su", "pu", "gekund", "kunnen",
        "gaat", "ging", "savoir", "pouvoir",
    ),
    # Modals that carry their negation.
    "neg_modal": ("can't", "couldn't", "unable", "impossible", "incapable", "won't", "wouldn't"),
    "difficulty": (
        "moeite", "moeilijk", "moeilijker", "lastig", "trouble", "difficulty", "difficult", "hard",
        "harder", "struggl*", "mal", "peine", "difficile*", "difficulte*", "problem*", "probleem",
        "problemen",
    ),
    # "I don't know why", "weet niet of": a negation about something else.
    "not_about": (
        "goed", "lekker", "bien", "well", "good", "know", "weet", "sais", "why", "waarom",
        "pourquoi", "if", "als", "si", "whether", "think", "denk", "pense", "sure", "zeker",
        "understand", "begrijp", "comprends", "need", "hoef", "besoin", "want", "wil", "veux",
        "forget", "vergeten", "oublie", "worry", "worried", "zorgen", "inquiet",
    ),
    # What an ability is about when it is not the body: "I can't hold my excitement".
    "abstract": (
        "excitement", "breath", "adem", "souffle", "tears", "tranen", "larmes", "laugh*", "lach*",
        "rire", "on", "tongue", "horses", "wait", "wachten", "attendre", "point", "why", "how",
        "waarom", "hoe", "pourquoi", "comment", "you", "u", "vous", "jou", "doctor", "dokter",
        "huisarts", "medecin", "gp", "nurse", "verpleegster", "verpleger", "infirmiere",
        "infirmier", "difference", "verschil", "zitten", "now", "nu", "maintenant", "far", "ver",
        "loin", "long", "lang", "about", "over", "grandchildren",
        "kleinkinderen", "petits-enfants", "end", "eind", "fin", "sleep", "slapen", "dormir",
        "temps", "time", "tijd", "zin", "goesting", "envie", "bijzonders", "speciaals", "geks",
        "raars", "mis", "nieuws", "heat", "hitte", "chaleur", "noise", "lawaai", "bruit", "thank*",
        "bedank*", "remercier", "remercie", "express*", "uitdrukken", "exprimer", "describe",
        "beschrijven", "decrire", "hoe",
    ),
    # Verbs a modal is about instead of the ability after them: "can't wait to see".
    "idle_verb": (
        "wait", "wachten", "attendre", "afford", "believe", "geloven", "croire", "imagine", "help",
        "resist", "weerstaan", "resister",
    ),
    "gratitude": (
        "thank*", "bedank*", "remerci*", "grateful", "dankbaar", "reconnaissant*", "express*",
        "uitdrukken", "exprimer", "describe", "beschrijven", "decrire",
    ),
    "normal": ("normaal", "normal", "normale", "usual"),
    "no_answer": (
        "nee", "neen", "no", "non", "nope", "none", "geen", "nada", "niks", "rien", "aucun",
        "aucune", "nein", "neen", "nothing", "niets",
    ),
    "polite": (
        "hoor", "merci", "thanks", "thank", "you", "dank", "bedankt", "u", "ok", "okay", "oke",
        "allemaal", "all", "tout", "va", "bien", "goed", "fine",
    ),
    # A thing that is broken: what cannot be seen or done is its fault.
    "broken": ("kapot", "stuk", "defect", "broken", "panne", "casse", "decodeur", "storm",
               "orage", "onweer",
        "aerial", "antenne", "antenna", "signal", "signaal",
    ),
    "device": (
        "kapot", "stuk", "defect", "broken", "panne", "casse", "scherm", "screen", "ecran", "tv",
        "televisie", "television", "telefoon", "phone", "gsm", "bril", "glasses", "lunettes",
        "voiture", "auto", "car", "fiets", "bike", "velo",
    ),
    # An occasion: "his speech at the wedding was funny" is no symptom.
    "event": (
        "wedding", "party", "funeral", "ceremony", "birthday", "meeting", "mariage", "fete",
        "feest", "bruiloft", "trouw", "verjaardag", "begrafenis", "enterrement", "anniversaire",
        "reunion", "vergadering", "toespraak", "therapy", "therapie", "therapist", "logopedie",
        "logopedist", "logopede", "orthophon*",
        "crossword", "kruiswoord*", "puzzle", "sudoku", "scrabble",
    ),
    # Somebody who is not the patient: "my neighbour had a TIA last year".
    "other": (
        "neighbour", "neighbor", "buurman", "buurvrouw", "buren", "voisin", "voisine", "friend",
        "vriend", "vriendin", "ami", "amie", "colleague", "collega", "collegue", "cousin",
        "cousine", "neef", "nicht", "kennis", "tv", "film", "movie", "news", "nieuws",
        "hond", "dog", "chien", "kat", "cat", "chat", "paard", "horse", "cheval", "poes",
    ),
    # "talks as if he were drunk": speech compared with drinking.
    "as_if": ("alsof", "precies", "gelijk", "comme", "like", "as", "if", "of", "si", "als"),
    # Words that make a named stroke a new one: "ik denk dat ik weer een beroerte heb".
    # What is read rather than done: "I didn't see your message" (but "je sais plus lire vos
    # messages" is a loss of reading).
    "media": ("message", "messages", "bericht", "berichten", "sms", "mail", "email", "text",
              "texts", "krant", "journal", "newspaper"),
    "ask": ("vroeg", "vraag", "vroegen", "asked", "ask", "asking", "demande", "demandais",
            "demandait", "wanted", "wou", "wilde", "voulais", "voulait"),
    "two": ("two", "deux", "twee", "2"),
    "again": (
        "weer", "opnieuw", "again", "another", "new", "nouvel", "nouveau", "nouvelle",
        "encore", "denk", "think", "crois", "pense", "vrees", "bang", "afraid", "scared", "peur",
        "misschien", "maybe", "peut-etre", "possibly", "having", "fais", "faire", "krijg",
            ),
    "be": (
        "was", "is", "were", "am", "ben", "zat", "zit", "etais", "etait", "est", "suis", "i'm",
        "were", "waren", "zijn", "it", "we",
    ),
    "own": ("eigen", "own", "propre", "propres"),
    "where": (
        "waar", "where", "ou", "hoe", "how", "comment", "what", "wat", "which", "welke", "quel",
        "quelle", "wie", "who", "qui",
        "weg", "way", "chemin",
    ),
    "know": ("weet", "wist", "wisten", "know", "knew", "sais", "savait", "savais", "sait"),
    "place": (
        "huis", "home", "thuis", "maison", "jour", "day", "dag", "year", "jaar", "annee", "week",
        "semaine", "month", "maand", "mois", "woon", "woont", "habite", "live", "lives", "lived",
        "woonde", "rue", "street", "straat", "city", "stad", "ville", "car", "auto", "voiture",
        "rijden", "conduire", "drive", "back",
    ),
    "people": (
        "mensen", "iemand", "anderen", "people", "anyone", "others", "gens", "me",
        "mij", "moi", "him", "hem", "her", "haar", "lui", "us", "ons", "nous",
        "on",
    ),
    "person": (
        "me", "mij", "moi", "haar", "hem", "wife", "vrouw", "man", "husband", "mari", "femme",
        "kinderen", "children", "enfants", "fille", "fils", "daughter", "son", "dochter", "zoon",
        "family", "familie", "famille", "people", "mensen", "gens", "us", "ons", "nous", "house",
        "huis", "maison", "home", "thuis", "anyone", "niemand", "personne", "kleinkinderen",
        "grandchildren", "petits-enfants", "buren", "neighbours", "voisins", "zus", "sister",
        "soeur", "broer", "brother", "frere",
        "m'", "papa", "mama", "vader", "moeder",
        "kleinkinders", "kleinkinderen",
    ),
    "repeated": (
        "keep", "keeps", "kept", "blijf", "blijft", "steeds", "telkens", "always", "constamment",
        "toujours", "things", "everything", "alles", "dingen", "tout", "stuff", "tombe", "tomber",
        "vallen", "objets",
        "sudden*", "ineens", "plots*", "soudain*", "opeens",
    ),
    "all_things": ("everything", "alles", "tout"),
    "drunk": (
        "zat", "dronken", "bu", "drunk", "gedronken", "ivre", "saoul", "soul", "tipsy", "pompette",
        "drinking", "drank",
        "zatte", "zatlap",
    ),
    # "in slaap gevallen", "tombé malade": no fall.
    "not_a_fall": (
        "slaap", "asleep", "sommeil", "love", "verliefd", "amoureu*", "malade", "ill", "sick",
        "ziek", "pluie", "regen", "rain", "sneeuw", "snow", "neige", "prijs", "price", "prix",
        "panne",
        "dessus", "nues",
        "scam", "metby",
    ),
}
LEXICON = {**GRAMMAR_WORDS, **SIGN_WORDS}


class Lexicon:
    """The concepts of each word, exact words first and `*` prefixes after."""

    def __init__(self, lexicon: dict[str, tuple[str, ...]]) -> None:
        self._exact: dict[str, set[str]] = {}
        self._prefixes: list[tuple[str, str]] = []
        self._suffixes: list[tuple[str, str]] = []
        for concept, words in lexicon.items():
            for word in words:
                if word.startswith("*"):
                    self._suffixes.append((word[1:], concept))
                elif word.endswith("*"):
                    self._prefixes.append((word[:-1], concept))
                else:
                    self._exact.setdefault(word, set()).add(concept)
        self._cache: dict[str, frozenset[str]] = {}

    def concepts(self, word: str) -> frozenset[str]:
        """Every concept `word` says (cached: replies reuse a small vocabulary)."""
        found = self._cache.get(word)
        if found is None:
            tags = set(self._exact.get(word, ()))
            tags.update(c for prefix, c in self._prefixes if word.startswith(prefix))
            tags.update(c for suffix, c in self._suffixes if word.endswith(suffix))
            found = frozenset(tags)
            if len(self._cache) < 50_000:
                self._cache[word] = found
        return found

    def words(self) -> Iterable[str]:
        return self._exact.keys()


CONCEPTS = Lexicon(LEXICON)
