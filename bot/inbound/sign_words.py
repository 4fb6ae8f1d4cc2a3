"""How patients describe stroke warning signs and chest pain, in nl, fr and en.

The patterns run on text folded by `bot.inbound.text.fold` (lower case, no accents, `oe` for
`œ`), so `Pijn op de BORST` and `douleur thoracique` need one spelling each; common typos are
spelled out (`hoofpijn`, `vertije`, `chest pian`). `gap(n)` allows up to n words in between
("mijn arm is zo slap") but never a negation or a "but": "my arm is not weak" is no sign.
Each sign lists what a careful nurse would call that sign; wider is safer than narrower.
"""

from __future__ import annotations

NEGATIONS = (
    r"not|no|never|none|nor|without|niet|geen|nooit|zonder|niks|niets|noch|pas|sans|aucune?"
    r"|jamais|ni|ne|rien|nee|neen|non|nope|[a-z]+n't|n'[a-z]+"
)
BREAKS = r"but|maar|mais|toch|wel|however|though|although|alleen|only|sauf|except|behalve"


def gap(words: int) -> str:
    """Up to `words` words between two parts of a phrase, none a negation or a 'but'."""
    return rf"(?:\s+(?!(?:{NEGATIONS}|{BREAKS})\b)[\w']+){{0,{words}}}?\s+"


_MY = r"(?:(?:mijn|m'n|mn|de|het|mon|ma|le|la|my|the|his|her)\s+)?"
_SIDE = r"(?:(?:linker|rechter|left|right|gauche|droite)\s?)?"

# ---- arm (and one-sided weakness) ------------------------------------------------------
_ARM = rf"{_SIDE}(?:arm|armen|hand|handen|vingers|bras?|mains?|doigts|arms|hands|fingers)"
_WEAK = (
    r"slap\w*|zwak\w*|krachteloos|lam|lamme|verlamd\w*|gevoelloos|verdoofd|doof|dood|zwaar\w*"
    r"|tintel\w*|slaapt|wil niet (?:meer )?mee|doet niet (?:meer )?mee|luistert niet|hangt"
    r"|valt weg|geen kracht|raar|vreemd|bizarr?e?|weird|strange|funny"
    r"|geen gevoel"
    r"|faible\w*|lourde?s?|engourdi\w*|paral[iy][sz]\w*|mort|morte|inerte|sans force|molle?|mou"
    r"|ne repond (?:plus|pas)|endormi\w*|fourmill\w*|picot\w*"
    r"|weak\w*|numb\w*|heavy|dead|limp|paraly[sz]ed|useless|tingl\w*|floppy|asleep"
    r"|won'?t move|wont work|not working|gave out|no strength|no feeling"
)
_BODY_SIDE = (
    r"linkerkant|rechterkant|linkerzijde|rechterzijde|ene kant|een kant|halve lichaam"
    r"|cote (?:gauche|droit)|moitie du corps|un cote|left side|right side|one side"
)
ARM = (
    rf"\b{_ARM}\b{gap(3)}(?:{_WEAK})\b",
    rf"\b(?:slappe|zwakke|lamme|verlamde|gevoelloze|dove|weak|numb|limp|dead|heavy|useless"
    rf"|paraly[sz]ed)\s+{_ARM}\b",
    rf"\b(?:faiblesse|engourdissement|paralysie|fourmillements?|weakness|numbness|tingling"
    rf"|paralysis|verlamming|krachtverlies|uitval)\s+(?:\w+\s+){{0,2}}{_MY}{_ARM}\b",
    rf"\b(?:kan|kon|krijg|kreeg)\s+{_MY}{_ARM}\s+(?:\w+\s+)?niet\s+(?:meer\s+)?"
    r"(?:op\s?tillen|op\s?heffen|heffen|omhoog|bewegen|gebruiken|optillen)",
    r"\b(?:kan|kon)\s+(?:\w+\s+)?niet\s+(?:meer\s+)?(?:op\s?tillen|op\s?heffen|omhoog)",
    rf"\b(?:geen|weinig)\s+kracht\s+(?:meer\s+)?(?:in|aan)\s+{_MY}{_ARM}\b",
    r"\blaat\s+(?:alles|dingen|mijn \w+|kopjes?|de \w+)\s+vallen",
    rf"\b(?:peux|peut|arrive|sais)\s+(?:pas|plus)\s+(?:a\s+)?(?:lever|bouger|soulever|"
    rf"utiliser)\s+{_MY}{_ARM}\b",
    rf"\b(?:n'ai\s+|n'a\s+)?(?:plus|pas)\s+de\s+force\s+dans\s+{_MY}{_ARM}\b",
    r"\blache\s+(?:tout|les objets|mon verre|ma tasse)",
    rf"\b(?:can'?t|cannot|can not|couldn'?t|unable to)\s+(?:lift|raise|move|use|hold up)\s+"
    rf"{_MY}{_ARM}\b",
    rf"\bno\s+strength\s+in\s+{_MY}{_ARM}\b",
    rf"\b(?:voel|voelt)\s+{_MY}{_ARM}\s+niet(?:\s+meer)?|\bsens\s+(?:plus|pas)\s+{_MY}{_ARM}\b",
    rf"\b(?:can'?t|cannot|can not|couldn'?t)\s+feel\s+{_MY}{_ARM}\b",
    r"\b(?:keep\s+)?dropping\s+(?:things|everything|my cup|stuff)",
    rf"\b(?:{_BODY_SIDE})\b{gap(3)}(?:{_WEAK})\b",
    r"\bhalf\s?zijdig\w*|\bhemipleg\w*|\bhemipar\w*",
    rf"\b{_ARM}\s+(?:\w+\s+)?(?:n'a|a|heeft|has)\s+(?:plus|pas|aucune|geen|no)\s+(?:de\s+)?"
    r"(?:force|kracht|strength|gevoel|feeling)",
)

