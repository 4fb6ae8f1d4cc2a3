"""The words of warning signs in nl, fr and en: body parts, abilities, their qualities, and
the signs named by a word of their own (`bot.inbound.concepts` has the grammar's own words).

A word ending in `*` stands for every word that begins so, one starting with `*` for every
word that ends so (`*pijn`: "rugpijn", "spierpijn"). Lists stay long on purpose: wider is safer.
"""

from __future__ import annotations

SIGN_WORDS: dict[str, tuple[str, ...]] = {
    # The room, the world, everything moving: "heel de keuken begon te draaien".
    "surroundings": (
        "keuken", "kamer", "living", "room", "kitchen", "garden", "tuin", "wereld", "world",
        "chambre", "piece", "cuisine", "jardin", "monde", "ceiling", "plafond", "vloer",
        "floor", "alles", "tout", "everything",
    ),
    "spin": (
        "draaien", "draaide", "draait", "rond", "tourner", "tournait", "tourne", "tanguait",
        "tangue", "tipped", "tilted", "tilting", "spun", "spinning", "spins", "swayed", "swaying",
        "kantelde", "kantelen", "schommelde", "wiebelde", "bewoog", "moving", "bougeait",
    ),
    # What one looks at, and qualities that can only be the sight's: "the road lines doubled".
    # A sight that is not there: "de rechterkant van de bladzijde was weg".
    "gone": ("weg", "gone", "disparu", "verdwenen", "absent", "missing", "notthere"),
    "sight_object": (
        "lines", "lijnen", "lignes", "road", "route", "straat", "letters", "lettres", "tekst",
        "scherm", "screen", "ecran", "tv", "telly", "televisie", "gezichten", "faces", "visages",
        "cars", "autos", "voitures", "bord", "panneau", "krant", "newspaper", "journal",
        "bladzijde", "page", "pagina", "line", "regel", "regels", "ligne",
    ),
    "vision_strong": (
        "doubled", "double", "dubbel", "blurry", "blurred", "wazig", "flou", "floue", "troebel",
        "fuzzy", "verdubbeld",
        "foggy", "hazy", "misty",
        "dedoubl*",
    ),
    # Comparisons for numbness: a limb or the face "like cotton wool", "as after the dentist".
    "numb_compare": (
        "watten", "watte", "wattes", "cotton", "coton", "ouate", "wool", "rubber", "caoutchouc",
        "dentist*", "tandarts*", "verdoving", "anesthesi*", "anaesthe*", "novoca*", "notmine",
            ),
    "arm": (
        "arm", "armen", "arms", "hand", "handen", "hands", "vinger", "vingers", "finger", "fingers",
        "duim", "thumb", "wrist", "bras", "main", "mains", "doigt", "doigts", "poignet", "pouce",
        "handwriting", "handschrift", "ecriture",
    ),
    "leg": (
        "been", "benen", "voet", "voeten", "leg", "legs", "foot", "feet", "jambe", "jambes", "pied",
        "pieds", "knie", "knee", "knees", "genou", "genoux",
    ),
    "side": (
        "links", "rechts", "linker", "rechter", "left", "right", "gauche", "droite", "droit",
        "kant", "zijde", "side", "cote", "moitie", "helft", "halve", "half", "linkerkant",
        "rechterkant", "linkerzijde", "rechterzijde",
        "oneside",
    ),
    "face": (
        "gezicht", "mond", "mondhoek", "lip", "lippen", "wang", "face", "mouth", "lips", "cheek",
        "smile", "visage", "bouche", "levre", "levres", "joue", "sourire", "lach", "glimlach",
        "figure", "gezigt", "gezict", "gezich", "gesicht", "vizage",
    ),
    "eye": (
        "oog", "ogen", "eye", "eyes", "oeil", "yeux", "zicht", "sight", "vision", "vue",
        "gezichtsveld", "zichtveld", "gezichtsvermogen", "eyesight",
    ),
    "see": (
        "zie", "zien", "ziet", "see", "sees", "voir", "vois", "voit", "voyais", "voyait", "lezen",
        "lees", "leest", "read", "lire", "lis", "lit", "kijk", "kijken", "keek", "look", "looking",
        "watch", "watching", "regard*", "vu", "zag", "saw",
        "seeing", "gezien",
    ),
    "vision_quality": (
        "wazig", "troebel", "blurry", "blurred", "blur", "flou", "floue", "trouble", "dubbel",
        "double", "zwart", "black", "noir", "donker", "dark", "sombre", "gordijn", "curtain",
        "rideau", "schaduw", "shadow", "ombre", "waas", "voile", "veil", "mist", "fog", "foggy",
        "brouillard", "grijs", "grey", "gray", "vlek", "blind", "aveugle", "vaag", "fuzzy", "hazy",
        "misty", "cloudy", "wolk", "nuage", "flou*", "blurr*", "wazige", "halve", "helft", "moitie",
        "half", "weg", "gone", "disparu", "dimmed", "shutter", "luik", "store", "blinds",
        "rolgordijn", "mist*", "brume*", "brumeux", "lost", "lose", "losing", "verloren", "kwijt",
        "perdu", "perte",
        "doubled", "doubling", "verdubbeld", "raar", "vreemd", "weird", "funny", "strange",
        "bizar*", "drole",
        "etrange*", "dedoubl*",
    ),
    "face_quality": (
        "scheef", "schuin", "hangt", "hangend", "afhangend*", "zakt", "droop*", "crooked",
        "lopsided", "sagg*", "uneven", "twisted", "tordu*", "travers", "deforme*", "tombe", "pend*",
        "penche*", "asymetri*", "fallen", "hanging", "slack", "frozen", "fige*", "verlamd*",
        "paraly*", "gevoelloos", "numb*", "engourdi*", "doof", "verdoofd", "vertrokken", "scheve",
        "raar", "vreemd", "weird", "funny", "strange", "bizar*", "drole", "anders", "tomb*",
        "parali*",
        "dentist*", "tandarts*", "verdoving", "anesthesi*", "anaesthe*", "novoca*", "piqure",
        "injection", "dropp*", "drop",
        "dribbl*", "drool*", "kwijl*", "bave*", "coulait", "coule", "liep", "loopt", "lekt",
        "lekte", "leak*", "wonky",
        "etrange*", "odd",
    ),
    "limb_quality": (
        "slap*", "zwak*", "krachteloos", "lam", "lamme", "verlamd*", "gevoelloos*", "verdoofd",
        "doof", "dood", "zwaar", "zware", "tintel*", "onhandig*", "weak*", "numb*", "heavy", "dead",
        "limp", "floppy", "clumsy", "useless", "paraly*", "tingl*", "asleep", "faible*", "lourd*",
        "engourdi*", "paralys*", "mort", "morte", "inerte", "molle", "mou", "endormi*", "fourmill*",
        "picot*", "maladroit*", "insensible", "raar", "vreemd", "strange", "weird", "funny",
        "bizar*", "drole", "sansforce", "slaapt", "prikkel*", "notmine", "watten", "cotton",
        "coton", "ouate", "rubber", "caoutchouc", "wool", "naalden", "needles", "aiguilles",
        "spelden", "zwakte", "uitval", "krachtverlies", "lood", "plomb", "lead", "blok", "beton",
        "concrete", "fourmis", "begaf*", "begav*", "begeef*", "begeven", "buckl*", "jelly",
        "pudding", "lache*", "heav*", "gave", "glip*", "glijd*", "slip*", "slid*", "echappe*",
        "glisse*", "schiet", "falling", "falls", "valt", "viel", "vallen", "tombent", "tomber",
        "sleept", "sleep", "traine*", "drag*", "parali*",
        "watte", "wattes", "uncontrolled", "tombe", "dentist*", "tandarts*", "verdoving",
        "anesthesi*", "anaesthe*", "novoca*", "missing",
        "zakt*", "zakte*", "folded", "folding", "zand", "sand", "sable", "catching", "haken",
        "accroche*", "uncontrolled",
        "plooi*", "echapp*", "etrange*", "strange",
    ),
    "function": (
        "werkt", "werken", "doet", "wil", "gaat", "luistert", "reageert", "beweegt", "bewegen",
        "work", "works", "working", "worked", "respond*", "listen*", "move", "moves", "moving",
        "marche", "fonctionne", "repond", "obeit", "bouge", "suit", "functioneert", "notworking",
        "cooperate*", "mee", "do", "does", "obey*", "gehoorzaam*", "porte", "portent", "tient",
        "tiennent", "draagt", "houdt", "supporte*", "hold", "smile", "lachen", "sourire", "sourit",
        "veulent", "veut", "willen",
        "whistle", "fluiten", "siffler", "sifflet",
    ),
    "motor": (
        "houden", "vasthouden", "hold", "holding", "tenir", "grijpen", "pakken", "vastpakken",
        "grip", "grab", "grasp", "saisir", "attraper", "prendre", "heffen", "optillen", "opheffen",
        "tillen", "omhoog", "lift", "lifting", "raise", "lever", "soulever", "bewegen", "move",
        "bouger", "remuer", "gebruiken", "use", "utiliser", "servir", "knopen", "dichtknopen",
        "toeknopen", "dichtdoen", "button", "buttons", "boutonner", "omdraaien", "omgedraaid",
        "draaien", "turn", "tourner", "schrijven", "write", "ecrire", "dragen", "carry", "porter",
        "snijden", "cut", "couper", "strikken", "tie", "lacer", "knijpen", "squeeze", "serrer",
        "open", "openen", "opendoen", "ouvrir", "typen", "type", "taper", "drinken", "eten",
        "manger", "boire", "poetsen", "brush", "zipper", "rits",
        "smeren", "nouer", "brosser", "fermer", "boutons", "form", "vormen", "former",
        "boven", "above", "dessus", "vast", "vastkrijgen",
    ),
    "walk": (
        "lopen", "loop", "stappen", "wandelen", "walk", "walking", "marcher", "staan", "stand",
        "standing", "debout", "opstaan", "rechtstaan", "rechtstaan", "overeind",
        "marchait", "marche", "liep", "loopt", "walked", "stoan",
        "partais", "partait", "ging", "went",
    ),
    "feel": (
        "voelen", "voel", "voelt", "feel", "feeling", "felt", "sentir", "sens", "sent", "gevoel",
        "sensation", "sensations", "gevoeld", "voelde", "voelden",
    ),
    "speak": (
        "praten", "praat", "spreken", "spreek", "spreekt", "zeggen", "zeg", "zegt", "uitspreken",
        "talk", "talking", "talks", "speak", "speaking", "say", "saying", "says", "parler", "parle",
        "parlait", "dire", "dis", "dit", "prononcer", "articuler", "articule", "babbelen",
        "klappen", "vertellen", "tell", "uitleggen", "explain", "expliquer", "said", "zei", "zegde",
        "disais", "disait", "sprak",
        "parlais", "parlait", "praatte",
    ),
    "speech_object": (
        "woord", "woorden", "word", "words", "mot", "mots", "zin", "zinnen", "sentence*", "phrase*",
        "spraak", "speech", "parole", "taal", "language", "langage", "stem", "voice", "voix",
        "tong", "tongue", "langue",
        "letters", "lettres", "letter",
    ),
    # Qualities of speech that are only ever said of a problem.
    "speech_strong": (
        "slurr*", "lall*", "brabbel*", "gibberish", "onverstaanbaar", "garbled", "jumbled",
        "pateuse", "pateux", "onduidelijk", "incomprehensible*", "dubbele", "dikke", "thick",
        "mumbl*", "bafouill*", "begai*", "wartaal", "nonsense", "onzin", "drunk", "dronken", "ivre",
        "saoul", "verkeerde", "verkeerd", "wrong", "faux", "fausse", "mauvais", "fout", "verwisse*",
        "mix*", "melange*", "bredouill*", "marmonn*", "mompel*",
        "zever", "onzin", "nonsens", "betises",
        "machais", "machait", "macher",
    ),
    # Ways of speaking that are a problem by themselves: "je bredouille", "hij lalt".
    "speech_verb": (
        "lall*", "lalt", "brabbel*", "bredouill*", "slurr*", "mompel*", "marmonn*", "bafouill*",
        "begai*", "mumbl*", "gibberish", "wartaal", "aphas*", "afas*", "dysarthr*",
        "krabbel*", "gribouill*", "scribbl*",
    ),
    # Calling a thing or a person by another name: "called the remote 'the banana'".
    "name_verb": ("called", "calls", "calling", "noemde", "noemt", "noemen", "appelle",
                  "appelait", "appele", "appelee"),
    # Dribbling from one side of the mouth is the face's sign, whatever word names the mouth.
    "drooling": ("bave", "bavais", "bavait", "baver", "drool*", "kwijl*", "dribbl*"),
    # "Only one side", "alleen de rechterkant": what is left when half is lost.
    "only": ("alleen", "only", "just", "seulement", "enkel", "uniquement", "oneside"),
    "speech_vague": (
        "raar", "vreemd", "strange", "weird", "funny", "odd", "bizar*", "drole", "anders", "slow",
        "traag", "lent", "lentement", "moeizaam", "confus*", "heavy", "lourde", "zwaar",
        "etrange*",
    ),
    "search": (
        "zoeken", "zoek", "zoekt", "cherche*", "search*", "looking", "find", "vinden", "vind",
        "vond", "trouver", "trouve", "komen", "komt", "kwamen", "come", "comes", "coming", "sortir",
        "sortent", "sort", "viennent", "vient", "uit", "eruit", "out",
        "sortaient", "sortait", "kwam",
        "zocht", "zochten", "searched", "cherchait", "cherchais",
    ),
    "understand": (
        "begrijpen", "begrijp", "begrijpt", "verstaan", "versta", "verstaat", "understand*",
        "comprendre", "comprends", "comprend", "comprenait", "comprenais",
        "verstond", "begreep", "understood", "compris",
        "verstoeg",
    ),
    "mean": ("mean", "bedoel", "bedoelde", "insteadof", "meant"),
    "headpain": (
        "hoofdpijn*", "headache*", "migraine*", "cephalee*", "maldetete", "hoofpijn", "hoofdpyn",
        "headake", "hedache", "headach", "headace",
    ),
    "head": ("hoofd", "head", "tete", "crane", "kop", "achterhoofd", "voorhoofd", "kop"),
    "pain": (
        "pijn", "pijnen", "zeer", "steek", "steken", "druk", "drukkend*", "knellend*", "beklemm*",
        "benauwd*", "pain", "pains", "ache", "aching", "hurts", "hurt", "hurting", "sore",
        "pressure", "tight", "tightness", "squeez*", "crushing", "heaviness", "heavy", "burning",
        "stabbing", "sharp", "douleur*", "mal", "serrement", "oppression", "poids", "pression",
        "brulure", "serre", "point", "pincement", "etau", "barre", "knelt", "drukt", "steekt",
        "brandt", "gewicht", "weight", "band", "strak", "beklem*", "*pijn", "pian", "pyn", "pjin",
        "feeling", "sensation", "gevoel", "sit", "sits", "sitting", "zit", "assis",
        "olifant", "elephant", "ecras*", "crush*", "tient", "holding", "clutch*", "vasthouden",
        "dichtgekn*", "knijp*", "geknepen",
    ),
    "chest": (
        "borst", "borstkas", "borstbeen", "chest", "poitrine", "thorax", "sternum", "hart", "heart",
        "coeur", "torse", "borststreek", "thoracique", "toracique", "thoracic", "thorac*", "torac*",
        "breastbone", "borstbeen",
    ),
    "severe": (
        "plots*", "ineens", "opeens", "hevig*", "erg", "erge", "ergste", "zware", "zwaar",
        "verschrikkelijk*", "vreselijk*", "ondraaglijk*", "barst*", "enorm*", "explod*", "knal*",
        "afschuwelijk*", "soudain*", "brutal*", "violent*", "terrible*", "atroce*", "horrible*",
        "insupportable*", "intense*", "pire", "coup", "tonnerre", "explos*", "poignard",
        "epouvantable*", "sudden*", "severe*", "worst", "awful", "excruciating", "unbearable",
        "splitting", "thunderclap", "extreme*", "blinding", "agoni*", "klap", "slag", "mokerslag",
        "hamer*", "blow", "hit", "struck", "hammer*", "marteau", "massue", "donderslag", "thunder",
        "bliksem", "lightning", "ooit", "ever", "vie", "leven", "life", "never", "nooit", "jamais",
        "killing", "ontploft", "splijt", "eclate*", "exploding", "pounding", "bonk*",
        "huilen", "crying", "cried", "pleur*", "schoot", "shot", "shooting", "unbearable",
    ),
    "faint": (
        "flauw", "flauwgevallen", "flauwte", "flauwvallen", "bewusteloos", "bewustloos", "onwel",
        "fainted", "faint", "fainting", "unconscious", "blackout", "collapsed", "collapse",
        "evanoui*", "syncope", "malaise", "weggezakt", "weggevallen", "bewustzijnsverlies",
                "effondr*", "zoned", "response",
        "gezakt", "ineengezakt", "flauwgevallen",
    ),
    "confused": (
        "verward", "verwardheid", "confuus", "confused", "confusion", "disoriented",
        "disorientated", "disorientation", "confus", "confuse", "desoriente*", "desorientation",
        "verdwaald", "disoriente*",
    ),
    "recognise": ("herkent", "herkende", "herkennen", "herken", "recogni*", "reconnai*",
                  "reconnu*"),
    # Pain words that name their body part: "rugpijn", "backache".
    "body_pain": (
        "*pijn", "*ache", "*aches", "maldetete", "headache*", "migraine*", "cephalee*", "maldedos",
        "maldeventre", "maldegorge",
    ),
    # Words that are a sign by themselves.
    "chest_pain_word": ("borstpijn", "hartpijn", "angina", "infarct", "infarctus"),
    "leg_loss": ("cantstand",),
    "balance_noun": ("evenwicht*", "equilibre", "balance"),
    "drop": ("drop", "dropping", "drops", "dropped", "lache"),
    "stroke": (
        "beroerte", "cva", "avc", "tia", "ait", "stroke", "herseninfarct", "hersenbloeding",
        "attaque", "infarct", "infarctus", "hartinfarct",
    ),
    "drift": (
        "veer*", "drift*", "pull*", "trek", "trekt", "zwalk*", "zigzag*", "bots*", "bump*",
        "cogne*", "tire", "lean*", "derive*", "helt", "hel", "penche*", "zwalp*", "travers",
        "scheef", "schuin", "crooked", "zigzag*",
    ),
    # Participles that are a fall only with the person who fell (see sign_rules).
    "fallen": ("gevallen", "omgevallen", "neergevallen", "tombe", "tombee", "fallen", "falls",
        "valt"),
    "lost": (
        "lost", "lose", "losing", "loss", "verloren", "verlies", "kwijt", "perdu", "perte", "perds",
        "weg", "gone", "disparu", "off", "slecht", "bad", "poor", "mauvais", "problem*", "probleem",
        "problemen", "stoornis",
    ),
    # A fall, whatever the words around.
    "fall": (
        "fellover", "onderuit", "valpartij", "gestruikeld", "struikel*", "tripped", "trebuche*",
    ),
    "floor": ("grond", "vloer", "floor", "ground", "sol", "terre"),
    "respond": (
        "reageert", "reageerde", "antwoordde", "antwoordt", "responded", "respond", "responding",
        "answer", "answered", "answering", "repond*", "reagi*", "reagissait",
        "response", "reponse",
    ),
    "meter": (
        "meter", "toestel", "apparaat", "lecteur", "appareil", "glucometer", "glucometre",
        "machine", "device", "display", "scherm", "ecran", "affiche", "says", "zegt", "geeft",
        "gaf", "showed", "shows", "toont", "marque", "indique",
    ),
    # Words that are dizziness or unsteadiness by themselves ("evenwicht" is not).
    "dizzy": (
        "duizel*", "duzelig", "draaierig*", "vertig*", "etourdi*", "dizz*", "vertigo",
        "lightheaded", "wankel*", "onvast*", "unsteady", "wobbly", "desequilibr*", "titub*",
        "spin*", "dizy", "vertije",
        "*duizelig", "*duizeligheid",
    ),
    # Changes a nurse would want to hear of, when no warning sign is named (attention).
    "change": (
        "pijn", "zeer", "pain", "hurts", "hurt", "hurting", "sore", "ache*", "aching", "mal",
        "douleur*", "gezwollen", "dik", "dikke", "swollen", "gonfle*", "stijf", "stiff", "raide",
        "moe", "tired", "fatigue*", "vermoeid", "slechter", "worse", "pire", "erger", "rood", "red",
        "rouge", "jeuk", "itch*", "demange*", "kramp*", "cramp*", "crampe*", "brandt", "burning",
        "brule", "trilt", "tril*", "shaking", "shak*", "trembl*", "beeft", "anders", "different",
        "changed", "veranderd", "blauw", "bruise*", "bleu", "bleus", "koud", "cold", "froid",
        "steek", "prik*", "ontstoken", "infected", "infecte*", "wond", "wound", "plaie", "blessure",
        "injury", "gekwetst", "bloeding", "bleeding", "saigne*", "uitslag", "rash", "zwelling",
        "swelling", "gonflement", "verstuikt", "sprained", "gebroken", "broken", "casse*",
        "lastvan", "problem*", "probleem", "problemen", "strange", "weird", "raar", "vreemd",
        "bizar*", "tintel*", "race*", "racing", "bonkt", "palpit*", "rough", "slecht", "bad",
        "traan*", "watery", "water", "lourd*", "zwaar", "heavy", "klop*", "throb*", "*pijn",
        "piqu*", "enfle*", "killing", "worse", "swell*", "zwel*", "bobo",
    ),
    # Body parts and senses for attention, beyond those of the warning signs.
    "body": (
        "rug", "back", "dos", "nek", "neck", "cou", "nuque", "schouder", "schouders", "shoulder",
        "shoulders", "epaule", "epaules", "heup", "hip", "hanche", "enkel", "ankle", "cheville",
        "buik", "belly", "stomach", "tummy", "ventre", "estomac", "maag", "teen", "tenen", "toe",
        "toes", "orteil", "orteils", "elleboog", "elbow", "coude", "oor", "oren", "ear", "ears",
        "oreille", "oreilles", "neus", "nose", "nez", "keel", "throat", "gorge", "tand", "tanden",
        "tooth", "teeth", "dent", "dents", "huid", "skin", "peau", "spier", "spieren", "muscle*",
        "gewricht*", "joint*", "articulation*", "kuit", "calf", "mollet", "dij", "thigh", "cuisse",
        "gehoor", "hearing", "ouie", "smaak", "taste", "gout", "reuk", "smell", "odorat", "hoofd",
        "head", "tete", "hart", "heart", "coeur", "borst", "chest", "poitrine", "blaas", "bladder",
        "vessie", "bil", "billen", "fesse", "lies", "aine", "groin", "ankles", "knees", "wrists",
        "elbows", "hips", "feet", "legs", "arms", "hands", "fingers", "voetjes", "handjes",
        "teentjes",
    ),
}
