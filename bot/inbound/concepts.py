"""The concepts a warning sign is made of, with the words that say each one in nl, fr and en.

`bot.inbound.grammar` combines them: a loss of an ability together with a body part or a
sense is a warning sign, whatever words the patient chose ("ik krijg mijn sleutel niet meer
omgedraaid" is a *motor* ability, a *modal* and a *negation*; "a curtain over my eye" is an
*eye* and a *vision quality*). The words are folded and normalised first
(`bot.inbound.normalise`): lower case, no accents, Flemish and text-message forms spelled out.

A word ending in `*` stands for every word that begins so (`verlamd*` is `verlamde` too).
Words of several tokens ("mal de tete", "in de war") are first joined into one (`IDIOMS`),
so that each concept is a set of single words.
"""

from __future__ import annotations

from collections.abc import Iterable

# Fixed expressions, joined into one word before the concepts are looked up.
IDIOMS = {
    "mal de tete": "maldetete", "mal a la tete": "maldetete", "maux de tete": "maldetete",
    "mal au crane": "maldetete", "pijn in mijn hoofd":
    "hoofdpijn", "pijn in het hoofd": "hoofdpijn", "head pain": "headache",
    "tombe dans les pommes": "evanoui", "tombee dans les pommes": "evanoui", "tourne de l'oeil": "evanoui",
    "perdu connaissance": "evanoui", "perte de connaissance": "evanoui",
    "van zijn stokje": "flauwgevallen", "van haar stokje": "flauwgevallen",
    "van mijn stokje": "flauwgevallen", "buiten bewustzijn": "bewusteloos",
    "out like a light": "blackout", "passed out": "fainted", "pass out": "fainted",
    "blacked out": "blackout", "lost consciousness": "fainted", "went out": "fainted",
    "veulent rien dire": "gibberish", "veut rien dire": "gibberish",
    "slaan nergens op": "gibberish", "slaat nergens op": "gibberish",
    "make no sense": "gibberish", "makes no sense": "gibberish",
    "making no sense": "gibberish", "not making sense": "gibberish",
    "was even weg": "flauwgevallen", "was efkes weg": "flauwgevallen",
    "even weg geweest": "flauwgevallen", "failli tomber": "trebuche", "fall down": "fellover",
    "fell down": "fellover", "fell over": "fellover", "falls down": "fellover",
    "falling down": "fellover", "falling over": "fellover", "in de war": "verward",
    "de kluts kwijt": "verward", "de weg kwijt": "verward",
    "n'est plus a moi": "notmine", "n'est pas a moi": "notmine", "niet van mij": "notmine",
    "niet meer van mij": "notmine", "plus a moi": "notmine",
    "belongs to someone else": "notmine", "someone else's": "notmine",
    "van iemand anders": "notmine", "a quelqu'un d'autre": "notmine",
    "van mijn stok": "flauwgevallen", "van zijn stok": "flauwgevallen",
    "van haar stok": "flauwgevallen", "not mine": "notmine", "pas a moi": "notmine",
    "pins and needles": "tingling", "instead of": "insteadof", "in plaats van": "insteadof",
    "au lieu de": "insteadof", "veux dire": "mean", "wil zeggen": "mean",
    "n'importe quoi": "gibberish", "door elkaar": "jumbled", "mixed up": "jumbled",
    "geen kracht": "krachteloos", "no strength": "weakness", "plus de force": "sansforce",
    "pas de force": "sansforce", "sans force": "sansforce",
    "geen gevoel": "gevoelloos", "no feeling": "numbness", "plus de sensation": "insensible",
    "aucune sensation": "insensible", "not working": "notworking",
    "tete qui tourne": "vertige", "tete tourne": "vertige",
    "tete me tourne": "vertige", "tout tourne": "vertige", "alles draait": "vertige",
    "kamer draait": "vertige", "wereld draait": "vertige", "room spins": "vertige",
    "room is spinning": "vertige", "had a fall": "fellover", "a fall": "fellover",
    "really bad": "severe", "very bad": "severe", "so bad": "severe", "out of nowhere":
    "sudden", "plus debout": "cantstand", "pas debout": "cantstand",
    "nergens op trekken": "gibberish", "nergens op trekt": "gibberish",
    "angine de poitrine": "angina", "pas de probleme": "fine", "aucun probleme": "fine",
    "geen probleem": "fine", "no problem": "fine", "no trouble": "fine",
    "alles draait om": "isabout",
    "tombe bien": "timely", "tombe mal": "untimely", "lost sight of": "forgot",
    "lose sight of": "forgot", "mal au coeur": "nausee", "mal au dos": "maldedos",
    "mal de dos": "maldedos",
    "moins bien": "worse", "last van": "lastvan", "minder goed": "worse", "less well": "worse",
    "confused about": "unsure about", "confuse sur": "unsure about", "confus sur": "unsure",
    "heart attack": "infarct", "crise cardiaque": "infarct", "hartaanval": "infarct",
}

