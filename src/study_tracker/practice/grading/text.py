"""The lexical side of grading: content terms, statements versus keyword lists, clauses,
polarity (negations, opposite words, swapped alternatives) and the figures a text states.

No part-of-speech tagger is installed and the usual ones need data downloads (NLTK) or large
models (spaCy), so "does this sentence state something?" is decided from closed-class words:
English prose is about 40% function words ("is", "the", "so", "because"), while a list of key
terms has almost none. Relation symbols (``=``, ``<``, ``≈``) count as a predicate, so a terse
derivation ("dL/dz = p - y") is a statement.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from bm25s.stopwords import STOPWORDS_EN

# Closed-class words: determiners, pronouns, prepositions, conjunctions, auxiliaries, modals and
# linking adverbs. They carry no topic, and their share of a sentence tells prose from a list.
FUNCTION_WORDS = frozenset(STOPWORDS_EN) | frozenset(
    """
    about above across after again against all also although am among any anything because been
    before being below between both can could did do does doing done down during each either every
    few from further had has have having he her here hers him his how however i its itself just may
    me might more most must my myself nor now off once one only onto other otherwise our ours out
    over own per same she should since so some something than though through thus too under unless
    until up upon us very via we were what whatever when whenever where whereas whether which while
    who whom whose why would yet you your yours let lets get gets got make makes made instead rather
    many much still even ever already else thing things way ways
    it's that's there's what's let's i'd i'll i'm we'd we'll you'd
    """.split()  # noqa: SIM905 (one word list reads better than a column)
)
# Words that turn a clause's claim around. "no" and "not" are stop words for search, not here.
NEGATORS = frozenset(
    "not no non never none nothing neither nor cannot without nobody nowhere hardly rarely".split()  # noqa: SIM905
)
# Content words that carry a negation of what follows ("a crash loses messages" = they are not
# processed): they count in polarity but still name something.
_NEGATIVE = "lose loses lost losing lack lacks lacking absent missing fail fails failed failing block blocks"
NEGATIVE_WORDS = frozenset(_NEGATIVE.split()) | {"blocked", "blocking"}
# Negation words that do not negate before these: "no matter how", "not only", "not just".
_IDIOMS = frozenset({("no", "matter"), ("not", "only"), ("not", "just"), ("no", "longer")})
NEGATION_REACH = 3  # content words a negation reaches: after it ("not produce sparse"), before "off"
# A negation's reach stops at these ("rather than values so distances": 'distances' is not negated).
# A subject pronoun starts a new clause ("no derivative at 0 you optimise it...").
_REACH_STOP = frozenset(
    "so and but because while whereas which or then since though you we it they he she i".split()  # noqa: SIM905
)
# Opposite pairs, as stems (see :func:`stem`): a clause saying one where the key point says the
# other makes an opposite claim about the same terms ("larger batches" against "smaller batches").
_OPPOSITE_PAIRS = [
    ("increas", "decreas"),
    ("increas", "reduc"),
    ("higher", "lower"),
    ("high", "low"),
    ("more", "less"),
    ("more", "fewer"),
    ("most", "least"),
    ("larger", "smaller"),
    ("larg", "small"),
    ("bigger", "smaller"),
    ("faster", "slower"),
    ("fast", "slow"),
    ("befor", "after"),
    ("alway", "never"),
    ("spars", "dens"),
    ("overfit", "underfit"),
    ("grow", "shrink"),
    ("vanish", "explod"),
    ("maxim", "minim"),
    ("upper", "lower"),
    ("stabl", "unstabl"),
    ("synchron", "asynchron"),
    ("permanent", "temporari"),
    ("cheap", "expens"),
    ("strong", "weak"),
    ("enabl", "disabl"),
    ("abov", "below"),
    ("posit", "negat"),
    ("train", "infer"),
    ("convex", "nonconvex"),
    ("lose", "keep"),
]
OPPOSITES = frozenset(frozenset(p) for p in _OPPOSITE_PAIRS)
# Function words that are also one side of an opposite pair, so they count as marked terms.
OPPOSITE_FUNCTION = frozenset({"more", "most", "less", "fewer", "before", "after", "above", "below"})

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:['’][A-Za-z]+)?|\d+(?:[.,]\d+)*")
_RELATION = re.compile(r"(?<![<>=!-])(=|==|<=|>=|≤|≥|≈|~|->|→|=>)(?![=>])|\s[<>]\s")
# Clause boundaries inside a sentence: semicolons, colons, dashes between words, and the
# conjunctions that join two claims ("A, but B", "A while B", "A, so B").
_CLAUSE_CUT = re.compile(
    r";|:\s|\s[-–—]\s|,\s+(?:but|so|while|whereas|because|which|and)\s|\s(?:but|whereas|while|because)\s",
    re.I,
)
# Words the prompt joins as alternatives: "301 or 302", "L1 and L2", "BFS vs DFS".
_COORDINATION = re.compile(r"[,/]|\b(?:or|and|vs|versus|nor)\b", re.I)
_BRITISH = re.compile(r"is(e|ed|es|ing|ation|ations|er|ers)$")
# Phrases interview answers use for the same thing, folded into one word before stemming.
_SYNONYMS = [
    (re.compile(r"\b(?:test|prediction|serving)[- ]time\b", re.I), "inference"),
    (re.compile(r"\b(?:requests?|queries|query|req)(?: per |/)(?:second|sec|s)\b|\brps\b", re.I), "qps"),
    (re.compile(r"\bgigabytes?\b", re.I), "GB"),
    (re.compile(r"\bmegabytes?\b", re.I), "MB"),
    (re.compile(r"\bkilobytes?\b", re.I), "KB"),
    (re.compile(r"\bdedupe\b", re.I), "deduplicate"),
]
_LOCAL = threading.local()  # PyStemmer objects are not thread-safe; the web server has many threads


def _stemmer():
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _LOCAL.stemmer = Stemmer.Stemmer("english")
    return stemmer


@dataclass(frozen=True, slots=True)
class Word:
    text: str  # lower-cased
    start: int
    end: int


def words(text: str) -> list[Word]:
    """The words and numbers of ``text`` with their offsets, lower-cased."""
    return [Word(m.group().lower().replace("’", "'"), m.start(), m.end()) for m in _WORD.finditer(text)]


def stem(word: str) -> str:
    """One word's stem, with British -ise spellings folded into -ize ("normalise" = "normalize")."""
    return _stemmer().stemWord(_BRITISH.sub(r"iz\1", word))