# ---- leg -------------------------------------------------------------------------------
_LEG = rf"{_SIDE}(?:benen|voet|voeten|jambes?|pieds?|legs?|foot|feet|knee)"
_WEAK_NL = (
    r"slap\w*|zwak\w*|krachteloos|lam|verlamd\w*|gevoelloos|verdoofd|doof|dood|zwaar\w*"
    r"|tintel\w*|slaapt|wil niet mee|doet niet mee|sleept|knikt|zakt door|begaf|begeeft"
)
LEG = (
    # "been" is a Dutch leg and an English verb: "I have been weak" is no leg.
    rf"\b{_SIDE}been\b{gap(3)}(?:{_WEAK_NL})\b",
    rf"\b{_LEG}\b{gap(3)}(?:{_WEAK}|sleept|knikt|zakt door|begaf|begeeft|se derobe\w*"
    r"|lache|traine|gave way|gives way|buckled|dragging|drags)\b",
    rf"\b(?:slappe|zwakke|lamme|verlamde|gevoelloze|weak|numb|limp|dead|heavy)\s+{_LEG}\b",
    rf"\b(?:faiblesse|engourdissement|paralysie|weakness|numbness|paralysis|verlamming)\s+"
    rf"(?:\w+\s+){{0,2}}{_MY}{_LEG}\b",
    rf"\bsleep\s+(?:met\s+)?{_MY}{_LEG}\b",
    rf"\b(?:voel|voelt)\s+{_MY}{_SIDE}(?:been|benen|voet)\s+niet(?:\s+meer)?",
    rf"\bsens\s+(?:plus|pas)\s+{_MY}{_LEG}\b|\b(?:can'?t|cannot|can not)\s+feel\s+{_MY}{_LEG}\b",
    rf"\b{_LEG}\s+ne\s+(?:me\s+)?(?:portent|porte|tiennent|tient)\s+plus",
    rf"\btrain\w*\s+{_MY}{_LEG}\b",
    rf"\bdragg?(?:ing)?\s+{_MY}{_LEG}\b",
    r"\b(?:kan|kon)\s+(?:\w+\s+)?niet\s+(?:meer\s+)?(?:goed\s+)?(?:lopen|stappen)",
    r"\b(?:peux|peut|arrive|sais)\s+(?:pas|plus)\s+(?:a\s+)?marcher",
    r"\b(?:can'?t|cannot|can not|couldn'?t|unable to)\s+walk\b(?!\s+far)",
    r"\bfoot\s+drop\b",
)

