"""The word lists the tagging rules read, kept in one place so the rules stay short and readable.

Where it sits in the flow: data only. ``context`` and ``unknown_models`` look tokens up here while
reading a spaCy ``Doc``; ``disambiguation`` never sees words, only the facts derived from them.
All entries are lower case; lookups use ``token.lower_``. The lists are general English and
AI-news vocabulary, never words picked to make one test sentence pass.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


AI_WORDS = _words("""
    ai a.i. agi genai llm llms slm model models chatbot chatbots neural network networks
    learning reasoning multimodal benchmark benchmarks inference training trained fine-tuned
    fine-tuning finetuned tokens token parameters weights open-source open-weight open-weights
    prompt prompts prompting agent agents agentic generative transformer transformers dataset
    datasets gpu gpus compute datacenter datacenters api apis code coding developers algorithm
    algorithms superintelligence intelligence artificial automation robotics version versions
    startup startups lab labs frontier context-window hallucination hallucinations alignment
    chip chips semiconductor semiconductors software assistant assistants copilot users
""")
"""Vocabulary of AI and technology news; a few of these near an ambiguous name make the AI or
company reading topical (``Gemini`` beside "model" and "benchmark" is not the zodiac sign)."""

OFF_TOPIC_WORDS = _words("""
    horoscope horoscopes zodiac astrology astrological astrologer star-sign sign signs taurus
    aries cancer leo virgo libra scorpio sagittarius capricorn aquarius pisces birthday
    pie pies fruit fruits juice cider orchard orchards tree trees recipe recipes bake baked
    baking eat eating ate harvest grocery vegetable vegetables
    animal animals alpaca alpacas farm farms farmer wool herd herds pasture zoo camel camels
    andes graze grazing grazed fleece
    painter painting paintings painted impressionist museum canvas poet novelist composer
    symphony sculptor actor actress singer guitarist wife husband son daughter grandfather
    car cars sedan suv suvs truck trucks pickup vehicle vehicles horsepower mpg dealership
    dealerships engine engines hatchback coupe motorcycle
    football soccer basketball baseball striker goalkeeper quarterback team's season's
    constellation telescope observatory astronaut astronauts mission nasa spacecraft
    hadoop etl pyspark
    rainforest river rivers jungle basin forest deforestation hurricane storm tornado
""")
"""Words of the other readings of ordinary-word names: astrology, food, animals, art and
people, cars, sport, astronomy and data engineering. Only consulted when no strong evidence
supports the AI or company reading."""

BUSINESS_WORDS = _words("""
    company companies firm startup startups revenue revenues profit profits sales earnings
    valuation valued funding raised raise investors investor investment acquisition acquired
    deal deals customers customer contract contracts ipo shares stock market billion million
    ceo executive executives employees staff layoffs price prices percent % $
""")
"""Business vocabulary: near an ordinary-word company name it makes the company reading
topical (``Lovable said revenue jumped 60%``)."""

COMPANY_HEADS = _words("""
    company startup firm maker provider developer designer chipmaker lab laboratory group
    platform giant operator unit subsidiary division venture conglomerate retailer
""")
"""Nouns of an apposition that make the name before it a company (``Lambda, the GPU cloud
provider``, ``Scale, the data-labelling company``)."""

MODEL_STRONG_AFTER = _words("llm llms chatbot chatbots")
"""A word right after a name that makes it an AI model (``Claude chatbot``)."""

MODEL_WEAK_AFTER = _words("""
    model models app apps assistant family series api subscription subscribers users
    version versions update updates
""")
"""Words after a name that fit an AI product but also other things (a car ``model``)."""

MODEL_WEAK_BEFORE = _words("""
    using via prompted asked chatbot chatbots model models like rival rivals including
    versus vs vs. compared
""")

COMPANY_STRONG_AFTER = _words("""
    inc inc. corp corp. corporation ltd ltd. llc plc co co. holdings shares stock stocks
    ceo cfo cto chief executive executives founder founders co-founder spokesperson
    spokesman spokeswoman headquarters investors earnings revenue revenues valuation
