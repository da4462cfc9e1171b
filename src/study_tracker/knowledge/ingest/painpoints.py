"""Pain points: does a discussion chunk state a problem, a frustration or an unmet need?

``pain_point_score`` reads the text sentence by sentence and adds weighted cues: symptoms and
failures ("hurts", "keeps crashing", "comes out dense"), first-person struggle ("I can't figure
out", "no idea why", "I'm stuck"), frustration ("ugh", "so discouraging"), help-seeking ("what am
I doing wrong?", "any idea why?") and unmet needs ("I need an app that ...", "there's no decent
...").  Symptom words only count where the writer speaks about their own situation: in advice
("If your knees hurt, widen your stance"), generic remarks ("rejections are common") and stories
that end well ("used to ache ... now fixed") they are discounted.  The sum goes through a
logistic curve, so the score is in [0, 1]; ``is_pain_point`` compares it with
``PAIN_POINT_THRESHOLD``.

Cues and weights were built on ``tests/knowledge/ingest/data/painpoints_dev.jsonl`` only; the held-out
``painpoints_test.jsonl`` measures them (``bench/painpoints_eval.py``).  Everything is compiled
at import; a call costs about 0.1 ms for a comment and 1.5-2 ms for a 1.5 kB chunk, so ingest can
tag every discussion chunk.
"""

from __future__ import annotations

import math
import re

PAIN_POINT_THRESHOLD = 0.5
"""``is_pain_point`` is ``pain_point_score(text) >= PAIN_POINT_THRESHOLD``."""

# The logistic curve: raw cue sum at which the score is 0.5, and its steepness.
_BIAS = 0.75
_SLOPE = 1.6

# Sentences past this many are not read: a pain point is stated early in a post, and the
# cost per chunk stays bounded on long comment chains.
_MAX_SENTENCES = 40