def is_negator(word: str, before: str = "") -> bool:
    """Whether ``word`` negates its clause; ``before`` is the word before it ("switched off" does,
    "trade-off" does not)."""
    if word == "off":
        return before != "trade"
    return word in NEGATORS or word in NEGATIVE_WORDS or word.endswith("n't")


def is_content(word: str) -> bool:
    """Whether a (lower-cased) word names something: not a function word, a negation, a letter
    or a bare number (figures are compared by value, see :func:`figures`)."""
    if word in FUNCTION_WORDS or word in NEGATORS or word.endswith("n't") or word[0].isdigit():
        return False
    return len(word) > 1


def canonical(text: str) -> str:
    """``text`` with common synonymous phrases folded into one word ("at test time" = "at inference")."""
    for pattern, word in _SYNONYMS:
        text = pattern.sub(word, text)
    return text


def content_stems(text: str) -> list[str]:
    """The stems of ``text``'s content words, in order, repeats kept (synonyms folded)."""
    return [stem(w.text) for w in words(canonical(text)) if is_content(w.text)]


def _marked(word: str) -> bool:
    return is_content(word) or word in OPPOSITE_FUNCTION or (word.isdigit() and len(word) >= 2)


def marked_stems(text: str) -> set[str]:
    """The stems that can carry a claim's direction: content words, opposite-pair function words
    and whole numbers that name something (301, 302)."""
    return {stem(w.text) for w in words(canonical(text)) if _marked(w.text)}


