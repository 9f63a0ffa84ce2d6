"""What a learner's turn says, read against a scenario: no model, only keywords.

The built-in tutor must react to what was said, not walk its script: a learner may ask
the tutor something ("How much is a large?"), answer a question before it is asked ("a
large latte to go"), or both at once ("Can I pay by card?"). :func:`read_turn` finds

* the scenario questions asked (only when the turn is a question),
* the intent the current step's answer expresses (any of its keywords),
* the later steps answered early (only their strict ``early`` keywords, so "yes" or
  "here" never skip a step by accident),
* what was picked ("latte with oat milk", "Tuesday"), to echo it back.

Keywords match on word boundaries, by stem, and fuzzily (``rapidfuzz``) for words of
five letters or more, so typos and transcription slips ("coffe", "capuccino") count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from accent_coach.tutor.scenarios import Intent, Question, Scenario, Step

FUZZY_KEYWORD = 85  # rapidfuzz ratio for a word to count as a misheard keyword
MODEL_SIMILARITY = 80  # token-set ratio for an answer to count as close to a model answer
_WORD = re.compile(r"[a-z0-9']+")
QUESTION_STARTS = frozenset(
    "how what where when which who whose why is are am do does did can could may will "
    "would should shall have has was were what's where's how's when's who's isn't aren't "
    "don't doesn't".split())
# "Can I have a latte?" is an order, not a question to answer: with an order the
# scenario questions it mentions (milk, size) are left alone when it also answers a step.
ORDER = re.compile(r"\b(can i (?:have|get)|could i (?:have|get)|may i have|i'd like|"
                   r"i would like|i'll have|i will have|i want|i'll take|give me)\b")
# A question that asks for something ("Can I pay by card?", "Could I book…") is also
# an answer; one that only asks about something ("How much is a large?") is not.
REQUEST = re.compile(r"\b(can|could|may) (?:i|we)\b|\bi'd like\b|\bi would like\b|\bi want\b|"
                     r"\bi'll have\b|\bi need\b")


def normalise(text: str) -> str:
    """Lower-case words without punctuation (apostrophes kept)."""
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


def is_question(text: str) -> bool:
    """A question mark, or a question word / inverted auxiliary first."""
    words = normalise(text).split()
    return text.rstrip().endswith("?") or bool(words and words[0] in QUESTION_STARTS)


def keyword_spans(keyword: str, text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where ``keyword`` occurs in ``text`` (normalised) as character spans.

    Short keywords and numbers match whole words only; longer ones also as a word's
    start ("sneez" → "sneezing") and, from five letters, fuzzily against word n-grams.
    """
    if len(keyword) <= 3 or any(ch.isdigit() for ch in keyword):
        pattern = rf"(?<![\w']){re.escape(keyword)}(?![\w'])"
    else:
        pattern = rf"(?<![\w']){re.escape(keyword)}"
    spans = [m.span() for m in re.finditer(pattern, text)]
    if spans or len(keyword) < 5 or any(ch.isdigit() for ch in keyword):
        return spans
    parts = keyword.split()
    starts, pos = [], 0
    for w in words:
        pos = text.index(w, pos)
        starts.append(pos)
        pos += len(w)
    out = []
    for i in range(len(words) - len(parts) + 1):
        gram = words[i:i + len(parts)]
        if _fuzzy_words(parts, gram):
            out.append((starts[i], starts[i] + len(" ".join(gram))))
    return out


def _fuzzy_words(keyword: list[str], gram: list[str]) -> bool:
    """Word by word: short words exactly, longer ones within a typo ("is station" is
    not "bus station", "coffe" is "coffee")."""
    if len(keyword) == 1:
        return fuzz.ratio(keyword[0], gram[0]) >= FUZZY_KEYWORD
    return all(k == g if len(k) <= 3 else fuzz.ratio(k, g) >= FUZZY_KEYWORD - 5
               for k, g in zip(keyword, gram))


def _hits(keywords: tuple[str, ...], text: str) -> list[tuple[int, int, str]]:
    """(start, end, keyword) of every keyword found, longest first where they overlap."""
    words = text.split()
    found = [(s, e, k) for k in keywords for s, e in keyword_spans(k, text, words)]
    found.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    kept: list[tuple[int, int, str]] = []
    for hit in found:
        if all(hit[0] >= k[1] or hit[1] <= k[0] for k in kept):
            kept.append(hit)
    return kept


def _count(keywords: tuple[str, ...], text: str) -> int:
    words = text.split()
    return sum(bool(keyword_spans(k, text, words)) for k in keywords)


def match_intent(step: Step, answer: str, close_to_model: bool = True) -> Intent | None:
    """The intent the answer expresses (most keyword hits, first on ties), else None;
    with ``close_to_model``, an answer very close to one of the step's model answers
    counts as its first intent."""
    text = normalise(answer)
    if not text:
        return None
    hits = [(_count(i.keywords, text), -n, i) for n, i in enumerate(step.intents)]
    best = max(hits, key=lambda h: (h[0], h[1]))
    if best[0] > 0:
        return best[2]
    if not close_to_model:
        return None
    close = max(fuzz.token_set_ratio(text, normalise(m)) for m in step.model.values())
    return step.intents[0] if close >= MODEL_SIMILARITY else None


