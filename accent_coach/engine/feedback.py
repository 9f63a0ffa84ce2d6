"""How to fix each error: articulation tips and minimal pairs from a curated table.

Lookup order for a substitution expected→heard: the exact pair, the pair in the
other direction's table entry for the expected phone, then a generic tip built
from the articulatory feature that changed. Deletions and insertions get
class tips (final-consonant deletion, vowel epenthesis, …).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from accent_coach.engine.articulation import describe_difference, is_consonant, is_vowel


@dataclass
class Tip:
    """One piece of feedback, tied to a word and (when known) to a phone."""

    word: str
    kind: str  # substitution | deletion | insertion | final_consonant_deletion | epenthesis
    expected: str | None  # IPA
    heard: str | None  # IPA
    tip: str
    minimal_pair: str | None

    def to_dict(self) -> dict:
        return asdict(self)


# (expected, heard): (tip, minimal pair "expected-word / heard-word")
PAIRS: dict[tuple[str, str], tuple[str, str]] = {
    ("θ", "s"): ("Put the tip of your tongue between your teeth and blow air over it; "
                 "don't touch the ridge behind the teeth.", "think / sink"),
    ("θ", "t"): ("Don't stop the air: tongue tip lightly between the teeth, let the air "
                 "flow continuously.", "thank / tank"),
    ("θ", "f"): ("Use the tongue, not the lower lip: tongue tip between the teeth.",
                 "three / free"),
    ("ð", "d"): ("Tongue tip between the teeth with voice on, and keep the air flowing — "
                 "no stop.", "they / day"),
    ("ð", "z"): ("Move the tongue forward to touch the teeth; keep the voice on.",
                 "then / zen"),
    ("ð", "v"): ("Use the tongue between the teeth rather than the lip.", "that / vat"),
    ("v", "w"): ("Touch your upper teeth to your lower lip and buzz; don't round the lips.",
                 "vest / west"),
    ("w", "v"): ("Round your lips like 'oo' and don't let the teeth touch the lip.",
                 "wine / vine"),
    ("v", "b"): ("Keep the air flowing between lip and upper teeth; lips must not close.",
                 "very / berry"),
    ("v", "f"): ("Same position as f but turn the voice on (feel the buzz in your throat).",
                 "van / fan"),
    ("ɹ", "l"): ("Curl the tongue tip back without touching the roof of the mouth; round "
                 "the lips slightly.", "right / light"),
    ("l", "ɹ"): ("Press the tongue tip firmly on the ridge behind the upper teeth and let "
                 "air pass at the sides.", "light / right"),
    ("l", "n"): ("Let the air flow over the sides of the tongue, not through the nose.",
                 "light / night"),
    ("n", "l"): ("Let the air go through the nose; the tongue seals the mouth completely.",
                 "night / light"),
    ("iː", "ɪ"): ("Make the vowel long and tense: spread the lips as in a smile.",
                  "sheep / ship"),
    ("ɪ", "iː"): ("Keep it short and relaxed; the tongue a little lower, lips not spread.",
                  "ship / sheep"),
    ("i", "ɪ"): ("Tense the tongue and spread the lips a little more.", "reach / rich"),
    ("æ", "ɛ"): ("Open the jaw wider and push the tongue low and forward.", "bad / bed"),
    ("ɛ", "æ"): ("Close the jaw a little; the tongue is higher than for 'a' in 'cat'.",
                 "bed / bad"),
    ("æ", "ʌ"): ("Keep the tongue forward and the mouth wide open.", "cap / cup"),
    ("ʌ", "ɑː"): ("Shorter and more central: relax the jaw halfway, don't drop it fully.",
                  "cut / cot"),
    ("ɑː", "ʌ"): ("Drop the jaw fully and make the vowel longer.", "cot / cut"),
    ("ʌ", "æ"): ("Pull the tongue back to the centre and open the mouth less.", "cup / cap"),
    ("ʊ", "uː"): ("Short and relaxed; lips only loosely rounded.", "full / fool"),
    ("uː", "ʊ"): ("Long and tense with tightly rounded lips.", "fool / full"),
    ("ɔː", "oʊ"): ("Hold one open-o sound without gliding to 'w'.", "caught / coat"),
    ("oʊ", "ɔː"): ("Glide from 'o' towards 'oo' — round the lips more at the end.",
                   "coat / caught"),
    ("eɪ", "ɛ"): ("Glide from 'e' towards 'ee'; it's a diphthong.", "late / let"),
    ("ŋ", "n"): ("Raise the back of the tongue to the soft palate; the tongue tip stays "
                 "down.", "sing / sin"),
    ("n", "ŋ"): ("Touch the ridge behind the teeth with the tongue tip.", "sin / sing"),
    ("ŋ", "ŋɡ"): ("End with the nasal; don't release a 'g' after it.", "singer / finger"),
    ("z", "s"): ("Turn the voice on (buzz like a bee) and make the vowel before it longer.",
                 "zoo / Sue"),
    ("s", "z"): ("Turn the voice off: a hissing sound.", "bus / buzz"),
    ("ʃ", "s"): ("Pull the tongue back a little and round the lips.", "she / see"),
    ("s", "ʃ"): ("Keep the tongue tip forward behind the teeth; don't round the lips.",
                 "see / she"),
    ("ʒ", "ʃ"): ("Same position as 'sh' with the voice on.", "measure / mesher"),
    ("ʒ", "dʒ"): ("Keep the air flowing; don't stop it with the tongue first.",
                  "vision / 'vidjon'"),
    ("dʒ", "ʒ"): ("Start with a short stop: tongue on the ridge, then release.", "jet / 'zhet'"),
    ("tʃ", "ʃ"): ("Start with a 't' stop before the 'sh'.", "chair / share"),
    ("ʃ", "tʃ"): ("Don't stop the air at the start; make a continuous 'sh'.", "share / chair"),
    ("dʒ", "j"): ("Touch the ridge behind the teeth first, then release into 'zh'.",
                  "jet / yet"),
    ("j", "dʒ"): ("Keep the tongue off the roof of the mouth: a glide, no stop.", "yes / Jess"),
    ("h", "x"): ("Just breathe out softly; don't scrape the back of the tongue.",
                 "hat / (harsh h)"),
    ("p", "b"): ("Turn the voice off and release a puff of air.", "pat / bat"),
    ("b", "p"): ("Voice on from the start; no puff of air.", "bat / pat"),
    ("t", "d"): ("Voice off and a puff of air on release.", "tie / die"),
    ("d", "t"): ("Keep the voice on through the closure (and lengthen the vowel before it).",
                 "bed / bet"),
    ("k", "ɡ"): ("Voice off and a puff of air.", "coat / goat"),
    ("ɡ", "k"): ("Voice on through the closure; lengthen the vowel before it.", "bag / back"),
    ("f", "p"): ("Lower lip to upper teeth and let the air flow; don't close the lips.",
                 "fan / pan"),
    ("ɜː", "ɑː"): ("Keep the tongue central and the lips relaxed; the jaw only half open.",
                   "bird / bard"),
    ("ɚ", "ə"): ("Add the r-colour: curl the tongue tip up and back.", "butter / 'butta'"),
}

CLASS_TIPS = {
    "final_consonant_deletion": (
        "Don't drop the last sound: finish the word with '{expected}' clearly before "
        "moving on.", "bed / be, cart / car"),
    "deletion": ("A sound is missing: say '{expected}' — slow down and say every sound.",
                 None),
    "epenthesis": ("Don't add a vowel: go straight from one consonant to the next "
                   "(no '{heard}' in between or at the end).", "sport / support, bag / 'bagu'"),
    "insertion": ("An extra sound '{heard}' was heard; leave it out.", None),
    "substitution": ("Expected '{expected}' but heard '{heard}': {difference}.", None),
}


def substitution_tip(word: str, expected: str, heard: str) -> Tip:
    if (expected, heard) in PAIRS:
        tip, pair = PAIRS[(expected, heard)]
    else:
        template, pair = CLASS_TIPS["substitution"]
        tip = template.format(
            expected=expected, heard=heard, difference=describe_difference(expected, heard)
        )
        tip += " " + _generic_articulation(expected)
    return Tip(word, "substitution", expected, heard, tip.strip(), pair)


def _generic_articulation(phone: str) -> str:
    """A fallback hint from the expected phone's own entry in PAIRS, if any."""
    for (exp, _), (tip, _) in PAIRS.items():
        if exp == phone:
            return tip
    return ""


def deletion_tip(word: str, expected: str, final: bool) -> Tip:
    kind = "final_consonant_deletion" if final and is_consonant(expected) else "deletion"
    template, pair = CLASS_TIPS[kind]
    return Tip(word, kind, expected, None, template.format(expected=expected), pair)


def insertion_tip(word: str, heard: str) -> Tip:
    kind = "epenthesis" if is_vowel(heard) else "insertion"
    template, pair = CLASS_TIPS[kind]
    return Tip(word, kind, None, heard, template.format(heard=heard), pair)
