"""The words and regular expressions that stock-reaction extraction is built from.

Used by ``pipeline.nlp.stock_reactions`` and its helpers (the last step of tagging, after the
tagger has found the company mentions). Everything here is data: word lists and the patterns
composed from them, so a reader can check or extend the vocabulary without reading the matching
code.

The patterns run over a *masked* sentence: each company mention is replaced, character for
character, by ``MASK_HEAD`` followed by ``MASK_TAIL``s, so offsets stay those of the text and a
company is matched by ``COMPANY`` whatever its name. All patterns are case-insensitive.
"""

from __future__ import annotations

import re

MASK_HEAD = "\ue000"
MASK_TAIL = "\ue001"
COMPANY = f"{MASK_HEAD}{MASK_TAIL}*(?!{MASK_TAIL})"
"""One company mention (masked)."""

_FLAGS = re.IGNORECASE | re.VERBOSE
_FOLD_TO_ASCII = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))
"""The only characters besides ASCII letters that case-insensitive patterns match as ASCII
letters ("İ", dotless "ı", long "ſ", the Kelvin sign)."""


def fold_case(text: str) -> str:
    """``text`` lower-cased, with the few other letters the case-insensitive patterns take for
    ASCII letters made those letters: a pattern's ASCII words are in it wherever they match."""
    if not text.isascii():  # masked company names, dashes, accents
        for char, letter in _FOLD_TO_ASCII:
            if char in text:
                text = text.replace(char, letter)
    return text.lower()


def _words(*groups: str) -> str:
    """An alternation of the space-separated words (multi-word phrases use ``_``), longest first."""
    items = {word.replace("_", r"\s+") for group in groups for word in group.split()}
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"


# --- numbers: percentages and money ---------------------------------------------------------

_QUALIFIER = _words(
    "as_much_as as_little_as as_high_as nearly almost about around roughly some more_than over",
    "under less_than up_to close_to approximately just_over just_under just a_further",
    "an_additional another an_estimated at_least well_over upwards_of a_little_over",
    "a_little_more_than slightly_more_than slightly_less_than a_whopping a_record an a",
)
QUALIFIERS = rf"(?:{_QUALIFIER}\s+)*"
"""Hedges before a number: "as much as", "nearly", "more than"."""

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip

_NUMBER = r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS)
PERCENT = (
    rf"(?<![\w.])(?P<sign>[+\-−–])?(?P<num>{_NUMBER})"
    r"\s?(?:%|per\s?cent\b|percent(?!age)\b|pct\b)"
)
"""A percentage: "17%", "-3.2%", "17 percent", "17 per cent", "four percent"."""
PERCENT_WORDS = ("%", "cent", "pct")
"""Every ``PERCENT`` match holds one of these (in the text as :func:`fold_case` gives it)."""

MONEY = (
    r"(?:US|C|A|HK)?[$€£¥]\s?\d[\d.,]*(?:\s*(?:trillion|billion|million|bn|tn|mln|mn|[mbt])\b)?"
    r"|\d[\d.,]*\s*(?:trillion|billion|million)(?:\s+(?:dollars|yen|euros|pounds|yuan))?"
)
"""A money amount: "$200 billion", "€5bn" (a money amount is never a magnitude)."""

# --- what a stock is called ------------------------------------------------------------------

_STOCK_NOUN = r"""
    (?:share|stock)\s+prices?
  | shares | stocks? | ADRs? | American\s+depositary\s+(?:shares|receipts)
  | market\s+(?:value|valuation|capitali[sz]ation|cap) | market-cap | m-cap
"""
_NOT_A_STOCK_MOVE_AFTER = _words(
    "of options option awards award buybacks buyback buy-backs buy-back repurchases repurchase",
    "splits split sale sales offering offerings grant grants compensation based market markets",
    "exchange exchanges index indices indexes picker pickers unit units holdings ownership",
    "purchase purchases swap swaps plan plans listing listings count outstanding issuance",
    "dividend dividends price_target price_targets target targets rating ratings analyst analysts",
    "investor investors holder holders trader traders ticker symbol pledge pledges",
    "structure class classes certificate certificates",
)
_NOT_THE_VERB_SHARES = _words(
    "its his her their our your a an the new more some details plans how what that this these",
    "those with insights data information photo photos video videos images screenshots update",
    "updates news thoughts views tips results early first",
)
STOCK_ADJECTIVE = (
    r"(?:(?:class\s+[abc]|common|ordinary|preferred|voting"
    r"|[\w.]+(?:\s[\w.]+)?[- ](?:listed|traded)"
    r"|U\.S\.|US|Hong\s+Kong|Tokyo|New\s+York|London|Nasdaq|NYSE)\s+)?"
)
STOCK_NOUN = (
    rf"(?!shares\s+{_NOT_THE_VERB_SHARES}\b)"
    rf"(?:{_STOCK_NOUN})\b(?![\s-]+{_NOT_A_STOCK_MOVE_AFTER}\b)"
)
"""The stock itself: "shares", "stock", "share price", "market value" (not "stock of GPUs")."""
STOCK_NOUN_WORDS = ("share", "stock", "adr", "depositary", "market", "m-cap")
"""Every ``STOCK_NOUN`` match holds one of these (in the text as :func:`fold_case` gives it)."""