# Each concept: the words that say it. Lists stay long on purpose: wider is safer.
LEXICON: dict[str, tuple[str, ...]] = {
    "neg": (
        "not", "no", "none", "nor", "without", "niet", "geen", "zonder", "niks", "niets",
        "noch", "pas", "sans", "aucun", "aucune", "ni", "ne", "n'", "rien", "nee", "neen",
        "non", "nope", "nothing", "nobody", "niemand", "personne", "*n't", "never", "nooit",
        "jamais",
    ),
    "never": ("never", "nooit", "jamais"),
    # "plus" is a negation after "ne", and in "je peux plus": an ability that is lost.
    "plus": ("plus",),
    "modal": (
        "can", "can't", "could", "couldn't", "unable", "able", "kan", "kon", "konden",
        "kunnen", "lukt", "lukte", "lukken", "krijg", "kreeg", "krijgt", "krijgen", "peux",
        "peut", "pouvais", "pouvait", "pourrais", "pouvons", "arrive", "arrivais", "arrivait",
        "arriver", "sais", "sait", "savais", "savait", "impossible", "incapable", "won't",
        "wouldn't", "wil", "wilt", "wou", "veut", "voulait", "moyen", "manage", "managed", "su",
        "pu", "gekund", "kunnen",
    ),
    "neg_modal": ("can't", "couldn't", "unable", "impossible", "incapable", "won't",
                  "wouldn't"),
    "difficulty": (
        "moeite", "moeilijk", "moeilijker", "lastig", "trouble", "difficulty", "difficult",
        "hard", "harder", "struggl*", "mal", "peine", "difficile*", "difficulte*",
        "problem*", "probleem", "problemen", "du mal",
    ),
    "arm": (
        "arm", "armen", "arms", "hand", "handen", "hands", "vinger", "vingers", "finger",
        "fingers", "duim", "thumb", "wrist", "bras", "main", "mains", "doigt", "doigts",
        "poignet", "pouce",
    ),
    "leg": (
        "been", "benen", "voet", "voeten", "leg", "legs", "foot", "feet", "jambe", "jambes",
        "pied", "pieds", "knie", "knee", "knees", "genou", "genoux",
    ),
    "side": (
        "links", "rechts", "linker", "rechter", "left", "right", "gauche", "droite", "droit",
        "kant", "zijde", "side", "cote", "moitie", "helft", "halve", "half", "linkerkant",
        "rechterkant", "linkerzijde", "rechterzijde",
    ),
    "face": (
        "gezicht", "mond", "mondhoek", "lip", "lippen", "wang", "face", "mouth", "lips",
        "cheek", "smile", "visage", "bouche", "levre", "levres", "joue", "sourire", "lach",
        "glimlach", "figure", "gezigt", "gezict", "gezich", "gesicht", "vizage"),
    "eye": (
        "oog", "ogen", "eye", "eyes", "oeil", "yeux", "zicht", "sight", "vision", "vue",
        "gezichtsveld", "zichtveld", "gezichtsvermogen", "eyesight",
    ),
    "see": (
        "zie", "zien", "ziet", "see", "sees", "voir", "vois", "voit", "voyais", "voyait",
        "lezen", "lees", "leest", "read", "lire", "lis", "lit", "kijk", "kijken", "keek", "look",
        "looking", "watch", "watching", "regard*", "vu", "zag", "saw" ),
    "vision_quality": (
        "wazig", "troebel", "blurry", "blurred", "blur", "flou", "floue", "trouble", "dubbel",
        "double", "zwart", "black", "noir", "donker", "dark", "sombre", "gordijn", "curtain",
        "rideau", "schaduw", "shadow", "ombre", "waas", "voile", "veil", "mist", "fog",
        "foggy", "brouillard", "grijs", "grey", "gray", "vlek", "blind", "aveugle", "vaag",
        "fuzzy", "hazy", "misty", "cloudy", "wolk", "nuage", "flou*", "blurr*", "wazige",
        "halve", "helft", "moitie", "half", "weg", "gone", "disparu", "dimmed", "shutter",
        "luik", "store", "blinds", "rolgordijn", "mist*", "brume*", "brumeux", "lost", "lose",
        "losing", "verloren", "kwijt", "perdu", "perte" ),
    "face_quality": (
        "scheef", "schuin", "hangt", "hangend", "afhangend*", "zakt", "droop*", "crooked",
        "lopsided", "sagg*", "uneven", "twisted", "tordu*", "travers", "deforme*", "tombe",
        "pend*", "penche*", "asymetri*", "fallen", "hanging", "slack", "frozen", "fige*",
        "verlamd*", "paraly*", "gevoelloos", "numb*", "engourdi*", "doof", "verdoofd",
        "vertrokken", "scheve", "raar", "vreemd", "weird", "funny", "strange", "bizar*",
        "drole", "anders", "tomb*", "parali*"),
    "limb_quality": (
        "slap*", "zwak*", "krachteloos", "lam", "lamme", "verlamd*", "gevoelloos*",
        "verdoofd", "doof", "dood", "zwaar", "zware", "tintel*", "onhandig*", "weak*",
        "numb*", "heavy", "dead", "limp", "floppy", "clumsy", "useless", "paraly*",
        "tingl*", "asleep", "faible*", "lourd*", "engourdi*", "paralys*", "mort", "morte",
        "inerte", "molle", "mou", "endormi*", "fourmill*", "picot*", "maladroit*",
        "insensible", "raar", "vreemd", "strange", "weird", "funny", "bizar*", "drole",
        "sansforce", "slaapt", "prikkel*", "notmine", "watten", "cotton", "coton", "ouate",
        "rubber", "caoutchouc", "wool", "naalden", "needles", "aiguilles", "spelden",
        "zwakte", "uitval", "krachtverlies", "lood", "plomb", "lead", "blok", "beton", "concrete",
        "fourmis", "begaf*", "begav*", "begeef*", "begeven", "buckl*", "jelly", "pudding", "lache*",
        "heav*", "gave", "glip*", "glijd*", "slip*", "slid*", "echappe*", "glisse*", "schiet",
        "falling", "falls", "valt", "viel", "vallen", "tombent", "tomber", "sleept", "sleep",
        "traine*", "drag*", "parali*" ),
    "function": (
        "werkt", "werken", "doet", "wil", "gaat", "luistert", "reageert", "beweegt",
        "bewegen", "work", "works", "working", "worked", "respond*", "listen*", "move",
        "moves", "moving", "marche", "fonctionne", "repond", "obeit", "bouge", "suit",
        "functioneert", "notworking", "cooperate*", "mee", "do", "does", "obey*", "gehoorzaam*",
        "porte", "portent", "tient", "tiennent", "draagt", "houdt", "supporte*", "hold", "smile",
        "lachen", "sourire", "sourit" ),
    "motor": (
        "houden", "vasthouden", "hold", "holding", "tenir", "grijpen", "pakken",
        "vastpakken", "grip", "grab", "grasp", "saisir", "attraper", "prendre", "heffen",
        "optillen", "opheffen", "tillen", "omhoog", "lift", "lifting", "raise", "lever",
        "soulever", "bewegen", "move", "bouger", "remuer", "gebruiken", "use", "utiliser",
        "servir", "knopen", "dichtknopen", "toeknopen", "dichtdoen", "button", "buttons",
        "boutonner", "omdraaien", "omgedraaid", "draaien", "turn", "tourner", "schrijven",
        "write", "ecrire", "dragen", "carry", "porter", "snijden", "cut", "couper",
        "strikken", "tie", "lacer", "knijpen", "squeeze", "serrer", "open", "openen",
        "opendoen", "ouvrir", "typen", "type", "taper", "drinken", "eten", "manger", "boire",
        "poetsen", "brush", "zipper", "rits",
    ),
    "walk": (
        "lopen", "loop", "stappen", "wandelen", "walk", "walking", "marcher", "staan",
        "stand", "standing", "debout", "opstaan", "get up", "rechtstaan", "rechtstaan", "overeind"),
    "feel": (
        "voelen", "voel", "voelt", "feel", "feeling", "felt", "sentir", "sens", "sent",
        "gevoel", "sensation", "sensations", "gevoeld", "voelde", "voelden",
    ),
    "speak": (
        "praten", "praat", "spreken", "spreek", "spreekt", "zeggen", "zeg", "zegt", "uitspreken",
        "talk", "talking", "talks", "speak", "speaking", "say", "saying", "says", "parler",
        "parle", "parlait", "dire", "dis", "dit", "prononcer", "articuler", "articule",
        "babbelen", "klappen", "vertellen", "tell", "uitleggen", "explain", "expliquer", "said",
        "zei", "zegde", "disais", "disait", "sprak" ),
    "speech_object": (
        "woord", "woorden", "word", "words", "mot", "mots", "zin", "zinnen", "sentence*",
        "phrase*", "spraak", "speech", "parole", "taal", "language", "langage", "stem",
        "voice", "voix", "tong", "tongue", "langue",
    ),
    # Qualities of speech that a carer or patient would only use of a problem.
    "speech_strong": (
        "slurr*", "lall*", "brabbel*", "gibberish", "onverstaanbaar", "garbled", "jumbled",
        "pateuse", "pateux", "onduidelijk", "incomprehensible*", "dubbele", "dikke", "thick",
        "mumbl*", "bafouill*", "begai*", "wartaal", "nonsense", "onzin", "drunk", "dronken",
        "ivre", "saoul", "verkeerde", "verkeerd", "wrong", "faux", "fausse", "mauvais",
        "fout", "verwisse*", "mix*", "melange*", "bredouill*", "marmonn*", "mompel*"),
    # Ways of speaking that are a problem by themselves: "je bredouille", "hij lalt".
    "speech_verb": ("lall*", "lalt", "brabbel*", "bredouill*", "slurr*", "mompel*", "marmonn*",
                    "bafouill*", "begai*", "mumbl*", "gibberish", "wartaal", "aphas*", "afas*",
                    "dysarthr*"),
    "speech_vague": (
        "raar", "vreemd", "strange", "weird", "funny", "odd", "bizar*", "drole", "anders",
        "slow", "traag", "lent", "lentement", "moeizaam", "confus*", "heavy", "lourde",
        "zwaar",
    ),
    "search": (
        "zoeken", "zoek", "zoekt", "cherche*", "search*", "looking", "find", "vinden", "vind",
        "vond", "trouver", "trouve", "komen", "komt", "kwamen", "come", "comes", "coming",
        "sortir", "sortent", "sort", "viennent", "vient", "uit", "eruit", "out",
    ),
    "understand": (
        "begrijpen", "begrijp", "begrijpt", "verstaan", "versta", "verstaat", "understand*",
        "comprendre", "comprends", "comprend", "comprenait", "comprenais",
    ),
    "people": (
        "mensen", "iemand", "anderen", "people", "anyone", "others", "gens", "ce qu'on",
        "me", "mij", "moi", "him", "hem", "her", "haar", "lui", "us", "ons", "nous",
    ),
    "mean": ("mean", "bedoel", "bedoelde", "insteadof", "meant"),
    "headpain": ("hoofdpijn*", "headache*", "migraine*", "cephalee*", "maldetete",
                 "hoofpijn", "hoofdpyn", "headake", "hedache", "headach", "headace"),
    "head": ("hoofd", "head", "tete", "crane", "kop"),
    "pain": (
        "pijn", "pijnen", "zeer", "steek", "steken", "druk", "drukkend*", "knellend*",
        "beklemm*", "benauwd*", "pain", "pains", "ache", "aching", "hurts", "hurt",
        "hurting", "sore", "pressure", "tight", "tightness", "squeez*", "crushing",
        "heaviness", "heavy", "burning", "stabbing", "sharp", "douleur*", "mal",
        "serrement", "oppression", "poids", "pression", "brulure", "serre", "point",
        "pincement", "etau", "barre", "knelt", "drukt", "steekt", "brandt", "gewicht",
        "weight", "band", "strak", "beklem*", "*pijn", "pian", "pyn", "pjin"),
    "chest": ("borst", "borstkas", "borstbeen", "chest", "poitrine", "thorax", "sternum",
              "hart", "heart", "coeur", "torse", "borststreek", "thoracique", "toracique",
              "thoracic", "thorac*", "torac*" ),
    "severe": (
        "plots*", "ineens", "opeens", "hevig*", "erg", "erge", "ergste", "zware", "zwaar",
        "verschrikkelijk*", "vreselijk*", "ondraaglijk*", "barst*", "enorm*", "explod*",
        "knal*", "afschuwelijk*", "soudain*", "brutal*", "violent*", "terrible*", "atroce*",
        "horrible*", "insupportable*", "intense*", "pire", "coup", "tonnerre", "explos*",
        "poignard", "epouvantable*", "sudden*", "severe*", "worst", "awful", "excruciating",
        "unbearable", "splitting", "thunderclap", "extreme*", "blinding", "agoni*", "klap",
        "slag", "mokerslag", "hamer*", "blow", "hit", "struck", "hammer*", "marteau",
        "massue", "donderslag", "thunder", "bliksem", "lightning", "ooit", "ever", "vie",
        "leven", "life", "never", "nooit", "jamais", "killing", "ontploft", "splijt",
        "eclate*", "exploding", "pounding", "bonk*",
    ),
    "faint": (
        "flauw", "flauwgevallen", "flauwte", "flauwvallen", "bewusteloos", "bewustloos",
        "onwel", "fainted", "faint", "fainting", "unconscious", "blackout", "collapsed",
        "collapse", "evanoui*", "syncope", "malaise", "weggezakt", "weggevallen",
        "bewustzijnsverlies", "knock*",
    ),
    "confused": (
        "verward", "verwardheid", "confuus", "confused", "confusion", "disoriented",
        "disorientated", "disorientation", "confus", "confuse", "desoriente*",
        "desorientation",
    ),
    "know": ("weet", "wist", "wisten", "know", "knew", "sais", "savait", "savais", "sait"),
    "where": ("waar", "where", "ou", "hoe", "how", "comment", "what", "wat", "which", "welke",
              "quel", "quelle", "wie", "who", "qui"),
    "place": ("huis", "home", "thuis", "maison", "jour", "day", "dag", "year", "jaar", "annee",
              "week", "semaine", "month", "maand", "mois", "woon", "woont", "habite", "live",
              "lives", "lived", "woonde", "rue", "street", "straat", "city", "stad", "ville",
              "car", "auto", "voiture", "rijden", "conduire", "drive", "back"),
    "be": ("was", "is", "were", "am", "ben", "zat", "zit", "etais", "etait", "est", "suis",
           "i'm", "he's", "she's", "were", "waren", "zijn", "j'etais", "it", "we"),
    "recognise": ("herkent", "herkende", "herkennen", "herken", "recogni*", "reconnai*"),
    "person": (
        "me", "mij", "moi", "haar", "hem", "wife", "vrouw", "man", "husband", "mari",
        "femme", "kinderen", "children", "enfants", "fille", "fils", "daughter", "son",
        "dochter", "zoon", "family", "familie", "famille", "people", "mensen", "gens", "us",
        "ons", "nous", "house", "huis", "maison", "home", "thuis", "anyone", "niemand",
        "personne", "kleinkinderen", "grandchildren", "petits-enfants", "buren",
        "neighbours", "voisins", "zus", "sister", "soeur", "broer", "brother", "frere",
    ),
    # Somebody who is not the patient: "my neighbour had a TIA last year".
    "other": ("neighbour", "neighbor", "buurman", "buurvrouw", "buren", "voisin", "voisine",
              "friend", "vriend", "vriendin", "ami", "amie", "colleague", "collega", "collegue",
              "cousin", "cousine", "neef", "nicht", "kennis", "tv", "film", "movie", "news",
              "nieuws"),
    # Pain words that name their body part: "rugpijn", "backache", "mal de dos".
    "body_pain": ("*pijn", "*ache", "*aches", "maldetete", "headache*", "migraine*",
                  "cephalee*", "maldedos", "maldeventre", "maldegorge"),
    # "talks as if he were drunk": speech compared with drinking.
    "as_if": ("alsof", "precies", "gelijk", "comme", "like", "as", "if", "of", "si"),
    "drunk": ("zat", "dronken", "bu", "drunk", "gedronken", "ivre", "saoul", "soul", "tipsy",
              "pompette", "drinking", "drank"),
    # Words that are a sign by themselves.
    "chest_pain_word": ("borstpijn", "hartpijn", "angina", "infarct", "infarctus"),
    "leg_loss": ("cantstand",),
    "balance_noun": ("evenwicht*", "equilibre", "balance"),
    "drop": ("drop", "dropping", "drops", "dropped", "lache", "laisse", "laat", "liet"),
    "repeated": ("keep", "keeps", "kept", "blijf", "blijft", "steeds", "telkens", "always",
                 "constamment", "toujours", "things", "everything", "alles", "dingen", "tout",
                 "stuff", "tombe", "tomber", "vallen", "objets"),
    "all_things": ("everything", "alles", "tout", "all"),
    "stroke": ("beroerte", "cva", "avc", "tia", "ait", "stroke", "herseninfarct",
               "hersenbloeding", "attaque", "infarct", "infarctus", "hartinfarct"),
    "again": (
        "weer", "opnieuw", "nog", "again", "another", "new", "nouvel", "nouveau", "nouvelle",
        "encore", "denk", "think", "crois", "pense", "vrees", "bang", "afraid", "scared",
        "peur", "misschien", "maybe", "peut-etre", "possibly", "having", "fais", "faire",
        "fait", "krijg", "heb", "had", "gehad", "eu",
    ),
    "drift": ("veer*", "drift*", "pull*", "trek", "trekt", "zwalk*", "zigzag*", "bots*",
              "bump*", "cogne*", "tire", "lean*", "derive*", "helt", "hel", "penche*", "zwalp*",
              "travers", "scheef", "schuin", "crooked", "zigzag*" ),
    # Words that are dizziness or unsteadiness by themselves ("evenwicht" is not: "mijn
    # evenwicht is goed").
    # A fall ("in slaap gevallen", "fell asleep", "tombé malade" are none: see `asleep`).
    # A fall by the patient, whatever the words around; and the participles that are one
    # only with the person who fell (`bot.inbound.sign_rules`).
    "fallen": ("gevallen", "omgevallen", "neergevallen", "tombe", "tombee", "fallen"),
    "lost": ("lost", "lose", "losing", "loss", "verloren", "verlies", "kwijt", "perdu", "perte",
             "perds", "weg", "gone", "disparu", "off", "slecht", "bad", "poor", "mauvais",
             "problem*", "probleem", "problemen", "stoornis"),
    "fall": ("fellover", "onderuit", "valpartij", "gestruikeld",
             "struikel*", "tripped", "trebuche*"),
    "not_a_fall": ("slaap", "asleep", "sommeil", "love", "verliefd", "amoureu*", "malade",
                   "ill", "sick", "ziek", "pluie", "regen", "rain", "sneeuw", "snow", "neige",
                   "prijs", "price", "prix", "panne"),
    "floor": ("grond", "vloer", "floor", "ground", "sol", "terre"),
    "respond": ("reageert", "reageerde", "antwoordde", "antwoordt", "responded", "respond",
                "responding", "answer", "answered", "answering", "repond*", "reagi*",
                "reagissait"),
    "meter": ("meter", "toestel", "apparaat", "lecteur", "appareil", "glucometer",
              "glucometre", "machine", "device", "display", "scherm", "ecran", "affiche",
              "says", "zegt", "geeft", "gaf", "showed", "shows", "toont", "marque", "indique"),
    "dizzy": (
        "duizel*", "duzelig", "draaierig*", "vertig*", "etourdi*", "dizz*", "vertigo",
        "lightheaded", "wankel*", "onvast*", "unsteady", "wobbly", "desequilibr*", "titub*",
        "spin*", "dizy", "vertije" ),
    # Changes a nurse would want to hear of, when no warning sign is named.
    "change": (
        "pijn", "zeer", "pain", "hurts", "hurt", "hurting", "sore", "ache*", "aching", "mal",
        "douleur*", "gezwollen", "dik", "dikke", "swollen", "gonfle*", "stijf", "stiff",
        "raide", "moe", "tired", "fatigue*", "vermoeid", "slechter", "worse", "pire",
        "erger", "rood", "red", "rouge", "jeuk", "itch*", "demange*", "kramp*", "cramp*",
        "crampe*", "brandt", "burning", "brule", "trilt", "tril*", "shaking", "shak*",
        "trembl*", "beeft", "anders", "different", "changed", "veranderd", "blauw",
        "bruise*", "bleu", "bleus", "koud", "cold", "froid", "steek", "prik*", "ontstoken",
        "infected", "infecte*", "wond", "wound", "plaie", "blessure", "injury", "gekwetst",
        "bloeding", "bleeding", "saigne*", "uitslag", "rash", "zwelling", "swelling",
        "gonflement", "verstuikt", "sprained", "gebroken", "broken", "casse*", "lastvan",
        "problem*", "probleem", "problemen", "strange", "weird", "raar", "vreemd", "bizar*",
        "tintel*", "race*", "racing", "bonkt", "palpit*", "rough", "slecht", "bad",
        "traan*", "watery", "water", "lourd*", "zwaar", "heavy", "klop*", "throb*", "*pijn",
        "piqu*", "enfle*", "killing", "worse", "swell*", "zwel*", "bobo" ),
    "body": (
        "rug", "back", "dos", "nek", "neck", "cou", "nuque", "schouder", "schouders",
        "shoulder", "shoulders", "epaule", "epaules", "heup", "hip", "hanche", "enkel",
        "ankle", "cheville", "buik", "belly", "stomach", "tummy", "ventre", "estomac", "maag",
        "teen", "tenen", "toe", "toes", "orteil", "orteils", "elleboog", "elbow", "coude",
        "oor", "oren", "ear", "ears", "oreille", "oreilles", "neus", "nose", "nez", "keel",
        "throat", "gorge", "tand", "tanden", "tooth", "teeth", "dent", "dents", "huid",
        "skin", "peau", "spier", "spieren", "muscle*", "gewricht*", "joint*",
        "articulation*", "kuit", "calf", "mollet", "dij", "thigh", "cuisse", "gehoor",
        "hearing", "ouie", "smaak", "taste", "gout", "reuk", "smell", "odorat", "hoofd",
        "head", "tete", "hart", "heart", "coeur", "borst", "chest", "poitrine", "blaas",
        "bladder", "vessie", "bil", "billen", "fesse", "lies", "aine", "groin", "ankles", "knees",
        "wrists", "elbows", "hips", "feet", "legs", "arms", "hands", "fingers", "voetjes",
        "handjes", "teentjes" ),
    # An ability that is not the patient's body: "I can't hold my excitement".
    "abstract": (
        "excitement", "breath", "adem", "souffle", "tears", "tranen", "larmes", "laugh*",
        "lach*", "rire", "on", "tongue", "horses", "wait", "wachten", "attendre",
        "point", "why", "how", "waarom", "hoe", "pourquoi", "comment", "you", "u", "vous",
        "jou", "te", "doctor", "dokter", "huisarts", "medecin", "gp", "nurse",
        "verpleegster", "verpleger", "infirmiere", "infirmier", "difference", "verschil",
        "zitten", "message", "messages", "bericht", "berichten", "sms", "mail", "email",
        "text", "texts", "now", "nu", "maintenant", "tomorrow", "morgen", "demain", "far",
        "ver", "loin", "long", "lang", "about", "over", "grandchildren", "kleinkinderen",
        "petits-enfants", "end", "eind", "fin",
        "sleep", "slapen", "dormir", "temps", "time", "tijd", "zin", "goesting", "envie",
        "bijzonders", "speciaals", "geks", "raars", "mis", "nieuws", "heat", "hitte",
        "chaleur", "noise", "lawaai", "bruit", "thank*", "bedank*", "remercier", "remercie",
        "express*", "uitdrukken", "exprimer", "describe", "beschrijven", "decrire", "hoe" ),
    # A thing that is broken: what cannot be seen or done is its fault, not the patient's.
    "device": ("kapot", "stuk", "defect", "broken", "panne", "casse", "scherm", "screen",
               "ecran", "tv", "televisie", "television", "telefoon", "phone", "gsm", "bril",
               "glasses", "lunettes"),
    "polite": ("hoor", "merci", "thanks", "thank", "you", "dank", "bedankt", "u", "ok",
               "okay", "oke", "allemaal", "all", "tout", "va", "bien", "goed", "fine"),
    "event": ("wedding", "party", "funeral", "ceremony", "birthday", "meeting", "mariage",
              "fete", "feest", "bruiloft", "trouw", "verjaardag", "begrafenis", "enterrement",
              "anniversaire", "reunion", "vergadering", "toespraak", "therapy", "therapie",
              "therapist", "logopedie", "logopedist", "logopede", "orthophon*"),
    # "I can't wait", "I didn't need": a negation that is about something else.
    "not_about": (
        "goed", "lekker", "bien", "well", "good", "know", "weet", "sais", "why", "waarom",
        "pourquoi", "if", "als", "si", "whether", "think", "denk", "pense", "sure", "zeker",
        "understand", "begrijp", "comprends", "need", "hoef", "besoin", "want", "wil", "veux",
        "forget", "vergeten", "oublie", "worry", "worried", "zorgen", "inquiet",
    ),
    # Verbs a modal is about instead of the ability after them: "can't wait to see them".
    "idle_verb": ("wait", "wachten", "attendre", "afford", "believe", "geloven", "croire",
                  "imagine", "help", "resist", "weerstaan", "resister"),
    "gratitude": ("thank*", "bedank*", "remerci*", "grateful", "dankbaar", "reconnaissant*",
                  "express*", "uitdrukken", "exprimer", "describe", "beschrijven", "decrire"),
    "normal": ("normaal", "normal", "normale", "usual"),
    "no_answer": ("nee", "neen", "no", "non", "nope", "none", "geen", "nada", "niks", "rien",
                  "aucun", "aucune", "nein", "neen", "nothing", "niets"),
}


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