def function_share(text: str) -> float:
    """The share of ``text``'s words that are function words or negations (0 for no words)."""
    ws = [w.text for w in words(text) if not w.text[0].isdigit()]
    if not ws:
        return 0.0
    return sum(1 for w in ws if w in FUNCTION_WORDS or is_negator(w)) / len(ws)


def has_relation(text: str) -> bool:
    """Whether ``text`` states a relation with a symbol (=, <=, ≈, ->...)."""
    return bool(_RELATION.search(text))


def longest_term_run(text: str) -> int:
    """The longest run of consecutive content words (a list of terms has long runs)."""
    best = run = 0
    for w in words(text):
        if is_content(w.text) and len(w.text) > 2:
            run += 1
            best = max(best, run)
        else:
            run = 0
    return best


def looks_like_verb(word: str) -> bool:
    """Whether ``word`` has a verb's ending (-s, -es, -ed, -ing). Plural nouns pass too; what this
    rules out is a row of bare nouns and adjectives ("binary search lower upper")."""
    if len(word) <= 3 or not word.isalpha():
        return False
    return word.endswith(("ed", "ing")) or (word.endswith("s") and not word.endswith(("ss", "us", "is")))


def clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the clauses of one sentence (whitespace trimmed)."""
    spans, cut = [], 0
    for m in _CLAUSE_CUT.finditer(text):
        if m.start() > cut:
            spans.append((cut, m.start()))
        cut = m.end()
    spans.append((cut, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        s += len(piece) - len(piece.lstrip())
        e -= len(piece) - len(piece.rstrip())
        if e > s:
            out.append((s, e))
    return out


def alternatives(prompt: str) -> set[tuple[str, str]]:
    """Pairs of stems the prompt joins as alternatives ("301 or 302", "L1 and L2", "BFS or DFS",
    "at-most-once, at-least-once"), each pair sorted."""
    marked = [w for w in words(prompt) if _marked(w.text)]
    pairs = set()
    for a, b in zip(marked, marked[1:], strict=False):
        between = prompt[a.end : b.start]
        # At most two function words (at, once...) and punctuation may stand between the two:
        # more is a new clause ("inference time, and what does inverted ...").
        gap = words(between)
        if len(gap) <= 2 and all(w.text in FUNCTION_WORDS for w in gap) and _COORDINATION.search(between):
            x, y = sorted((stem(a.text), stem(b.text)))
            if x != y:
                pairs.add((x, y))
    return pairs


def polarity_flips(claim: str, reference: str, siblings: Iterable[tuple[str, str]] = ()) -> list[str]:
    """Why ``claim`` says the opposite of ``reference`` about the terms they share (empty if it does not).

    Three signs are counted: a negation on one side only ("L1 does not produce sparse weights"
    against "L1 ... drives small weights exactly to zero"), an opposite word on one side only
    ("larger" against "smaller"), and a swapped alternative, one of ``siblings`` (pairs of stems
    the question contrasts, such as 301 and 302) on each side. A negation counts only when a term
    both sides share is within its reach, so "no matter how small" elsewhere in the clause does
    not turn it around. An even number of signs cancels out ("L2 does not give sparse weights"
    against "L1 gives sparse weights" agrees).
    """
    claim, reference = canonical(claim), canonical(reference)
    c_st, r_st = marked_stems(claim), marked_stems(reference)
    shared = c_st & r_st
    reasons = []
    c_neg = _negations(claim, words(claim), shared)
    r_neg = _negations(reference, words(reference), shared)
    if len(c_neg) % 2 != len(r_neg) % 2:
        reasons.append(f"'{c_neg[0]}' in the answer only" if c_neg else f"the key point says '{r_neg[0]}'")
    pairs = OPPOSITES | {frozenset(p) for p in siblings if p[0] != p[1]}
    for pair in sorted(pairs, key=sorted):
        a, b = sorted(pair)
        for mine, theirs in ((a, b), (b, a)):
            if mine in c_st - r_st and theirs in r_st - c_st:
                reasons.append(f"'{mine}' where the key point has '{theirs}'")
    return reasons if len(reasons) % 2 == 1 else []


def _reach(text: str, ahead: list[Word]) -> list[str]:
    """The first few content words of ``ahead`` (words walking away from a negation), stopping at
    a conjunction or punctuation."""
    out: list[str] = []
    prev: Word | None = None
    for w in ahead:
        if prev is not None:
            gap = text[min(prev.end, w.end) : max(prev.start, w.start)]
            if any(ch in gap for ch in ",;:.()"):
                break
        if w.text in _REACH_STOP or len(out) == NEGATION_REACH:
            break
        if is_content(w.text):
            out.append(w.text)
        prev = w
    return out


def _negations(text: str, ws: list[Word], shared: set[str]) -> list[str]:
    """The negations in ``ws`` that reach a shared term ("rather than", "instead of" included)."""
    found = []
    for i, w in enumerate(ws):
        before = ws[i - 1].text if i else ""
        after = ws[i + 1].text if i + 1 < len(ws) else ""
        phrase = (w.text == "rather" and after == "than") or (w.text == "instead" and after == "of")
        if not (phrase or is_negator(w.text, before)) or (w.text, after) in _IDIOMS:
            continue
        if w.text == "off":
            reach = _reach(text, ws[:i][::-1])
        elif w.text in NEGATIVE_WORDS:  # "loses messages", "the message is lost"
            reach = _reach(text, ws[:i][::-1]) + _reach(text, ws[i + 1 :])
        else:
            reach = _reach(text, ws[i + 2 if phrase else i + 1 :])
        if any(stem(x) in shared for x in reach):
            found.append(f"{w.text} {after}" if phrase else w.text)
    return found


_NUMBER = re.compile(
    r"(?<![\w.^])(10\s*\^\s*-?\d+|\d+(?:,\d{3})+|\d+(?:\.\d+)?)"  # 10^5, 1,024 or 0.25
    r"(?:\s*(?:x|×|\*)\s*10\s*\^\s*(-?\d+)|e(-?\d+)\b)?"  # 2 x 10^8, 1e-33
    r"(\s*)(k|K|thousand|M|million|bn|B|billion|T|trillion)?"
    r"(?:x|×)?(?![A-Za-z0-9])"  # 2-3x
)
_SCALE = {
    "k": 1e3,
    "K": 1e3,
    "thousand": 1e3,
    "M": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "B": 1e9,
    "billion": 1e9,
    "T": 1e12,
    "trillion": 1e12,
}


def figures(text: str, *, trivial: bool = True) -> list[float]:
    """The numbers ``text`` states, with their scale (200M = 2e8, 2 x 10^8 = 2e8, 141k = 141000).

    A capital B or T after a space is a unit (8 B = 8 bytes), not billions. With ``trivial``
    False, the whole numbers 0, 1 and 2 are left out (they are in every formula).
    """
    out = []
    for m in _NUMBER.finditer(text):
        number = m.group(1).replace(",", "")
        value = 10.0 ** int(number.split("^")[1]) if "^" in number else float(number)
        power = m.group(2) or m.group(3)
        if power is not None:
            value *= 10.0 ** int(power)
        space, unit = m.group(4), m.group(5)
        if unit and not (unit in ("B", "T") and space):
            value *= _SCALE[unit]
        if trivial or value not in (0.0, 1.0, 2.0):
            out.append(value)
    return out


_RESULT = re.compile(r"(?:=|≈|~|->|→)(?!.*(?:=|≈|~|->|→))(.*)$", re.S)


def result_figure(text: str) -> float | None:
    """The figure a computation arrives at: the first one after the last ``=``, ``≈`` or ``~``
    (None without one, or when it is 0, 1 or 2, which formulas are full of)."""
    m = _RESULT.search(text)
    if m is None:
        return None
    after = figures(m.group(1), trivial=False)
    first = figures(m.group(1))
    return after[0] if after and first and after[0] == first[0] else None


def same_figure(a: float, b: float, tolerance: float = 0.12) -> bool:
    """Whether two figures agree within ``tolerance`` (relative): rounding, not a different value."""
    if a == b:
        return True
    return abs(a - b) <= tolerance * max(abs(a), abs(b))