# ---- face ------------------------------------------------------------------------------
_FACE = (
    r"mond|mondhoek|gez[ie]?[cg]h?t|gesicht|gezigt|lip|wang|lach|glimlach"
    r"|bouche|visage|vizage|figure|levre|joue|sourire|coin de la bouche"
    r"|face|mouth|smile|lip|cheek"
)
_FACE_WRONG = (
    r"scheef|schuin|hangt|hangen|zakt|afhangend\w*|verlamd\w*|slap|gevoelloos|verdoofd|doof"
    r"|dood|trekt|vertrokken|raar|anders"
    r"|de\s+trav[ae]rs?|tordue?|deformee?|qui tombe|tombe|penche\w*|paral[iy][sz]\w*|qui tire"
    r"|tire|tiree"
    r"|engourdi\w*|asymetrique|fige\w*|insensible|molle?"
    r"|droop\w*|dropp\w*|crooked|lopsided|numb\w*|paraly[sz]ed|sagg\w*|twisted|uneven|fallen"
    r"|hanging|slack|weird|funny|frozen"
)
FACE = (
    r"\b(?:sch?e[vf]e?|sceve|schuine|scheefe?|afhangende)\s+(?:mond|mondhoek|gez[ie]?[cg]h?t"
    r"|lach|glimlach)\b",
    rf"\b(?:{_FACE})\b{gap(3)}(?:{_FACE_WRONG})\b",
    rf"\b(?:droop\w*|crooked|lopsided|numb|twisted|uneven|saggy|slack)\s+(?:{_FACE})\b",
    r"\b(?:verlamming|uitval)\s+(?:\w+\s+){0,2}(?:gez[ie]?[cg]h?t|mond)\b",
    r"\baangezichtsverlamming|\bparal[iy][sz]ie\s+(?:faciale|du visage|de la face)",
    r"\b(?:halve|helft van (?:mijn|het))\s+gez[ie]?[cg]h?t|\bmoitie du visage",
    r"\bfacial\s+(?:droop\w*|numbness|paralysis|weakness)|\bone side of (?:my|the) face",
    r"\bbell'?s palsy",
)

# ---- eyes ------------------------------------------------------------------------------
EYES = (
    r"\bdubbel\s?(?:zien|zicht|beeld)|\bzie\s+(?:alles\s+)?(?:dubbel|wazig|troebel|zwart)",
    r"\balles\s+(?:is\s+)?dubbel|\bkan\s+(?:\w+\s+)?niet\s+meer\s+lezen",
    r"\bwazig\s+(?:zien|zicht|beeld)|\balles\s+(?:is\s+)?wazig",
    r"\bzicht\s+(?:is\s+)?(?:\w+\s+)?(?:wazig|weg|troebel|slecht|vaag|minder|zwart)",
    r"\b(?:zie|zag)\s+(?:\w+\s+)?(?:niks|niets|bijna niets)\b"
    r"(?!\s+(?:bijzonders|speciaals|geks|raars|mis|verkeerd|nieuws))",
    r"\b(?:kan|kon)\s+(?:\w+\s+){0,2}niet\s+(?:meer\s+)?(?:goed\s+)?zien",
    rf"\b(?:oog|ogen)\b{gap(3)}(?:wazig|blind|niks|niets|dubbel|zwart|donker|gordijn|troebel)",
    r"\bzwart\s+voor\s+(?:mijn|m'n|de)\s+ogen|\bgordijn\s+voor",
    r"\bgezichtsveld\w*\s+(?:\w+\s+)?(?:weg|kwijt|zwart|half|donker|wazig)|\buitval\s+van\s+"
    r"(?:mijn\s+|het\s+)?gezichtsveld",
    r"\bblind\b",
    r"\b(?:ne\s+|n')?vois\s+(?:tout\s+)?(?:double|flou|trouble|noir|plus rien|plus bien|plus net"
    r"|plus de (?:cet|mon|l')\s*oeil|plus\s*(?:$|[.!;,]))",
    r"\bvois\s+(?:rien|mal|pas bien)\b(?!\s+(?:de|d'|comment|pourquoi|ce que|le probleme))",
    r"\b(?:vision|vue)\s+(?:est\s+)?(?:double|floue?|trouble|brouillee|baisse\w*|a baisse)",
    rf"\b(?:oeil|yeux)\b{gap(3)}(?:voit plus|voit rien|aveugle|flou|noir|trouble|double)",
    r"\bvoile\s+noir|\baveugle\w*|\btrouble\w*\s+(?:de\s+la\s+vue|visuel\w*|de\s+la\s+vision)",
    r"\btout\s+(?:est\s+)?flou|\bdiplopie",
    r"\bdouble\s+vision|\bseeing\s+double|\bsee\s+(?:double|two of everything)",
    r"\bblurr?(?:y|ed)\s+(?:vision|sight|eyes?)|\beverything\s+(?:is\s+)?blurr?(?:y|ed)",
    r"\bvision\s+(?:is\s+|went\s+|was\s+|goes\s+|going\s+|has\s+gone\s+)?(?:blurr?(?:y|ed)|gone"
    r"|dark|black|fuzzy|doubled|strange|funny)",
    r"\b(?:can'?t|cannot|can not|couldn'?t|unable to)\s+see\b(?!\s+(?:why|how|the point|what"
    r"|you|him|her|them|anyone|any\b|a problem|the (?:doctor|gp|nurse)|my (?:doctor|gp)"
    r"|a (?:doctor|gp)))",
    r"\blost\s+(?:my\s+|the\s+)?(?:sight|vision)|\bwent\s+blind|\bblind\s+in\b",
    r"\btrouble\s+seeing|\bcurtain\s+over",
    rf"\beyes?\b{gap(3)}(?:blurr\w*|dark|black|went dark|double)\b",
)