POSSESSIVE_STOCK_NOUN = rf"(?:{STOCK_NOUN}|value(?!\s+(?:of|proposition|chain|to|for|in)\b))"
"""After a company's possessive "value" is the market value too ("off Nvidia's value")."""

# --- the company, as a noun phrase -----------------------------------------------------------

_LEGAL_SUFFIX = (
    r"(?:,?\s+(?-i:Inc|Corp|Corporation|Co|Ltd|Limited|Plc|PLC|AG|SE|NV|N\.V|SA|S\.A|LLC)\b\.?)"
)
_PARENTHESIS = r"(?:\s*\([^()]{1,40}\))"
POSSESSIVE = r"(?:['’]s?)"
_ROLE = _words(
    "partner partners rival rivals backer backers investor investors supplier suppliers customer",
    "customers parent owner peer peers competitor competitors unit subsidiary affiliate spinoff",
    "spin-off",
)
ROLE_FOLLOWS = re.compile(
    rf"{POSSESSIVE}?[\s-]+(?:[\w-]+\s+){{0,2}}?{_ROLE}\s+{MASK_HEAD}", re.IGNORECASE
)
"""After a company that only describes the next one: "Shares of OpenAI partner CoreWeave"."""
COMPANY_NP = (
    rf"(?:{COMPANY}{POSSESSIVE}?[\s-]+(?:[\w-]+\s+){{0,2}}?{_ROLE}\s+)?"
    rf"{COMPANY}{_LEGAL_SUFFIX}?{_PARENTHESIS}?"
)
"""A company mention with a legal suffix or a parenthesis ("Alphabet (NASDAQ: GOOGL)"), or
described by another ("OpenAI partner CoreWeave")."""
_MAX_LISTED = 8
"""Companies a list may have before its "and" (bounded, so matching stays linear)."""
COMPANY_GROUP = (
    rf"{COMPANY_NP}(?:(?:{POSSESSIVE}?\s*,\s*{COMPANY_NP}){{0,{_MAX_LISTED}}}"
    rf"{POSSESSIVE}?\s*,?\s+(?:and|&)\s+{COMPANY_NP})?"
)
"""One company or a list: "Nvidia", "Nvidia and AMD", "Nvidia, AMD and Broadcom"."""
_AND_OTHER = r",?\s+(?:and|as\s+well\s+as)\s+other\s+"
COMPANY_LIST_WITH_OTHER_STOCKS = (
    rf"(?P<group>{COMPANY_NP}(?:\s*,\s*{COMPANY_NP}){{0,{_MAX_LISTED}}}){_AND_OTHER}"
    r"(?:[\w-]+\s+){0,3}?(?:stocks|shares)\b"
)
"""Named stocks in a list with others: "Nvidia, Broadcom and other chip stocks"."""
COMPANY_LIST_WITH_OTHERS = (
    rf"(?P<group>{COMPANY_NP}(?:\s*,\s*{COMPANY_NP}){{0,{_MAX_LISTED}}}){_AND_OTHER}"
    r"(?:[\w-]+\s+){0,2}?(?:[\w-]*makers|companies|firms|names|peers|rivals|giants|players"
    r"|heavyweights)\b"
)
"""Bare company names in a list with others: "Nvidia and other chipmakers"."""

