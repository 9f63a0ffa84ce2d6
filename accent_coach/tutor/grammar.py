"""Gentle corrections for frequent learner errors that simple patterns catch reliably.

Only patterns with (almost) no false alarms are here: "I am agree", regularised past
forms ("goed", "buyed"), "did + past", "since three days", "I have 25 years", a missing
"a/an" before a job or a countable thing the scenarios ask about, and a few fixed
phrases ("explain me", "discuss about"). Anything subtler is left to the LLM tutor.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

IRREGULAR_PAST = {
    "goed": "went", "buyed": "bought", "eated": "ate", "bringed": "brought",
    "thinked": "thought", "teached": "taught", "catched": "caught", "writed": "wrote",
    "taked": "took", "leaved": "left", "maked": "made", "sayed": "said", "payed": "paid",
    "gived": "gave", "comed": "came", "finded": "found", "runned": "ran",
    "swimmed": "swam", "drinked": "drank", "feeled": "felt", "keeped": "kept",
    "sleeped": "slept", "speaked": "spoke", "telled": "told", "getted": "got",
    "breaked": "broke", "choosed": "chose", "losed": "lost", "meeted": "met",
    "sended": "sent", "spended": "spent", "standed": "stood", "understanded": "understood",
    "weared": "wore", "winned": "won", "hurted": "hurt", "putted": "put", "cutted": "cut",
    "knowed": "knew", "flied": "flew", "drived": "drove", "forgetted": "forgot",
}
PAST_TO_BASE = {
    "went": "go", "bought": "buy", "ate": "eat", "brought": "bring", "thought": "think",
    "saw": "see", "came": "come", "took": "take", "made": "make", "said": "say", "paid": "pay",
    "gave": "give", "found": "find", "told": "tell", "got": "get", "left": "leave",
    "lost": "lose", "met": "meet", "sent": "send", "wrote": "write", "had": "have",
    "knew": "know", "forgot": "forget", "drank": "drink", "slept": "sleep", "felt": "feel",
    "visited": "visit", "watched": "watch", "played": "play", "worked": "work",
    "started": "start", "booked": "book", "ordered": "order", "called": "call",
}
JOBS = (
    "student teacher nurse doctor engineer designer developer manager waiter waitress cook "
    "chef driver lawyer programmer accountant receptionist cashier architect artist "
    "electrician mechanic pharmacist scientist secretary tourist"
).split()
THINGS = [
    "headache", "fever", "cough", "sore throat", "temperature", "reservation", "booking",
    "question", "appointment", "problem", "single room", "double room", "room", "table",
    "refund", "receipt", "taxi", "large", "medium", "small",
]
NUMBER_WORDS = "two three four five six seven eight nine ten few couple".split()
UNCOUNTABLE = {"informations": "information", "advices": "advice", "luggages": "luggage",
               "furnitures": "furniture", "homeworks": "homework", "baggages": "baggage"}


@dataclass(frozen=True)
class Correction:
    """One error found: the words as said, as they should be, and why."""

    wrong: str
    right: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_RULES: list[tuple[re.Pattern[str], object, str]] = [
    (re.compile(r"\b(i|you|we|they)\s+(?:am|are|'m|'re)\s+agree\b", re.I),
     lambda m: f"{m[1]} agree",
     "'Agree' is a verb: say 'I agree', not 'I am agree'."),
    (re.compile(rf"\b({_alternation(list(IRREGULAR_PAST))})\b", re.I),
     lambda m: IRREGULAR_PAST[m[1].lower()],
     "This verb is irregular in the past."),
    (re.compile(
        rf"\b(didn't|did not|did you|did he|did she|did we|did they|did i)\s+"
        rf"({_alternation(list(PAST_TO_BASE))})\b", re.I),
     lambda m: f"{m[1]} {PAST_TO_BASE[m[2].lower()]}",
     "After 'did', use the base form of the verb."),
    (re.compile(rf"\bsince\s+((?:\d+|{_alternation(NUMBER_WORDS)})\s+"
                r"(?:days?|weeks?|months?|years?|hours?|minutes?))\b", re.I),
     lambda m: f"for {m[1]}",
     "Use 'for' with a length of time ('for three days'), 'since' with a start ('since Monday')."),
    (re.compile(r"\b(i)\s+have\s+(\d{1,2})\s+years\b(?!\s+(?:of|experience|in|at|ago))", re.I),
     lambda m: f"{m[1]} am {m[2]} years old",
     "In English you *are* an age: 'I am 25 years old'."),
    (re.compile(rf"\b(i am|i'm|he is|she is|he's|she's)\s+({_alternation(JOBS)})\b", re.I),
     lambda m: f"{m[1]} {_article(m[2])} {m[2]}",
     "Jobs need 'a' or 'an': 'I am a teacher', 'I'm an engineer'."),
    (re.compile(
        r"\b(i have|i've got|i've|i would like|i'd like|i want|can i have|could i have|"
        rf"i'll have|i need|i booked)\s+({_alternation(THINGS)})\b", re.I),
     lambda m: f"{m[1]} {_article(m[2])} {m[2]}",
     "A single countable thing needs 'a' or 'an' ('a headache', 'a room', 'a large one')."),
    (re.compile(r"\b(can|must|should|will|would|could)\s+to\s+(\w+)", re.I),
     lambda m: f"{m[1]} {m[2]}",
     "After 'can', 'must', 'should' and other modal verbs, no 'to'."),
    (re.compile(r"\bexplain\s+me\b", re.I), lambda m: "explain to me",
     "We 'explain something to someone': 'explain to me'."),
    (re.compile(r"\bdiscuss\s+about\b", re.I), lambda m: "discuss",
     "'Discuss' takes no 'about': 'discuss the plan'."),
    (re.compile(r"\bmarried\s+with\b", re.I), lambda m: "married to",
     "We say 'married to someone'."),
    (re.compile(r"\bmore\s+(better|worse|easier|bigger|smaller|cheaper)\b", re.I),
     lambda m: m[1], "'Better', 'easier', … are already comparatives: no 'more'."),
    (re.compile(r"\breturn\s+(it\s+|them\s+)?back\b", re.I),
     lambda m: f"return{' ' + m[1].strip() if m[1] else ''}",
     "'Return' already means 'give back': no 'back'."),
    (re.compile(r"\b(went|go|going|come|came)\s+to\s+home\b", re.I), lambda m: f"{m[1]} home",
     "'Home' needs no 'to' after verbs of movement: 'go home'."),
    (re.compile(rf"\b({_alternation(list(UNCOUNTABLE))})\b", re.I),
     lambda m: UNCOUNTABLE[m[1].lower()],
     "This noun is uncountable: it has no plural."),
    (re.compile(r"\bpeople\s+is\b", re.I), lambda m: "people are",
     "'People' is plural: 'people are'."),
    (re.compile(r"\b(he|she|it)\s+don't\b", re.I), lambda m: f"{m[1]} doesn't",
     "With he, she and it: 'doesn't'."),
]


def _keep_case(original: str, replacement: str) -> str:
    if original[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def corrections(text: str) -> list[Correction]:
    """The errors found in ``text``, each once, in the order of the rules."""
    found: list[Correction] = []
    for pattern, fix, why in _RULES:
        for match in pattern.finditer(text):
            right = _keep_case(match[0], fix(match))  # type: ignore[operator]
            if right.lower() != match[0].lower():
                found.append(Correction(match[0], right, why))
    return found


def corrected(text: str) -> str:
    """``text`` with every correction applied (first occurrence of each)."""
    for c in corrections(text):
        text = text.replace(c.wrong, c.right, 1)
    return text