def early_intent(step: Step, answer: str) -> Intent | None:
    """The intent a step not yet asked is answered with, by its strict keywords only."""
    text = normalise(answer)
    hits = [(_count(i.early, text), -n, i) for n, i in enumerate(step.intents) if i.early]
    if not hits:
        return None
    best = max(hits, key=lambda h: (h[0], h[1]))
    return best[2] if best[0] > 0 else None


def choice(step: Step, intent: Intent, answer: str) -> str | None:
    """What was picked, in the scenario's spelling: "latte with oat milk", or None."""
    text = normalise(answer)
    picked = _hits(intent.choices, text)
    if not picked:
        return None
    out = picked[0][2]
    extras = []
    for start, _end, extra in _hits(step.extras, text):
        if any(s <= start < e for s, e, _ in picked):
            continue
        before = text[:start].split()[-1:]
        extras.append(f"no {extra}" if before in (["no"], ["without"]) else extra)
    if extras:
        out += " with " + " and ".join(extras)
    return out.replace("with no ", "without ")


def asked(spec: Scenario, answer: str) -> list[Question]:
    """The scenario question a question clause asks: most keyword hits, the scenario's
    first on ties (specific topics come before general ones like price)."""
    if not is_question(answer):
        return []
    text = normalise(answer)
    scored = [(_count(q.keywords, text), -n, q) for n, q in enumerate(spec.questions)]
    scored = [s for s in scored if s[0] > 0]
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    return [q for _, _, q in scored[:1]]


@dataclass
class Reading:
    """What one learner turn was understood to say, against where the script stands."""

    questions: list[Question] = field(default_factory=list)
    current: Intent | None = None  # the answer to the step being asked
    early: dict[int, Intent] = field(default_factory=dict)  # later steps answered already
    choices: dict[int, str] = field(default_factory=dict)  # step -> what was picked
    quiet: set[int] = field(default_factory=set)  # answered inside a question answered
    unknown_question: bool = False  # a question the scenario has no answer for

    @property
    def understood(self) -> bool:
        return bool(self.questions or self.current or self.early)


_CLAUSE = re.compile(r"(?<=[.?!;])\s+")


def clauses(text: str) -> list[str]:
    """Sentences of a turn ("Large. How much it cost?" is an answer, then a question)."""
    return [c for c in (c.strip() for c in _CLAUSE.split(text.strip())) if c]


def _read_clause(spec: Scenario, step: int, done: frozenset[int], clause: str,
                 reading: Reading) -> None:
    questions = asked(spec, clause)
    question = is_question(clause)
    request = REQUEST.search(normalise(clause)) is not None
    answered: dict[int, Intent] = {}
    for n in range(step + 1, len(spec.steps)):
        if n in done or n in reading.early:
            continue
        intent = early_intent(spec.steps[n], clause)
        if intent is not None and not (question and questions and not request):
            reading.early[n] = answered[n] = intent  # asking about it is not answering
    if step < len(spec.steps) and reading.current is None:
        # closeness to a model answer only counts for a clause that says nothing else
        intent = match_intent(spec.steps[step], clause, not (questions or answered))
        if intent is not None and questions and not (request or intent.questions):
            intent = None  # asking about something is not yet choosing it
        if intent is not None:
            reading.current = answered[step] = intent
    for n, intent in answered.items():
        picked = choice(spec.steps[n], intent, clause)
        if picked:
            reading.choices[n] = picked
    if answered and ORDER.search(normalise(clause)):
        questions = [q for q in questions if not _about_order(q, clause, spec, answered)]
    if questions:
        reading.quiet |= set(answered)  # the answer to the question says enough
    reading.questions += [q for q in questions if q not in reading.questions]
    if question and not questions and not answered:
        reading.unknown_question = True


def read_turn(spec: Scenario, step: int, done: frozenset[int], answer: str) -> Reading:
    """Read ``answer`` while the tutor waits on ``step`` (``done``: steps already over),
    sentence by sentence."""
    reading = Reading()
    for clause in clauses(answer):
        _read_clause(spec, step, done, clause, reading)
    reading.unknown_question = reading.unknown_question and not reading.understood
    return reading


def _about_order(question: Question, answer: str, spec: Scenario,
                 answered: dict[int, Intent]) -> bool:
    """Whether a question's keywords only echo the order itself ("…with oat milk?")."""
    text = normalise(answer)
    words = text.split()
    order_words = {k for n, i in answered.items()
                   for k in i.keywords + i.choices + spec.steps[n].extras}
    spans = [(s, e) for k in order_words for s, e in keyword_spans(k, text, words)]
    for k in question.keywords:
        for s, e in keyword_spans(k, text, words):
            if not any(a <= s and e <= b for a, b in spans):
                return False
    return True