DESCRIPTOR_HEAD = _words(
    "company firm group business maker chipmaker giant titan conglomerate developer designer",
    "startup retailer provider operator owner parent heavyweight behemoth leader platform lender",
    "bank manufacturer supplier producer carmaker automaker foundry",
)
"""Nouns that stand for a company already named: "the chipmaker", "the social media giant"."""

# --- which way it moved ----------------------------------------------------------------------

_UP_WORD_GROUPS = (
    "rise rises rose risen rising climb climbs climbed climbing jump jumps jumped jumping",
    "surge surges surged surging soar soars soared soaring rally rallies rallied rallying",
    "gain gains gained gaining advance advances advanced advancing rebound rebounds rebounded",
    "rebounding recover recovers recovered recovering spike spikes spiked spiking pop pops",
    "popped popping leap leaps leapt leaped leaping rocket rockets rocketed rocketing skyrocket",
    "skyrockets skyrocketed skyrocketing shot_up shoot_up shoots_up shooting_up zoom zoomed",
    "zooming firmed firming increase increases increased increasing double doubled doubling",
    "tripled quadrupled add adds added adding bounce bounces bounced bouncing outperformed",
    "upswing uptick best_day best_week best_session best_month best_performance record_high",
    "all-time_high new_high to_a_record to_record_highs topped topping crossed surpassed eclipsed",
    "highest gainer gainers in_the_green turned_positive",
)
UP_WORDS = _words(*_UP_WORD_GROUPS)
_DOWN_WORD_GROUPS = (
    "fall falls fell fallen falling drop drops dropped dropping decline declines declined",
    "declining slide slides slid sliding slip slips slipped slipping sink sinks sank sunk sinking",
    "tumble tumbles tumbled tumbling plunge plunges plunged plunging plummet plummets plummeted",
    "plummeting slump slumps slumped slumping dive dives dived dove diving nosedive nosedived",
    "nosediving tank tanks tanked tanking crash crashes crashed crashing crater craters cratered",
    "cratering lose loses lost losing loss losses shed sheds shedding retreat retreats",
    "retreated retreating ease eases eased easing dip dips dipped dipping sag sags sagged",
    "sagging skid skids skidded skidding weaken weakens weakened weakening decrease decreases",
    "decreased decreasing halved sell_off sold_off selling_off selloff sell-off rout downturn",
    "gave_up give_up gives_up giving_up underperformed worst_day worst_week worst_session",
    "worst_month record_low lowest loser losers decliner decliners laggard laggards",
    "in_the_red turned_negative under_pressure lagged lagging",
)
DOWN_WORDS = _words(*_DOWN_WORD_GROUPS)
_LEVEL = rf"(?:the\s+)?(?:{MONEY})"
_REACHED = (
    r"(?:hit|hits|hitting|touched|touching|reached|reaching|set|setting|closed\s+at|ended\s+at"
    r"|finished\s+at)\s+(?:a|an|another|its|fresh|new)\s+(?:[\w-]+\s+){0,2}?"
)
_RECORD = rf"{_REACHED}(?:record(?:\s+high)?|high|peak)"
_PERIOD_HIGH_LOW = r"\d+-(?:week|month|year)\s+(?P<period>high|low)"
MARKET_VERB = re.compile(
    rf"(?:closed|closes|closing|ended|finished|settled|traded|trading|opened|{_REACHED}"
    rf"|{_PERIOD_HIGH_LOW})",
    re.IGNORECASE,
)
"""A move phrase that is market talk by itself: "closed at a record", "hit a 52-week low"."""
FLAT_WORDS = (
    r"(?:little|barely|hardly|marginally|mostly|largely|roughly|virtually)[\s-]+"
    r"(?:changed|unchanged|moved)"
    r"|unchanged|flattish"
    r"|flat(?![\s-]+(?:fee|rate|out|screen|panel|structure|organi[sz]ation|tax|line))"
    r"|(?:barely|hardly)\s+(?:budged|moved|changed)"
    r"|(?:held|holds|holding|hold|remained|remains|stayed|stays|was|were|is|are|traded|trading"
    r"|closed|ended|finished)\s+(?:largely\s+|mostly\s+|roughly\s+|broadly\s+|relatively\s+)?steady"
)
_MOVE_VERB = _words(
    "edged edging edges inched inching inches ticked ticking ticks moved moving moves traded",
    "trading trades closed closing closes ended ending ends finished finishing opened opening",
    "opens went going goes headed heading settled settling was were is are been being stood",
    "remained last trended trending drifted drifting",
)