""")
"""A word right after a name (possessive ``'s`` skipped) that makes it a company."""

COMPANY_WEAK_AFTER = _words("""
    said says announced announces unveiled unveils launched launches released releases
    reported reports plans planned acquired acquires invested invests hired hires sued
    introduced introduces debuted partnered partners employees engineers researchers
    team teams division unit platform platforms rose fell jumped slipped gained dropped
""")

COMPANY_VERBS = _words("""
    said says told declined declines did does would could has had confirmed
    confirms denied denies responded responds announced announces plans expects reported
    reports disclosed discloses
""")
"""Verbs right after a company as the subject of its sentence (``Amazon did not comment``,
``Huawei declined to say``): at a sentence start, with the company named elsewhere in the
article, they make an ambiguous name the company."""

COMPANY_STRONG_BEFORE = _words("""
    shares stake ceo cfo cto founder co-founder acquired acquire acquisition investors
    spokesperson spokesman spokeswoman
""")
"""A word right before a name (``of`` skipped) that makes it a company (``shares of Arm``)."""

COMPANY_WEAK_BEFORE = _words("at from by rival rivals like including versus vs vs. with")

PERSON_TITLES = _words("""
    mr mr. mrs mrs. ms ms. dr dr. sir dame prof prof. professor saint st st. lord lady
    jean pierre jean-claude painter artist novelist author writer poet actor actress singer
    composer physicist inventor hurricane
""")
"""Words before a first name that make it a person (``Mr. Claude``, ``painter Claude``)."""

PERSON_PRONOUNS = _words("he she his her him himself herself")

PRODUCT_WORDS = _words("""
    pro max plus ultra flash nano mini lite turbo enterprise team teams business edu code
    live studio advanced assistant chat app apps cloud robotics vision voice search agent
    agents labs lab research deep think thinking instruct preview experimental api sdk
""")
"""Capitalised words after a model name that name its edition, not another entity
(``Claude Enterprise``, ``Gemini Live``), unlike a surname (``Claude Monet``)."""

NAMING_WORDS = _words("named codenamed dubbed called")
"""Words that give a model its name after a head noun (``a new model, code-named Avocado``)."""

RELEASE_VERBS = _words("""
    described describes presented presents detailed details published publishes
    unveiled unveils unveil unveiling launched launches launch launching released releases
    release releasing introduced introduces introduce introducing announced announces
    debuted debuts debut open-sourced open-sources shipped ships previewed previews teased
    teases dropped rolled rolls
""")
"""Verbs that introduce a new model by name (``Meta unveiled X``)."""

VERBS_TAKING_MODELS = _words("""
    need needs needed want wants wanted use uses used build builds built train trains trained
    make makes made offer offers offered develop develops developed run runs ran deploy deploys
    deployed sell sells sold buy buys bought has have had host hosts hosted serve serves served
    lack lacks lacked require requires required support supports supported license licenses
    licensed control controls controlled own owns owned prefer prefers preferred adopt adopts
    adopted choose chooses chose test tests tested design designs designed create creates
    created produce produces produced fund funds funded back backs backed
""")
"""Verbs whose object is a model: a capitalised word right before one followed by "... models"
is the clause's subject ("Europe needs frontier models"), not a model's name."""

MODEL_HEADS = _words("model models llm llms chatbot")
"""The nouns an unknown model's description ends in (``X, a large language model``)."""

MODEL_TYPE_WORDS = _words("""
    ai llm language large small reasoning multimodal foundation frontier open-source
    open-weight open-weights coding code video image text-to-image text-to-video speech voice
    audio music vision generative agentic flagship next-generation next-gen general-purpose
    omni thinking lightweight compact distilled diffusion embedding world robotics open
    source weight weights parameter parameters byte-level experimental
""")
"""Words between a name and its head noun that make ``model`` an AI model."""

NOT_MODEL_HEADS = _words("""
    chip chips gpu gpus processor processors accelerator accelerators server servers card
    cards phone phones smartphone smartphones laptop laptops car cars vehicle vehicles
    truck trucks engine engines console consoles headset headsets glasses watch tablet
    jet jets aircraft plane planes rocket rockets satellite satellites drug drugs vaccine
    act law bill fund funds round results quarter earnings guidance report rocket rockets
    launcher missile missiles satellite
""")
"""Nouns after a version-shaped name that make it hardware or something else, not a model."""

NAME_STOP_WORDS = _words("""
    ai agi llm llms api gpu gpus ceo cto cfo new latest next first second third own the
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow
    american chinese european french german british english indian japanese korean israeli
    canadian russian italian spanish dutch swiss swedish emirati saudi taiwanese asian
    african australian brazilian western eastern silicon valley
    however meanwhile earlier later unlike despite also still
""")
"""Capitalised words that are not model names (``the Chinese model``, ``its new AI model``)."""

GENERIC_TERMS = _words("""
    ai a.i. agi asi genai llm llms slm ml nlp api apis gpu gpus cpu cpus tpu tpus ceo ceos
    cto cfo coo ipo r&d ui ux saas paas iaas it vr ar xr iot ev evs
""")
"""Acronyms that are never an organisation or a ticker on their own; ``AI`` is never an entity."""

SECTOR_WORDS = _words("""
    tech technology technologies software hardware chip chips chipmaker chipmakers semiconductor
    semiconductors internet cloud energy oil gas utility utilities bank banks banking financial
    financials fintech insurance insurers healthcare biotech pharma pharmaceutical
    pharmaceuticals retail retailers consumer industrial industrials materials mining telecom
    telecoms media auto autos automotive automakers defense defence aerospace airline airlines
    crypto ai mega-cap megacap large-cap mid-cap small-cap blue-chip big stocks shares equities
    sector sectors
""")
"""Words of a market sector or a group of stocks ("Tech", "Software", "Big Tech"): a name made
only of them is not an organisation, however the statistical NER labels it at the start of a
sentence. Nationalities are left out: "American Airlines" is a company."""


def names_a_sector(name: str) -> bool:
    """Whether every word of ``name`` is a sector word (``Tech``, ``Big Tech``), so that it
    names a part of the market, not a company."""
    words = name.lower().replace("’", "'").split()
    return bool(words) and all(word.strip(",.:;'\"") in SECTOR_WORDS for word in words)

MARKET_WORDS = _words("""
    shares share stock stocks premarket pre-market after-hours trading traded trades session
    closed flat unchanged higher lower
    rose rise rises rising fell fall falls falling jumped jump jumps gained gain gains
    slipped slid slump slumped surged surge soared tumbled dropped drop climbed declined
    rallied plunged nasdaq nyse ticker tickers percent pct points
""")
"""Words that make an upper-case word beside them a ticker (``META shares rose``)."""

SENTENCE_ABBREVIATIONS = _words("""
    mr mrs ms dr prof sr jr st vs no fig approx gen gov sen rep e.g i.e u.s u.k u.n
""")
"""Words ending in a period that do not end a sentence (``Dr. Smith``, ``e.g. Llama``)."""

CORPORATE_SUFFIXES = _words("corp inc co cos ltd plc llc lp bhd")
"""Legal suffixes that end a company name, not a sentence, when a bracket follows
(``Microsoft Corp. (MSFT) gained``); before a capital they may well end one (``... Apple Inc.
The deal``), so there they still count as a sentence end."""