# ---- speech ----------------------------------------------------------------------------
_SPEECH_WRONG = (
    r"raar|vreemd|onduidelijk|moeilijk|slecht|anders|dubbel|wartaal|gek|krom|lallend|traag"
    r"|mal|bizarre?|bizzare|drole|difficilement|de travers|bizarrement|lentement|pateux"
    r"|slurr\w*|strange|funny|weird|odd|garbled|jumbled|mixed up|wrong|off|thick"
)
SPEECH = (
    rf"\b(?:pra+t\w*|spreek|spreken|spraak\w*|spaak)\b{gap(2)}(?:{_SPEECH_WRONG})\b",
    r"\b(?:kan|kon)\s+(?:\w+\s+){0,2}niet\s+(?:meer\s+)?(?:goed\s+)?(?:praten|spreken"
    r"|uit mijn woorden|op (?:mijn|de) woorden komen)",
    r"\b(?:kan|kon|vind|vond)\s+(?:\w+\s+){0,2}woorden\s+niet\s+(?:meer\s+)?(?:vinden|zeggen"
    r"|uitspreken)",
    r"\bwoorden\s+(?:komen|willen)\s+(?:\w+\s+)?niet\s+(?:meer\s+)?(?:uit|eruit)",
    r"\b(?:dubbele tong|lall\w*|lal(?:t|de|den)|brabbel\w*|moeilijk (?:praten|spreken)"
    r"|kom niet uit mijn woorden)\b",
    r"\b(?:praten|spreken)\s+gaat\s+(?:\w+\s+)?(?:moeilijk|slecht|niet)",
    r"\b(?:verstaan|begrijpen)\s+(?:mij|me)\s+niet\s+(?:meer|als ik praat)",
    r"\b(?:begrijp\w*|versta\w*)\s+(?:niet|niets|niks)\s+(?:meer\s+)?wat\s+ik\s+zeg",
    r"\brare\s+(?:dingen|woorden)\s+(?:zeg|zegt|zeggen)|\bzeg\w*\s+(?:\w+\s+)?(?:rare|verkeerde"
    r"|vreemde)\s+(?:dingen|woorden)",
    r"\bvind\w*\s+(?:mijn|de)\s+woorden\s+niet|\bkrijg\w*\s+(?:geen|bijna geen)\s+woord\w*\s+"
    r"(?:uit|over|meer)",
    r"\bcompren\w*\s+(?:pas|plus|rien)\s+(?:a\s+)?ce\s+que\s+je\s+(?:dis|raconte)",
    r"\b(?:mal|difficult\w*|peine)\s+a\s+trouver\s+(?:mes|les)\s+mots",
    r"\b(?:don'?t|can'?t|cannot|doesn'?t)\s+understand\s+what\s+i'?m\s+saying",
    r"\bparl\w*\b" + gap(2) + rf"(?:{_SPEECH_WRONG}|n'importe comment)\b",
    r"\b(?:du\s+mal|difficult\w*|peine)\s+(?:a|pour|de)\s+parler",
    r"\b(?:peux|peut|arrive|sais)\s+(?:pas|plus)\s+(?:a\s+)?parler",
    r"\bmots?\s+(?:ne\s+)?(?:sortent|sort|viennent|vient)\s+(?:pas|plus)",
    r"\b(?:trouve|trouver)\s+(?:pas|plus)\s+(?:mes|les)\s+mots|\bcherche\s+(?:mes|les)\s+mots",
    r"\bbafouill\w*|\bbega[iy]\w*|\belocution|\blangue\s+(?:pateuse|lourde|engourdie)",
    r"\b(?:on|ils|elles?|personne)\s+(?:ne\s+)?(?:me\s+)?compren\w*\s+plus",
    r"\bparole\w*\s+(?:\w+\s+)?(?:difficile|bizarre|confuse|brouillee)|\baphasi\w*",
    r"\bslurr\w*|\bsl[eu]r+ed\b",
    r"\b(?:speech|speach|voice|talking|words)\s+(?:is\s+|are\s+|sounds?\s+)?(?:slurr\w*"
    r"|strange|funny|weird|odd|garbled|jumbled|mixed up|wrong|off|thick)",
    r"\b(?:can'?t|cannot|can not|couldn'?t|unable to)\s+(?:speak|talk|get (?:my|the) words"
    r" out|find (?:my|the) words)(?!\s+(?:now|right now|at the moment|to (?:thank|express"
    r"|describe|say thank))\b)",
    r"\b(?:trouble|difficulty|hard|struggling|problems?)\s+(?:with\s+)?(?:speaking|talking"
    r"|to speak|to talk|getting (?:my\s+)?words out|finding (?:my\s+)?words|speech)",
    r"\bwords\s+(?:won'?t|wont|don'?t|dont|will not|do not)\s+come(?:\s+out)?",
    r"\bwords\s+(?:are\s+)?(?:coming|come|came)\s+out\s+(?:all\s+)?(?:wrong|funny|jumbled"
    r"|garbled|mixed up|strange|weird)",
    r"\btalk(?:ing)?\s+funny|\bsound(?:ing|s)?\s+drunk|\bmixing up\s+(?:my\s+)?words",
    r"\bgibberish|\b(?:nobody|no one)\s+understands\s+me\b(?!\s+(?:like|as))",
    r"\b(?:they|people|she|he)\s+(?:can'?t|cannot|don'?t|doesn'?t)\s+understand\s+me",
    r"\btongue\s+(?:feels\s+)?(?:thick|heavy|numb)",
)