_PHRASAL = (
    "ended ends ending end closed closes closing close opened opens opening open moved moves",
    "moving move headed heads heading head shut shuts wound winds set sets ramped ramps picked",
    "picks turned turns backed backs broke breaks cut cuts slowed slows sped speeds stepped",
    "steps scaled scales signed signs",
)
_NOT_A_PHRASAL_VERB = (
    rf"(?=(?:up|down|higher|lower)\b)"
    rf"(?:(?=(?:higher|lower)\b)|(?=(?:up|down)\s+{QUALIFIERS}[+\-−–]?\d)|"
    + "".join(rf"(?<!\b{verb}\s)" for group in _PHRASAL for verb in group.split())
    + ")"
)
"""Before "up"/"down" without a number: not "ended up", "closed down", "moved up the launch"."""

_TRIGGER = rf"""(?=[+\-−–]|\b\w)  # starts at a word or a sign: a search skips other places fast
    (?P<trigger>
    (?P<flat>{FLAT_WORDS})
  | (?:{_MOVE_VERB}\s+)?(?:{QUALIFIERS}{PERCENT}\s+)(?P<pct_dir>higher|lower|up|down)\b
  | (?:\b{_MOVE_VERB}\s+)?\b{_NOT_A_PHRASAL_VERB}(?P<dir>up|down|higher|lower)\b
    (?!\s+(?:against|to\s+(?:now|date|the\s+task))\b)
  | \b{_PERIOD_HIGH_LOW}\b
  | \b(?<!in\s)(?P<up>{UP_WORDS}|(?:above|past|beyond)\s+{_LEVEL}|{_RECORD})\b(?![\s-]+low\b)
  | \b(?P<down>{DOWN_WORDS}|below\s+{_LEVEL}|{_REACHED}low)\b(?!(?<=declined)\s+to\s)
)"""
TRIGGER = re.compile(_TRIGGER, _FLAGS)
"""A statement of direction: "rose", "fell", "3% higher", "was little changed", "up"."""

UP_DIRECTION_WORDS = frozenset({"up", "higher"})

TICKER_MOVE = re.compile(
    rf"""(?P<company>{COMPANY}){_PARENTHESIS}?\s*:?\s*(?P<open>\()?
    (?: (?P<arrow>[▲▼↑↓])\s?(?P<anum>\d+(?:\.\d+)?)\s?%
      | (?P<sign>[+\-−–])(?P<num>\d+(?:\.\d+)?)\s?% )
    (?(open)\))""",
    _FLAGS,
)
"""A ticker list entry: "NVDA -3.2%", "AVGO +0.4%", "Nvidia (NVDA) ▼3.2%"."""

# --- what may stand between the company and the verb -----------------------------------------

_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_BARE_GAP_WORD = _words(
    "have has had been was were is are be being also briefly initially then later",
    "already still only just sharply slightly modestly steadily further again immediately quickly",
    "subsequently reportedly each both all itself too today yesterday earlier closed ended",
    "finished traded trading opened last stood remained stayed respectively collectively",
    "together led_the led",
)
BARE_MOVE = re.compile(
    rf"""(?:\s*(?:
        {_PARENTHESIS}
      | ,\s*(?:the|a|an|which|who|whose)\b[^,;]{{1,80}},
      | ,\s*(?:meanwhile|however|too|also|though|instead|in\s+contrast|by\s+contrast
          |for\s+(?:its|their)\s+part),
      | :
      | ,(?=\s*(?:up|down)\s+{QUALIFIERS}[\d+])
      | \bamong\s+(?:the\s+)?(?:(?:top|biggest|best|worst|largest|big|notable)\s+)*
      | \b(?:closed|ended|finished|started|opened)\s+(?:the|its)\s+(?:session|day|week|month
          |quarter|year)\b
      | \b{_BARE_GAP_WORD}\b
      | \bon\s+{_DAY}\b
    ))*\s*{_TRIGGER}""",
    _FLAGS,
)
"""A bare company name's verb, after what may stand between: "Nvidia, the chipmaker, also fell"."""