def _split_top(pattern: str) -> list[str]:
    """Split a regex source on its top-level ``|``."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # skip a character class whole: it may hold ( ) |
            i = pattern.index("]", i + 2) + 1
            continue
        depth += c == "("
        depth -= c == ")"
        if c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _expand_head(alternative: str) -> list[str]:
    """``(?:a|b) x`` -> ``a x``, ``b x`` (recursively), so every alternative starts with a letter."""
    if not alternative.startswith("(?:"):
        return [alternative]
    depth, i = 0, 0
    while True:
        c = alternative[i]
        if c == "\\":
            i += 2
            continue
        depth += c == "("
        depth -= c == ")"
        if depth == 0:
            break
        i += 1
    rest = alternative[i + 1 :]
    if rest[:1] in ("?", "*", "+", "{"):
        return [alternative]
    return [x for inner in _split_top(alternative[3:i]) for x in _expand_head(inner + rest)]


def _rx(*alternatives: str) -> re.Pattern[str]:
    """Compile word-cue alternatives into one regex that matches exactly what their union matches.

    Python's ``re`` tries every alternative at every position, which made the naive union cost
    about 4 ms per 1.5 kB chunk. Here the alternatives that start at a word boundary share one
    ``\\b`` and are bucketed by their first letter (``\\b(?:a(?:...)|b(?:...))``), so each position
    costs a handful of character comparisons. Alternatives that start otherwise stay as written.
    """
    buckets: dict[str, list[str]] = {}
    others: list[str] = []
    for alternative in (p for a in alternatives for p in _split_top(a)):
        if not alternative.startswith(r"\b"):
            others.append(alternative)
            continue
        for expanded in _expand_head(alternative[2:]):
            head = expanded[:1]
            if re.fullmatch(r"[a-z0-9']", head) and expanded[1:2] not in ("?", "*", "+", "{"):
                buckets.setdefault(head, []).append(expanded[1:])
            else:
                others.append(r"\b" + expanded)
    bucketed = "|".join(re.escape(h) + "(?:" + "|".join(tails) + ")" for h, tails in buckets.items())
    parts = ([r"\b(?:" + bucketed + ")"] if bucketed else []) + others
    return re.compile("|".join(parts))


# --- who is speaking ---------------------------------------------------------------------------
_FIRST_PERSON = _rx(r"\b(?:i|i'm|im|i've|i'd|i'll|me|my|mine|myself|we|we're|we've|our|ours|us)\b")
_SECOND_PERSON = _rx(r"\b(?:you|your|you're|you've|you'll|yours|yourself)\b")

# Advice: a sentence that opens with an instruction, or speaks conditionally to the reader.
_IMPERATIVE_START = _rx(
    r"^(?:just |always |also |then |so |first,? )?(?:try|use|add|make sure|don't|do not|never|check|avoid|"
    r"pull|wash|chill|level|ask|document|pin|appeal|automate|practi[cs]e|rest|caulk|start|set|"
    r"read|film|brace|let|lower|raise|switch|bake|turn|call|consider|remember|put|take|go|look|"
    r"give|focus|keep the|get|record|drink|eat|stretch|lift|sand|tighten|replace|swap|clear|run|"
    r"write|learn|buy|skip|drop|salt|season|preheat|cook|stop worrying|be |feed|water|repot)\b"
)
_ADVICE = _rx(
    r"\bif (?:your|you|you're)\b",
    r"\byou (?:should|need to|want to|can|could|might|may|must|don't need|do not need)\b",
    r"\bmake sure\b",
    r"\b(?:the )?(?:secret|trick|key) (?:is|to)\b",
    r"^(?:to|for) (?:get|stop|avoid|fix|prevent|make|keep|anyone|beginners|freelancers|cramps)\b",
    r"\b(?:usually|typically|often|generally) (?:means|comes?|is|are|just|caused)\b",
    r"\bthat's (?:what|the|exactly)\b",
    r"\bshould (?:be|feel|never|always|not)\b",
    r"\b(?:means|indicates) (?:stop|you|your|it's|that|the)\b",
)
# Generic remarks about people in general rather than the writer's own case.
_GENERIC = _rx(
    r"\b(?:usually|typically|generally|often|commonly)\b",
    r"\b(?:most|many|almost all) (?:people|candidates|beginners|folks|of us|devs|developers)\b",
    r"\b(?:everyone|everybody|almost nobody|nobody can)\b",
    r"\b(?:it's|its|it is) (?:normal|common|fine|okay|ok)\b",
    r"\b(?:a )?common (?:mistake|problem|issue|cause)\b",
    r"\b(?:no shame|nothing wrong|no need|not a (?:big )?(?:problem|deal)|isn't a big deal)\b",
    r"\bpart of (?:it|learning|the process)\b",
    r"\b(?:errors|problems|issues|mistakes) like (?:this|that|these)\b",
)

# --- positive cues -----------------------------------------------------------------------------
# Symptoms and failures: count only in the writer's own situation (see _context_factor).
_SYMPTOM = _rx(
    r"\b(?:hurts?|hurting|aches?|aching|ached|pain|painful|sore|cramps?|cramping|numb|tingl\w*|dizzy|"
    r"nause\w*|injur\w*|tore|torn|strain\w*|sprain\w*|clicks|pinch(?:es|ing)?|swollen)\b",
    r"\b(?:fails?|failed|failing|failure|errors?|broken|breaks|breaking|crash(?:es|ed|ing)?|buggy|"
    r"segfaults?|times? out|timeouts?|stuck|freez(?:e|es|ing)|froze|hangs|lags?|lagging|laggy|"
    r"leak(?:s|ing)?|clog(?:s|ged)?|flood(?:s|ing|ed)?|crack(?:s|ed|ing)|peel(?:s|ing)|mou?ld|"
    r"sticky|jam(?:s|med)|drip(?:s|ping)|sparks|trips|dies|died|drops|dropped|"
    r"stopped \w+ing|not working|doesn't work|don't work|won't work|didn't work|"
    r"not (?:rising|responding|loading|compiling|starting)|gives? out|gave out|grinds? to a halt|"
    r"takes? (?:ages|forever)|violently|rattl\w*|squeak\w*|wobbl\w*|smells? like|stinks?|stains?|"
    r"spots on|rust(?:y|ing)|rott(?:ing|en)|overheat\w*|grinding|fog(?:s|ged|ging)|exits? immediately|"
    r"killed|oom|offline|disconnect\w*|corrupt\w*|refuses? to|plateau(?:ed)?|stall(?:ed|ing)|stiff|"
    r"swelling|bleed\w*|itch\w*|rash|wilt\w*|dying|"
    r"won't (?:start|turn on|boot|load|open|close|stop|drain|flush|sleep|eat|budge|charge|connect|"
    r"compile))\b",
    r"\b(?:burn(?:s|t|ed)?|burning|soggy|mush(?:y)?|rubbery|grainy|collaps(?:e|es|ed)|falls? apart|"
    r"undercooked|overcooked|bland|dense|dull|crystalli[sz]\w*|spread(?:s)? into)\b",
    r"\b(?:rejected|rejections?|ghost(?:ed|ing)|bombed|denied|passed over|underpaid|laid off|layoffs?|"
    r"scam(?:med)?|ignored|blocked|overspend\w*|debt|drowning|behind on|can't afford|"
    r"lost my|losing (?:weight )?so slowly|missed|missing)\b",
    r"\b(?:wrong|problems?|issues?|trouble|mistake)\b",
)
# Weaker symptom words that are also common in neutral text.
_SOFT_SYMPTOM = _rx(
    r"\b(?:slow(?:er|ly)?|late|dry|flat|lost|noisy|worse|worst|bad(?:ly)?|weird|strange|random(?:ly)?|"
    r"nothing|zero|never|barely|only|can't|cannot|won't|weak|tight)\b"
)
# First-person struggle: the writer says they cannot, do not know, keep failing.
_STRUGGLE = _rx(
    r"\b(?:i|we) (?:can't|cannot|can not|couldn't|could not|am unable|was unable)\b",
    r"\bcan't (?:seem|figure|get|find|tell|stick|decide|sleep|focus|remember|reproduce|stop|do|read|"
    r"understand|make|afford|move|touch)\b",
    r"\b(?:i|we) (?:don't|do not|didn't|did not) "
    r"(?:understand|know (?:how|what|why|where|who|whether|if)|get it)\b",
    r"\b(?:no|zero) (?:idea|clue)\b",
    r"\bnot sure (?:what|why|how|where|whether|if)\b",
    r"\b(?:i'm|i am|we're|we are|feeling|feel) (?:\w+ )?(?:stuck|lost|struggling|confused|blocked|"
    r"out of ideas|running out|about to give up|not progressing)\b",
    r"\bstruggl(?:e|es|ing) (?:to|with)\b|\breally struggling\b",
    r"\b(?:i|we) keep\b|\bkeeps? \w+ing\b|\bkeep (?:getting|mixing|rolling|hitting)\b",
    r"\bevery (?:single )?time\b|\bno matter (?:what|how)\b|\bagain\b",
    r"\bstill (?:hasn't|haven't|doesn't|don't|can't|won't|isn't|aren't|rejects|runs|fogs|see|stuck|"
    r"tastes|comes?|crack|get)\b|\bstill \w+s\b",
    r"\b(?:even (?:though|after|with|when)|despite)\b",
    r"\b(?:out of ideas|running out of|tried everything|nothing (?:i try )?works|at a loss)\b",
    r"\b(?:i've|i have|we've) tried\b|\btried (?:\w+ )?(?:all|several|multiple|a few|everything)\b",
    r"\b(?:nothing|none of (?:it|them|these|those)) (?:works|worked|helps|helped|fixed)\b",
    r"\b(?:two|three|four|five|several|multiple|many) times\b|\bi give up\b",
    r"\b(?:doesn't|didn't|won't|wouldn't|don't) (?:help|work|fix|respond|reply|explain|negotiate|tell|"
    r"care|notice|cooperate)\b|\bbarely (?:helps|covers?|works)\b",
    r"\b(?:nobody|no one) (?:will|wants|writes|responds|replies|tells|cares|knows)\b",
    r"\b(?:never|hardly) (?:replies|reply|responds|works|get|gets)\b",
    r"\bmy mind (?:goes|went) blank\b|\bblanking\b|\bi freeze\b|\bmakes? no sense\b",
    r"\bcompletely (?:stuck|lost|wrecked)\b|\bnot cut out\b",
    r"\b(?:hasn't|haven't|isn't|aren't|won't|doesn't|didn't) (?:\w+ )?(?:moved|improved|changed|budged|"
    r"rising|working|helped|recovered|gone|stopped)\b|\banymore\b",
    r"\bworks? (?:fine |perfectly |great )?"
    r"(?:locally|on my machine|in (?:debug|dev|development|staging)|at home)\b",
    r"\b(?:hear|heard|get|got) nothing back\b|\bnever hear back\b",
    r"\bno (?:response|reply|feedback|callbacks?)\b",
)
# Frustration and distress words.
_FRUSTRATION = _rx(
    r"\b(?:frustrat\w*|annoy\w*|hate|hating|ugh+|argh+|exhausted|hopeless|discourag\w*|demorali[sz]\w*|"
    r"panick?(?:ing|ed)?|stressed|stressful|anxiety|anxious|terrified|scared|worried|overwhelmed|"
    r"give up|giving up|losing (?:my )?motivation|miserable|nightmare|useless|awful|terrible|horrible|"
    r"sick of|tired of|fed up|burn(?:t|ed) out|burnout|wrecked|unbearable|killing (?:me|my)|"
    r"embarrass\w*|disappointed|depressing|so done|scary|desperate|wreck(?:s|ing)|the worst part|"
    r"losing my mind|driving me (?:crazy|nuts|insane|mad)|ridiculous|infuriating|pointless|"
    r"waste of (?:time|money)|helpless|i'm done|can't take|wtf|ffs|sigh|exhausting)\b",
)
# Asking for help with something that is going wrong.
_HELP = _rx(
    r"\bwhat am i doing wrong\b|\bwhat (?:went|did i do|do i do|is going) wrong\b",
    r"\bany (?:tips|ideas?|advice|suggestions|help)\b",
    r"(?:^|[.!?]\s*)(?:need )?help(?:\s*[?!.:]|$)|\bneed help\b|\bplease help\b|\bhelp me\b",
    r"\bhow (?:do|can|should|would) (?:i|we) (?:stop|fix|get rid|prevent|deal|handle|raise|bring|"
    r"solve|avoid|cope|get (?:it|this|my|them|past))\b",
    r"\bis (?:that|this|it) normal\b|\bshould i be worried\b|\bis something wrong\b",
    r"\bwhere (?:do|would|should|can) (?:i|you|we) (?:even )?(?:start|look|begin)\b",
    r"\bform check\b|\bwhat (?:to do|should i do|can i do)\b|\bwhat do i do\b",
    r"\bwhy (?:does|do|is|are|won't|doesn't|can't|isn't) (?:my|i|the|our|it|this|these)\b",
    r"\bwhy did (?:my|i|our|it)\b",
    r"\bany (?:way|idea) (?:to|why|how)\b|\bis there a way\b|\bcan someone explain why\b",
    r"\bwhat's going on\b|\bwhat could (?:cause|be causing)\b",
    r"\bdoes anyone know (?:how to (?:fix|stop|get rid|prevent)|why)\b",
    r"\banyone else (?:have|get|experience|dealing|struggl\w*)\b",
    r"\bis it (?:just )?me\b|\bam i the only\b|\bwhat(?:'s| is) wrong with\b",
)
# Unmet needs: wanting something that does not exist or cannot be found.
_NEED = _rx(
    r"\bi (?:really )?need (?:a|an|some|something)\b",
    r"\bi (?:really )?wish (?:there (?:was|were)|i could|someone|it)\b",
    r"\bthere(?:'s| is| are) no (?:good|decent|way|easy|proper|simple|real)\b",
    r"\bis there (?:really )?(?:no|nothing)\b|\bwhy is there no\b",
    r"\bdoes (?:it|this|that|such a thing) exist\b",
    r"\bcan't find (?:any|a|anything|one|practice|good)\b|\bcan't find \w+ (?:anywhere)\b|\banywhere\b",
    r"\bno (?:bank|app|tool|library|resource|one) (?:here )?(?:offers|has|does|supports)\b",
)
# Sarcastic complaints: mock praise followed by something going wrong.
_SARCASM = _rx(
    r"^(?:oh )?(?:good|great|wonderful|fantastic|perfect|lovely|brilliant)[,!]",
    r"\bjust what i needed\b|\blove (?:how|that|it when)\b|\bnothing like (?:a|an)\b|\bmy favou?rite\.",
    r"^thanks?,? \w+(?:,)? for\b|\bvery helpful\.\s*$|\breally great work\b|(?:^|\s)/s\b",
)

# --- negative cues -----------------------------------------------------------------------------
# The problem is over: stories that end well, thanks, congratulations.
_RESOLVED = _rx(
    r"\b(?:fixed|solved|resolved|sorted it|figured it out|nailed|finally|got the job|landed|passed|"
    r"paid off|debt free|pain-free|is gone|are gone|clicked|much better|bulletproof|relief|grateful|"
    r"worked|works now|now i love|down to|thank you|thanks for|congrat\w*|well earned|happy|excited|"
    r"proud|so glad|amazing|delicious|loved it|everyone loved|easier than expected)\b",
    r"\bused to\b|\bafter (?:years|months|weeks) of\b",
    r"\b(?:last (?:year|month)|(?:years?|months?) ago),? (?:i|we) (?:was|were|had)\b",
)
# "nothing wrong with", "not a problem": problem words that deny a problem.
_NEGATED_PROBLEM = _rx(r"\b(?:not|nothing|no|never) (?:\w+ )?(?:wrong|problems?|issues?|big deal|shame)\b")
_PRAISE = _rx(r"\b(?:great|good|nice|best|love|awesome|favou?rite|recommend|enjoy|interesting)\b")


def _sentences(text: str) -> list[str]:
    # Split on sentence ends and line breaks; keep it cheap (no tokenizer library).
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()][:_MAX_SENTENCES]


def _normalise(text: str) -> str:
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def _count(pattern: re.Pattern[str], sentence: str, cap: int) -> int:
    return min(cap, sum(1 for _ in pattern.finditer(sentence)))


def _is_advice(sentence: str) -> bool:
    return bool(_IMPERATIVE_START.search(sentence) or _ADVICE.search(sentence))


def _context_factor(sentence: str) -> float:
    """How much a sentence speaks about the writer's own situation (1) versus advice (0.15)."""
    first = bool(_FIRST_PERSON.search(sentence))
    second = bool(_SECOND_PERSON.search(sentence))
    if _is_advice(sentence):
        return 0.15 if not first or second else 0.4
    if _GENERIC.search(sentence) and not first:
        return 0.15
    if second and not first:
        return 0.3
    return 1.0