# ---- chest pain ------------------------------------------------------------------------
_CHEST_NL = r"(?:borst|borstkas|borts|bors|brost|borstbeen|hart)\b"
_CHEST_FR = r"(?:poit?r[iy]n+e|poitine|thorax|sternum)\b"
CHEST_PAIN = (
    r"\b(?:p[iy]j?n\w*|pyn|pjin|steek|steken|druk|drukkend\w*|knellend\w*|beklemm\w*"
    r"|benauwd\w*|zwaar gevoel|brand\w*|kramp)\s+(?:\w+\s+){0,3}(?:op|in|aan|rond|achter)\s+"
    rf"(?:de|mijn|m'n|mn|het)?\s*{_CHEST_NL}",
    r"\bborst\w*\s?(?:p[iy]j?n|pyn)\w*|\bhartpijn|\bborst\s+(?:\w+\s+){0,2}(?:doet\s+(?:zeer|pijn)"
    r"|knelt|drukt|brandt|steekt|strak|benauwd|zwaar)",
    r"\bbeklemmend\w*|(?<!weer is )(?<!het is )(?<!weer )\bbenauwd(?:e|heid)?\b"
    r"(?!\s+(?:weer|dag|warm|vandaag buiten))|\bhartaanval"
    r"|\binfarct\w*",
    r"\b(?:douleurs?|doleurs?|douleure|mal|serrement|oppression|poids|pression|brulure"
    r"|point|barre|etau|gene|pincement|serre|sert|serrer)\s+(?:\w+\s+){0,3}"
    rf"(?:a|dans|sur|de|au niveau de)\s+(?:la\s+|ma\s+|le\s+|mon\s+)?{_CHEST_FR}",
    r"\b(?:douleurs?|doleurs?|douleure|serrement|point|poids|pression|oppression)\s+"
    r"(?:\w+\s+){0,2}(?:au|du|sur le)\s+coeur",
    r"\b(?:douleurs?|doleurs?|douleure|oppression)\s+(?:t(?:h)?orac\w*|cardiaque)",
    rf"\b{_CHEST_FR}\s+(?:\w+\s+){{0,2}}(?:serree|me serre|fait mal|comprimee|oppressee|brule"
    r"|douloureuse|lourde|qui serre|me brule)",
    r"\binfarctus|\bcrise cardiaque|\bangine de poitrine|\bangina\b",
    r"\bchest\s*(?:pain|pian|pains|ache|hurts?|hurting|tight\w*|pressure|discomfort|heavy"
    r"|heaviness|burning|squeez\w*|feels\s+(?:tight|heavy|funny|weird|strange))",
    r"\b(?:pain|pains|pian|ache|aching|pressure|tightness|tight|heaviness|heavy|squeez\w*"
    r"|crushing|weight|burning|discomfort|feeling|sensation|hurts?|hurting|sore|stabbing"
    r"|sharp)\s+(?:\w+\s+){0,3}(?:in|on|across|around|of)\s+(?:(?:my|the)\s+)?chest",
    r"\btight\s+chest|\bheart\s+(?:pain|attack)|\bcrushing\s+(?:pain|feeling)",
)