GAP_BREAKER = re.compile(
    r"[;!?]|\.\s|n't\b|\b(?:but|while|whereas|although|though|however|unlike|not|never"
    r"|(?<!more\s)(?<!less\s)(?<!rather\s)than"
    r"|failed|whose|which\s+\w+\s+(?:said|says)|because|when|if|once|until|unless"
    r"|(?:after|before)(?!\s+(?:hours|the\s+(?:bell|close|open)))(?!-))\b",
    re.IGNORECASE,
)
"""Words that end the clause of an explicit stock subject before its verb is reached."""
NOT_YET_A_MOVE = re.compile(
    r"\b(?:(?<!continued\s)(?<!continue\s)(?<!continues\s)(?<!began\s)(?<!begun\s)"
    r"(?<!started\s)(?<!appeared\s)(?<!seemed\s)to|could|may|might|would|will|should|can"
    r"|cannot)\s+$",
    re.IGNORECASE,
)
"""A verb that follows these is a forecast, not a move: "is expected to rise", "could fall"."""

# --- a bare company name needs market context --------------------------------------------------

MARKET_CONTEXT = re.compile(
    r"\b(?:pre-?market|after[- ]hours|extended\s+trading|intraday|the\s+session|opening\s+bell"
    r"|closing\s+bell|market\s+(?:value|valuation|capitali[sz]ation|cap)|market-cap"
    r"|(?:early|late|midday|afternoon|morning|regular|heavy|volatile|active|over-the-counter"
    r"|New\s+York|Tokyo|Hong\s+Kong|Seoul|Taipei|Shanghai|Shenzhen|Frankfurt|London|Paris"
    r"|Nasdaq|NYSE|U\.?S\.?|European|Asian)\s+trading|on\s+Wall\s+Street|on\s+the\s+Nasdaq"
    r"|on\s+the\s+New\s+York\s+Stock\s+Exchange|in\s+(?:Tokyo|Hong\s+Kong|Seoul|Taipei|Shanghai"
    r"|Shenzhen|Frankfurt|Paris|Amsterdam|Zurich|Mumbai|Sydney)|gainers|losers|decliners"
    r"|S&P\s+500|Nasdaq|Dow\s+Jones|Nikkei|Hang\s+Seng|FTSE|Stoxx|KOSPI|Topix)\b",
    re.IGNORECASE,
)
"""Context that makes "Microsoft lost $200 billion" a stock move without the words "shares"."""

NOT_A_STOCK_PERCENT_AFTER = re.compile(
    r"\s*(?:(?:of|more|fewer|less)\b|in\s+(?:\w+\s+)?(?:revenue|sales|profits?|earnings|income"
    r"|users|downloads|traffic|usage|subscribers|share|headcount|staff|jobs|workforce|polls?"
    r"|surveys?|rankings?)"
    r"|(?:year|quarter|month)[- ](?:over|on)[- ](?:year|quarter|month)|from\s+a\s+year"
    r"|y/y|yoy|annually|a\s+year\b)",
    re.IGNORECASE,
)
"""After a bare company's percentage: "lost 10% of its staff", "rose 20% in revenue"."""

INDEX_NAME = re.compile(
    r"^(?:the\s+)?(?:S&P|Nasdaq(?:\s+Composite|\s+100)?|Dow(?:\s+Jones)?|Nikkei|Hang\s+Seng|FTSE"
    r"|DAX|KOSPI|Stoxx|CAC|Russell|Topix|Sensex|Nifty|Philadelphia\s+Semiconductor|SOX)\b"
    r"(?!\s?:)",  # "NASDAQ:NVDA" names a listed company, not the index
    re.IGNORECASE,
)
"""Index names, which move without being a company's stock ("the Nasdaq rose")."""

# --- the words before a subject ----------------------------------------------------------------

