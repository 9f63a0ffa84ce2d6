"""The correction rules: word lists and (pattern, fix, explanation) triples, in order.

Order matters: where two rules fit the same words, the first wins (a missing "does"
in "How much it cost?" is one correction, not also a missing -s on "it cost"). A fix
returns the replacement text, or None to leave the match alone ("does she like" has
its auxiliary already). Kept apart from :mod:`accent_coach.tutor.grammar` so the lists
can grow without burying the logic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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


MISSPELLINGS = {
    "coffe": "coffee", "cofee": "coffee", "cofe": "coffee", "capuccino": "cappuccino",
    "cappucino": "cappuccino", "capucino": "cappuccino", "expresso": "espresso",
    "chocolat": "chocolate", "sandwitch": "sandwich", "recieve": "receive",
    "recieved": "received", "reciept": "receipt", "receit": "receipt", "beacuse": "because",
    "becuase": "because", "becouse": "because", "wich": "which", "untill": "until",
    "tommorow": "tomorrow", "tomorow": "tomorrow", "tommorrow": "tomorrow",
    "wensday": "Wednesday", "wendsday": "Wednesday", "wednesay": "Wednesday",
    "resturant": "restaurant", "restaurent": "restaurant", "definately": "definitely",
    "accomodation": "accommodation", "seperate": "separate", "apointment": "appointment",
    "appointement": "appointment", "pasport": "passport", "adress": "address",
    "medecine": "medicine", "headach": "headache", "breakfest": "breakfast",
    "buisness": "business", "freind": "friend", "beatiful": "beautiful",
    "beautifull": "beautiful", "realy": "really", "alot": "a lot", "experiance": "experience",
    "excercise": "exercise", "wheather": "weather", "intresting": "interesting",
    "interesing": "interesting", "comfortible": "comfortable", "responsable": "responsible",
}
# base verbs a question needs "do/does" with, when the learner left it out
DO_VERBS = (
    "cost open close start finish leave arrive take mean work live go come need want like "
    "say recommend serve have sell include happen begin end know think"
).split()
# verb -> third person singular
THIRD_PERSON = {
    "like": "likes", "want": "wants", "need": "needs", "work": "works", "live": "lives",
    "go": "goes", "have": "has", "do": "does", "know": "knows", "think": "thinks",
    "make": "makes", "take": "takes", "come": "comes", "speak": "speaks", "play": "plays",
    "watch": "watches", "study": "studies", "teach": "teaches", "love": "loves",
    "hate": "hates", "feel": "feels", "look": "looks", "seem": "seems", "start": "starts",
    "finish": "finishes", "open": "opens", "close": "closes", "sell": "sells",
    "mean": "means", "drink": "drinks", "eat": "eats", "enjoy": "enjoys",
}
# auxiliaries (and verbs taking a bare infinitive) after which "he like" is fine
BARE_AFTER = frozenset(
    "do does did can could will would should must might may shall let make help "
    "doesn't didn't can't won't wouldn't shouldn't couldn't to".split())
PERSONS = ("he|she|it|my (?:wife|husband|son|daughter|brother|sister|friend|boss|mother|"
           "father|mum|mom|dad|neighbour|neighbor)")
# present -> past, for a present verb with a past time ("I go there yesterday")
PRESENT_TO_PAST = {
    "go": "went", "buy": "bought", "eat": "ate", "see": "saw", "visit": "visited",
    "watch": "watched", "play": "played", "have": "had", "stay": "stayed", "meet": "met",
    "cook": "cooked", "take": "took", "come": "came", "do": "did", "make": "made",
    "walk": "walked", "drive": "drove", "get": "got", "feel": "felt", "start": "started",
    "work": "worked", "spend": "spent", "lose": "lost", "drink": "drank", "sleep": "slept",
    "travel": "travelled", "relax": "relaxed", "clean": "cleaned", "call": "called",
    "am": "was", "is": "was", "are": "were", "buys": "bought", "goes": "went",
}
PAST_TIME = (r"yesterday|last (?:night|week|weekend|month|year|summer|winter|monday|tuesday|"
             r"wednesday|thursday|friday|saturday|sunday)|(?:a|one|two|three|four|five|\d+) "
             r"(?:days?|weeks?|months?|years?) ago")
PLACES = [
    "station", "train station", "bus station", "museum", "bank", "post office", "bus stop",
    "library", "park", "pharmacy", "supermarket", "city centre", "city center", "cinema",
    "cathedral", "market", "airport", "beach", "restaurant", "reception",
]
ORDERABLE = ["latte", "cappuccino", "espresso", "americano", "flat white", "mocha",
             "smoothie", "refund", "exchange", "check-up", "sandwich", "croissant", "muffin"]


def _article(word: str) -> str:
    return "an" if word[0].lower() in "aeiou" else "a"


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_START = r"(?:^|(?<=[.?!,;] ))"  # a question word must open the clause
# question words that need "do/does" before the subject: "How much does it cost?"
_ASKING = r"(how much|how many \w+|how often|how long|where|when|what time|why|what|how)"
_DO_VERB = _alternation(DO_VERBS)
_PAST_VERB = _alternation(list(PRESENT_TO_PAST))
_PAST_WHY = "With a past time ('yesterday', 'last week'), use the past: 'I went'."
_THIRD = _alternation(list(THIRD_PERSON))
_BARE = _alternation(list(BARE_AFTER))
# "I have been there" is a present perfect, not a present for a past
_NOT_PERFECT = r"(?!(?<=have)\s+(?:been|gone|got|had|seen|done|to)\b)"


def _does(m: re.Match[str]) -> str:
    return f"{m[1]} does {m[2]} {m[3]}"


def _third_person(m: re.Match[str]) -> str | None:
    if m[1]:  # "does she like", "can it take": the auxiliary carries the person
        return None
    return f"{m[2]} {THIRD_PERSON[m[3].lower()]}"


def _past(m: re.Match[str]) -> str:
    return f"{m[1]} {PRESENT_TO_PAST[m[2].lower()]}"


Fix = Callable[[re.Match[str]], "str | None"]
RULES: list[tuple[re.Pattern[str], Fix, str]] = [
    (re.compile(rf"\b({_alternation(list(MISSPELLINGS))})\b", re.I),
     lambda m: MISSPELLINGS[m[1].lower()], "Spelling."),
    (re.compile(rf"{_START}{_ASKING}\s+(it|he|she)\s+({_DO_VERB})(?:s|es)?\b", re.I),
     _does, "A question needs 'does' before he, she or it: 'How much does it cost?'"),
    (re.compile(rf"{_START}{_ASKING}\s+(you|they|we)\s+({_DO_VERB})\b", re.I),
     lambda m: f"{m[1]} do {m[2]} {m[3]}",
     "A question needs 'do': 'Where do you live?'"),
    (re.compile(rf"{_START}(how much|how far|how long|where|what time|what)\s+(it|this|that)"
                r"\s+is\s*(?=\?)", re.I),
     lambda m: f"{m[1]} is {m[2]}",
     "In a question, 'is' comes before the subject: 'How much is it?'"),
    (re.compile(rf"{_START}{_ASKING}\s+(the \w+)\s+({_DO_VERB})(?:s|es)\b", re.I),
     _does, "A question needs 'does': 'What time does the shop open?'"),
    (re.compile(rf"{_START}(how much|how far|where|what time|what)\s+((?:the|this|that|my|your)"
                r"\s+\w+|this|that|it)\s*(?=\?)", re.I),
     lambda m: f"{m[1]} is {m[2]}",
     "The question needs a verb: 'Where is the station?'"),
    (re.compile(rf"\b((?:{PAST_TIME}),?\s+(?:i|we|they|he|she|you))\s+"
                rf"({_PAST_VERB})\b{_NOT_PERFECT}", re.I),
     _past, _PAST_WHY),
    (re.compile(rf"\b(i|we|they|he|she|you)\s+({_PAST_VERB})\b"
                rf"{_NOT_PERFECT}(?=[^.?!]*\b(?<!since )(?:{PAST_TIME})\b)", re.I),
     _past, _PAST_WHY),
    (re.compile(rf"\b(?:({_BARE})\s+)?({PERSONS})\s+({_THIRD})\b(?!')", re.I),
     _third_person, "With he, she or it, the verb takes -s: 'she likes', 'it opens'."),
    (re.compile(r"\bpay\s+with\s+(card|cash)\b", re.I),
     lambda m: "pay by card" if m[1].lower() == "card" else "pay in cash",
     "We pay 'by card' and 'in cash'."),
    (re.compile(rf"\b(where is|where's|how far is|is it far to|the way to|get to|go to|"
                rf"looking for|find|near)\s+({_alternation(PLACES)})\b", re.I),
     lambda m: f"{m[1]} the {m[2]}",
     "A place both of you know takes 'the': 'Where is the station?'"),
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
        rf"i'll have|i need|i booked)\s+({_alternation(THINGS + ORDERABLE)})\b", re.I),
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