# ---- sudden severe headache ------------------------------------------------------------
_HEAD = (
    r"ho+f?d?\s?p[iy]j?n\w*|hoofdpyn|koppijn|pijn\s+(?:in|aan)\s+(?:mijn|m'n|het)\s+hoofd"
    r"|migraine\w*|(?:mal|maux|mals)\s+(?:de|a|au)\s+(?:la\s+)?(?:tete|crane)|cephalee\w*"
    r"|head\s?aches?|headake|hedache|headach|headace|head\s+pain|pain in (?:my|the) head"
)
_NOT_SO = r"(?<!\bniet )(?<!\bnot )(?<!\bpas )(?<!\bgeen )(?<!\bno )"
_SEVERE = (
    r"plots\w*|plotseling\w*|ineens|opeens|hevig\w*|heel erg|zo erg|erge|ergste|zware|zwaar"
    r"|verschrikkelijk\w*|vreselijk\w*|ondraaglijk\w*|barst\w*|enorme?|nooit zo|nog nooit"
    r"|explod\w*|knal\w*|als een mes|afschuwelijk\w*|niet te harden|onhoudbaar"
    r"|soudain\w*|brutal\w*|violent\w*|terrible\w*|atroce\w*|horrible\w*|insupportable\w*"
    r"|intense\w*|enorme|pire|jamais eu|d'un coup|tout a coup|coup de tonnerre|tres forte?s?"
    r"|si forte?s?|explos\w*|coup de poignard|comme jamais|epouvantable\w*"
    r"|sudden\w*|severe\w*|worst|terrible|awful|excruciating|unbearable|splitting|thunderclap"
    r"|out of nowhere|really bad|very bad|so bad|extreme\w*|intense|blinding|never had"
    r"|nooit tevoren|als nooit|worst ever"
    r"|like never before|agoni\w*|horrible|killing me"
)
HEADACHE = (
    rf"\b(?:{_HEAD})\b{gap(5)}{_NOT_SO}(?:{_SEVERE})\b",
    rf"\b{_NOT_SO}(?:{_SEVERE})\b{gap(3)}(?:{_HEAD})\b",
    r"\bhoofd\s+(?:\w+\s+)?(?:ontploft|barst|splijt)|\btete\s+(?:\w+\s+){0,2}(?:exploser"
    r"|explose|eclater|eclate)|\bhead\s+(?:is\s+)?(?:exploding|splitting|about to explode"
    r"|killing me|pounding)",
)