_PRE_UP_NOUN_GROUPS = ("rally jump surge gain gains rise climb advance rebound pop spike increase",)
_PRE_DOWN_NOUN_GROUPS = (
    "drop fall decline slide plunge selloff sell-off slump tumble rout loss losses dip crash",
    "decrease",
)
_PRE_UP_NOUN = _words(*_PRE_UP_NOUN_GROUPS)
_PRE_DOWN_NOUN = _words(*_PRE_DOWN_NOUN_GROUPS)
_PRE_ADJECTIVE = (
    r"(?:(?:sharp|steep|big|bigger|biggest|large|huge|massive|modest|slight|sudden"
    r"|further|record|early|late|intraday|one-day|single-day|[\w-]+-day)\s+)*"
)
POSSESSIVE_MOVE = re.compile(
    rf"""(?P<company>{COMPANY_NP}){POSSESSIVE}\s+{QUALIFIERS}{PERCENT}\s+(?:[\w-]+\s+){{0,2}}?
    (?:(?P<up>{_PRE_UP_NOUN})|(?P<down>{_PRE_DOWN_NOUN}))\b
    (?!\s+in\s+(?:\w+\s+)?(?:revenue|sales|profit|earnings|income|users|downloads|traffic|usage
        |subscribers|headcount|staff|jobs|workforce|costs?|prices?|spending|margins?)\b)""",
    _FLAGS,
)
"""A company's move as a noun with its size: "Nvidia's 17% plunge"."""
PRE_NOUN_TRIGGER = re.compile(
    rf"(?:\b(?:a|an|the|its|their)\s+)?(?:{QUALIFIERS}{PERCENT}\s+)?{_PRE_ADJECTIVE}"
    rf"\b(?:(?P<up>{_PRE_UP_NOUN})|(?P<down>{_PRE_DOWN_NOUN}))\s+(?:in|for|of)\s+$",
    re.IGNORECASE,
)
"""A move named before the stock: "a 17% plunge in Nvidia shares"."""

PRE_CAUSE_UP = re.compile(
    r"\b(?:lift|lifts|lifted|lifting|boost|boosts|boosted|boosting|buoy|buoys|buoyed|buoying"
    r"|propel|propels|propelled|propelling|bid\s+up|bidding\s+up)\s+$",
    re.IGNORECASE,
)
PRE_CAUSE_DOWN = re.compile(
    rf"\b(?:weigh(?:s|ed|ing)?\s+on|drag(?:s|ged|ging)?(?:\s+down)?|hit|hits|hitting"
    rf"|hammer(?:s|ed|ing)?|batter(?:s|ed|ing)?|pummel(?:s|l?ed|l?ing)?|rattl(?:e|es|ed|ing)"
    rf"|dent(?:s|ed|ing)?|punish(?:es|ed|ing)?|clobber(?:s|ed|ing)?|sank|sink(?:s|ing)?"
    rf"|crush(?:es|ed|ing)?|slam(?:s|med|ming)?"
    rf"|(?:(?:wip|eras|shav|slic)(?:e|es|ed|ing)|(?:knock|strip|lop)\w*)\s+(?:out\s+|away\s+)?"
    rf"{QUALIFIERS}(?:{MONEY})\s+(?:off|from))\s+$",
    re.IGNORECASE,
)
PRE_ADD_UP = re.compile(
    rf"\badd(?:s|ed|ing)?\s+{QUALIFIERS}(?:{MONEY})\s+to\s+$",
    re.IGNORECASE,
)
"""Causes named before the stock: "lifting Meta shares", "wiping $600 billion off its value"."""

# --- what any move needs -------------------------------------------------------------------


def _key_words(*groups: str) -> set[str]:
    """One word of each phrase (its longest), which any match of the phrase holds whole."""
    words = set()
    for group in groups:
        for phrase in group.split():
            parts = phrase.replace("-", "_").split("_")
            words.add(max(reversed(parts), key=len))
    return words


MOVE_WORDS = frozenset(
    _key_words(*_UP_WORD_GROUPS, *_DOWN_WORD_GROUPS, *_PRE_UP_NOUN_GROUPS, *_PRE_DOWN_NOUN_GROUPS)
    | {"up", "down", "higher", "lower", "high", "low", "above", "past", "beyond", "below",
       "record", "peak"}
)
"""Whole words (lower case) of which every direction word holds one: ``TRIGGER`` (so
``BARE_MOVE``), ``PRE_NOUN_TRIGGER`` and ``POSSESSIVE_MOVE``. With :data:`MOVE_STEMS` and "%"
(``TICKER_MOVE``) a sentence without any of them states no move, and its subjects need not be
looked for. Keep in step with the patterns above when adding an alternative that is not made of
the word lists."""
MOVE_STEMS = (
    "changed", "unchanged", "moved", "flat", "budged", "steady",  # FLAT_WORDS (no word end)
    "lift", "boost", "buoy", "propel", "bid", "add",  # PRE_CAUSE_UP, PRE_ADD_UP
    "weigh", "drag", "hit", "hammer", "batter", "pummel", "rattl", "dent", "punish", "clobber",
    "sank", "sink", "crush", "slam", "wip", "eras", "shav", "slic", "knock", "strip", "lop",
)
"""Word starts (lower case) of which every other move pattern holds one: the flat words, which
``TRIGGER`` does not end at a word boundary (``flat`` also matches "flatten"), and the causes
before a subject (``PRE_CAUSE_UP``, ``PRE_CAUSE_DOWN``, ``PRE_ADD_UP``)."""