def _sentence_score(sentence: str, advice_chunk: bool) -> float:
    ctx = _context_factor(sentence)
    if advice_chunk:
        ctx = min(ctx, 0.3)
    symptoms = _count(_SYMPTOM, sentence, 2) * 0.9 + _count(_SOFT_SYMPTOM, sentence, 2) * 0.3
    struggle = _count(_STRUGGLE, sentence, 3) * 0.9
    frustration = _count(_FRUSTRATION, sentence, 2) * 1.2
    help_seeking = _count(_HELP, sentence, 2) * 1.3
    need = _count(_NEED, sentence, 2) * 1.4
    sarcasm = _count(_SARCASM, sentence, 1) * 1.0
    # Advice mentions symptoms and even struggle words on the reader's behalf; help-seeking and
    # frustration are harder to fake, so they keep more weight.
    return ctx * (symptoms + struggle + need) + max(ctx, 0.5) * (help_seeking + frustration) + sarcasm


def pain_point_score(text: str) -> float:
    """Return how strongly ``text`` states a problem, frustration or unmet need, in [0, 1].

    Args:
        text: a discussion chunk (a post, a comment, or part of one).

    Returns:
        A logistic score; ``>= PAIN_POINT_THRESHOLD`` means a pain point.
    """
    norm = _NEGATED_PROBLEM.sub(" ", _normalise(text))
    sentences = _sentences(norm)
    if not sentences:
        return 0.0
    # A chunk that gives instructions and never speaks of the writer is advice throughout:
    # "Add acid. A squeeze of lemon wakes up bland soup."
    advice_chunk = not _FIRST_PERSON.search(norm) and any(_is_advice(s) for s in sentences)
    scores = sorted((_sentence_score(s, advice_chunk) for s in sentences), reverse=True)
    # The strongest sentence carries the chunk; the others add with diminishing weight so a long
    # chunk with one complaint is not drowned out, and many weak cues still add up.
    raw = scores[0] + 0.5 * sum(scores[1:3]) + 0.2 * sum(scores[3:])
    resolved = _count(_RESOLVED, norm, 3)
    raw -= 1.2 * resolved
    if "?" not in norm and raw < 1.0 and _PRAISE.search(norm):
        raw -= 0.3
    return 1.0 / (1.0 + math.exp(-_SLOPE * (raw - _BIAS)))


def is_pain_point(text: str) -> bool:
    """Return True when ``text`` states a problem, frustration or unmet need (see ``pain_point_score``)."""
    return pain_point_score(text) >= PAIN_POINT_THRESHOLD