# ---- balance ---------------------------------------------------------------------------
BALANCE = (
    r"\bdu[iy]?e?[zs]e?li\w*|\bduizel\w*|\bdraaierig\w*|\bdraaiduizel\w*|\balles\s+draait\b(?!\s+om\b)",
    r"\b(?:kamer|hoofd|wereld)\s+(?:\w+\s+)?draait|\blicht\s+in\s+(?:mijn|m'n|het)\s+hoofd",
    rf"\bevenwicht\w*\b{gap(3)}(?:kwijt|verloren|weg|problemen|slecht|stoornis)",
    r"\b(?:verlies|verloor|verloren|kwijt)\s+(?:\w+\s+){0,2}evenwicht|\bevenwichts(?:stoornis"
    r"|problem)\w*",
    r"\b(?:ben|was|bijna|gisteren|vandaag|vanmorgen|vannacht|(?:man|vrouw|moeder|vader|mama"
    r"|papa|hij|zij|ze)\s+is)\s+(?:\w+\s+){0,3}(?<!slaap )gevallen\b",
    r"\bik val\b(?!\s+(?:\w+\s+)?(?:in slaap|af|mee))|\bomgevallen|\bonderuit\s+gegaan",
    r"\bval\s+(?:steeds|telkens|vaak|om)\b(?!\s+(?:\w+\s+)?in slaap)",
    r"\b(?:blijf|bleef|ga|ging|dreig\w*|bijna)\s+(?:\w+\s+){0,2}(?:om\s+te\s+)?"
    r"(?<!slaap )vallen\b",
    r"\bwankel\w*|\bzwalk\w*|\bwiebelig|\bonvast\w*",
    r"\b(?:kan|kon)\s+(?:\w+\s+)?niet\s+(?:meer\s+)?(?:recht\s+)?(?:staan|blijven staan)",
    r"\bloop\s+(?:\w+\s+)?(?:scheef|als een dronk\w*|als dronken)",
    r"\bv[ea]rti[gj]\w*|\betourdi\w*|\btete\s+(?:qui\s+)?tourne|\btout\s+tourne",
    r"\btete\s+me\s+tourne|\bdesequilibr\w*|\btitub\w*|\bvacill\w*",
    r"\b(?:perdu|perte|perds|perd)\s+(?:de\s+|d'|l'|mon\s+)?\s*equilibre",
    r"(?<!tension )(?<!pression )(?<!glycemie )(?<!sucre )(?<!taux )"
    r"\b(?:suis|est|etais)\s+(?:\w+\s+){0,2}tombee?s?\b"
    r"(?!\s+(?:malade|amoureu\w*|sur|en panne|a l'eau|bien|dessus))",
    r"\bje tombe\b(?!\s+(?:de sommeil|bien|malade|d'accord|amoureu\w*))",
    r"\b(?:fait|faite|eu)\s+(?:une\s+)?(?:petite\s+)?chute\b",
    r"\b(?:tiens|tient)\s+(?:plus|pas)\s+debout|\binstable sur|\bje suis instable",
    r"\bdizz\w*|\bdizy\b|\bvertigo|\blight\s?-?\s?headed\w*",
    r"\b(?:lost|lose|losing|loss of)\s+(?:my\s+|the\s+)?balance|\boff\s+balance|\bunsteady",
    r"\bbalance\s+(?:is\s+)?(?:off|gone|bad|poor|terrible|problems?)|\bwobbly",
    r"\b(?:room|world|everything|head)\s+(?:is\s+|was\s+|keeps\s+|kept\s+)?spinning"
    r"|\bspinning\s+(?:room|head)",
    r"\b(?:going to|gonna|about to)\s+fall\b|\b(?:nearly|almost)\s+fell\b",
    r"\bi\s+fell\b(?!\s+(?:asleep|ill|for))|\b(?:had|have)\s+a\s+fall\b|\bkeep\s+falling",
    r"\bfell\s+(?:over|down)|\bfall(?:ing)?\s+over|\bstagger\w*",
    r"\b(?:can'?t|cannot|can not)\s+(?:stand\s+up|stand on my (?:own|legs|feet)"
    r"|keep my balance|walk straight)\b",
)

SIGN_PATTERNS: dict[str, tuple[str, ...]] = {
    "balance": BALANCE,
    "eyes": EYES,
    "face": FACE,
    "arm": ARM,
    "leg": LEG,
    "speech": SPEECH,
    "chest_pain": CHEST_PAIN,
    "headache": HEADACHE,
}