# --- the event a move follows ----------------------------------------------------------------

EVENT_MARKER = re.compile(
    r"\b(?:following|after|in\s+the\s+wake\s+of|in\s+response\s+to|on\s+the\s+back\s+of|upon"
    r"|amid|thanks\s+to|due\s+to|because\s+of|on)\s+",
    re.IGNORECASE,
)
LEADING_EVENT = re.compile(
    r"^\s*(?:following|after|in\s+the\s+wake\s+of|in\s+response\s+to|on\s+the\s+back\s+of"
    r"|on\s+news\s+(?:of|that)|amid)\s+(?P<event>[^,;]{2,100}),",
    re.IGNORECASE,
)
EVENT_END = re.compile(
    r"[,;:!?()\[\]—–]|\.(?:\s|$)"
    r"|(?<!much)(?<!many)(?<!high)(?<!little)(?<!low)(?<!far)(?<!well)"  # not "as much as"
    r"\sas\b(?!\s+(?:much|many|high|little|low|far|well)\s+as\b)"
    r"|\s(?:while|but|whereas|although|which|when|sending|pushing|lifting"
    r"|and\s+(?:its|the|their|shares|stock)|to\s+(?:close|end|finish|settle|a\s+record)"
    r"|in\s+(?:premarket|pre-market|after-hours|extended|early|late|midday|afternoon|morning"
    r"|regular|intraday|heavy))\b",
    re.IGNORECASE,
)
"""Where an event phrase ends: a clause break, or a word that starts another clause ("as", not
"asked" nor "as much as")."""
NOT_AN_EVENT = re.compile(
    rf"^(?:(?:the\s+)?(?:{_DAY}|day|week|month|year|session|morning|afternoon|evening|close|open"
    r"|opening\s+bell|bell|weekend|quarter)\b"
    r"|(?:the\s+)?(?:Nasdaq|NYSE|Wall\s+Street|stock\s+market|exchange"
    r"|New\s+York\s+Stock\s+Exchange)\b|hours|after-hours|trading\b|markets?\s+closed"
    r"|track|pace|course|the\s+year|a\s+(?:day|week)|(?:rising|falling|climbing|dropping|gaining"
    r"|losing|jumping|sliding|tumbling|hitting|touching|posting)\b|record|paper|average|\d)",
    re.IGNORECASE,
)
_FUNCTION_WORD = _words(
    "a an the of to for and or nor in on at by with from into onto over under than as that",
    "which who its their his her our this these those per about after before since until",
    "during amid following through across against between among within without via",
)
_SCALE = _words("hundred thousand million billion trillion bn mn tn")
_UNIT_PREFIX = _words("square cubic metric")
QUANTITY = re.compile(
    rf"""(?<!\S){QUALIFIERS}(?:[$€£¥]\s?)?(?:\d[\d.,]*|{'|'.join(NUMBER_WORDS)})\b
    (?: \s?(?:%|percent\b|per\s?cent\b)
      | (?:\s+{_SCALE}\b)*
        (?:\s+(?:{_UNIT_PREFIX}\s+)?(?!{_FUNCTION_WORD}\b)(?-i:[a-z][a-z-]*)\b)? )""",
    _FLAGS,
)
"""A quantity with its hedges, scale and unit: "an additional 2 gigawatts", "$100 billion",
"about 2.4 million square feet", "40%". An event phrase is never cut inside one."""
DANGLING_END = re.compile(rf"(?:\s+{_FUNCTION_WORD})+$", re.IGNORECASE)
"""Function words a cut phrase must not end with ("... had agreed to")."""

TRAILING_TIME = re.compile(
    rf"(?:\s+(?:on|last|this|earlier|late|early|next)\s+\w+|\s+(?:{_DAY}|yesterday|today))+\s*$",
    re.IGNORECASE,
)
