"""Company legal forms and generic words: tokens that must neither make nor break a match.

"EMMA LLC" must not match "Emma Daniels" because of "LLC", and "Rosneft" must
still match "ROSNEFT OIL COMPANY PJSC". Legal forms are removed before
alignment (and shown as ignored in the explanation); generic words stay but
weigh little. Lists are in normalised token form (see names.name_tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from itertools import product

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Multi-token forms (longest first, so "limited liability company" is removed whole).
LEGAL_FORM_SEQUENCES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "limited liability company", "limited liability partnership", "limited partnership",
                "public limited company", "private limited company", "joint stock company",
                "closed joint stock company", "open joint stock company", "public joint stock company",
                "private joint stock company", "closed type joint stock company", "open type joint stock company",
                "co ltd", "company limited", "company ltd", "pty ltd", "pvt ltd", "private limited",
                "sdn bhd", "s de rl", "s de rl de cv", "sa de cv", "s a", "s a de c v", "de cv",
                "gmbh co kg", "co kg", "ltd co", "ltd liability co", "l l c", "s r l", "s p a", "sp z o o",
                "you xian gong si", "gu fen you xian gong si", "you xian ze ren gong si",
                "obshchestvo s ogranichennoy otvetstvennostyu", "aktsionernoe obshchestvo",
                "otkrytoe aktsionernoe obshchestvo", "zakrytoe aktsionernoe obshchestvo",
                "publichnoe aktsionernoe obshchestvo", "nepublichnoe aktsionernoe obshchestvo",
                "tovarystvo z obmezhenoyu vidpovidalnistyu", "aktsionerne tovarystvo",
                "ltd sti", "limited sirketi", "anonim sirketi",
                "public company", "holding company",
                # Spelled out, in the languages the lists and their parties use (issue 14, class 5),
                # each the long form of an abbreviation above or in LEGAL_FORM_TOKENS.
                "gesellschaft mit beschrankter haftung", "kommanditgesellschaft auf aktien",
                "societe anonyme", "societe a responsabilite limitee", "societe par actions simplifiee",
                "societe en nom collectif", "sociedad anonima", "sociedad limitada", "sociedad de responsabilidad limitada",
                "sociedad anonima de capital variable", "sociedad de responsabilidad limitada de capital variable",
                "sociedade anonima", "sociedade limitada", "sociedade por quotas",
                "empresa individual de responsabilidade limitada", "societa per azioni",
                "societa a responsabilita limitata", "societa in accomandita semplice",
                "spolka z ograniczona odpowiedzialnoscia", "spolka akcyjna", "spolka komandytowa",
                "besloten vennootschap", "naamloze vennootschap", "besloten vennootschap met beperkte aansprakelijkheid",
                "spolecnost s rucenim omezenym", "akciova spolecnost", "korlatolt felelossegu tarsasag",
                "zartkoruen mukodo reszvenytarsasag", "societate cu raspundere limitata", "societate pe actiuni",
                "drustvo sa ogranicenom odgovornoscu", "druzhestvo s ogranichena otgovornost", "aktsionerno druzhestvo",
                "perseroan terbatas", "sendirian berhad", "free zone establishment", "free zone company",
                "free zone limited liability company", "limited liability company free zone",
                "anonymi etaireia", "etaireia periorismenis efthynis",
                "obshchestvo s ogranichennoi otvetstvennostyu", "obshchestvo s ogranichennoy otvetstvennostiu",
                "obshchestvo s dopolnitelnoi otvetstvennostyu", "tovarystvo z obmezhenoiu vidpovidalnistiu",
                "tovaristvo z obmezhenoyu vidpovidalnistyu", "pryvatne aktsionerne tovarystvo",
                "publichne aktsionerne tovarystvo", "zakrytae aktsyyanernae tavarystva",
                "tavarystva z abmezhavanai adkaznastsyu", "zhauapkershiligi shekteuli seriktestik",
                "tovarishchestvo s ogranichennoi otvetstvennostyu", "aktsionernoe obshchestvo zakrytogo tipa",
                "kabushiki kaisha", "godo kaisha", "yugen kaisha", "zhu shi hui she", "ju sik hoe sa", "jusik hoesa",
                "chusik hoesa", "cong ty trach nhiem huu han", "cong ty co phan", "trach nhiem huu han",
                "gu fen gong si", "jituan you xian gong si", "you xian gong si", "youxian gongsi", "gufen youxian gongsi",
                "sanayi ve ticaret anonim sirketi", "sanayi ve ticaret limited sirketi", "ticaret anonim sirketi",
                "ticaret limited sirketi", "sherkat sahami khas", "sherkate sahami khas", "sherkat sahami aam",
                "sahami khas", "sahami aam", "sharikat dhat masuliya mahduda", "dhat masuliya mahduda",
                "dht mswwlyh mhdwdh", "with limited liability", "limited liability", "private limited liability company",
                "sole proprietorship", "general partnership", "de capital variable", "sociedad anonima bursatil",
                "compania anonima", "ednolichno druzhestvo s ogranichena otgovornost",
                "ednolichno aktsionerno druzhestvo", "proprietary limited", "pty limited",
                "sociedad anonima promotora de inversion", "sab de cv", "s a b de c v", "sapi de cv",
            )
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip

LEGAL_FORM_TOKENS: frozenset[str] = frozenset(
    """
    llc ltd limited inc incorporated corp corporation co company plc llp lp gmbh ag kg mbh ug
    sa sas sarl srl spa sl sau bv nv oy ab as asa aps kft zrt sro spol doo dd ad ead ood
    jsc ojsc cjsc pjsc ao oao zao pao ooo tov pp chp ip fzco fze fzc fzllc llc-fz dmcc wll
    pte pty pvt bhd sdn tbk pt cv sc scs snc sp zoo sprl bvba ltda eireli me epp sti
    youxiangongsi gufenyouxiangongsi jituan
    aktiengesellschaft kommanditgesellschaft limitada limitee ltee berhad eood dooel sherkat sharikat shirkat shrkh
    aktiebolag aktieselskab anpartsselskab allmennaksjeselskap osakeyhtio tnhh
    ca sae saa sac saic sal psc bsc qsc kscc saog saoc
    """.split()
)

# Legal forms that never occur in a person's name: a "person" carrying one is a
# company the caller typed wrongly. (Short forms such as "sa", "co", "ag" or "sas"
# are also surnames, as are "pao" and "zao", so they are not here.)
ORGANISATION_MARKERS: frozenset[str] = frozenset(
    """
    llc ltd limited inc incorporated corp corporation company plc llp gmbh mbh jsc ojsc cjsc pjsc oao ooo
    ltda eireli sarl srl sprl bvba pte pty pvt bhd sdn tbk fzco fze fzc fzllc llc-fz dmcc wll kft zrt sro
    youxiangongsi gufenyouxiangongsi
    """.split()
)

# Words that describe rather than identify: weighed down, never dropped. Honorifics
# are here too, not removed: "Haji" is a title for some parties and a name for others.
GENERIC_WORDS: frozenset[str] = frozenset(
    """
    trading trade traders international intl global group holding holdings bank company industrial
    industries industry import export imports exports general services service enterprise enterprises
    technology technologies tech development investment investments commercial commerce resources
    logistics shipping transport energy engineering construction manufacturing products production
    national united new the and of de del la le al el for in und et y e
    mr mrs ms miss dr prof sir sheikh shaykh haji hajji
    """.split()
)
# Words that join the others ("Banco Nacional de Cuba", "Bank of ..."): never a conflict between
# two names, whichever of them lacks one.
FUNCTION_WORDS: frozenset[str] = frozenset("the and of de del la le al el for in und et y e du des da do di".split())
# Titles written before a name, which are not parts of it.
HONORIFICS: frozenset[str] = frozenset("mr mrs ms miss dr prof sir".split())


def _one_deletion(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))} | {token}


# Long legal-form words with one typo are still legal forms ("limitd", "companu"):
# a deletion index over them, built once.
_FUZZY_FORMS: dict[str, str] = {}
# (Words like "joint", "stock", "public" or "holding" are legal forms only inside a
# sequence, so they are not in this set: "Public Security Bureau" keeps "public".)
for _form in sorted(LEGAL_FORM_TOKENS | {"liability", "partnership"}):
    if len(_form) >= 6:
        for _variant in _one_deletion(_form):
            _FUZZY_FORMS.setdefault(_variant, _form)


# The first two letters of every entry of _FUZZY_FORMS: a token none of whose one-letter deletions
# (nor itself) begins like one cannot be in it, and most words two names make when run together
# (rejoin_split_forms asks of every neighbouring pair) end there without building the deletions.
_FUZZY_PREFIXES: frozenset[str] = frozenset(variant[:2] for variant in _FUZZY_FORMS)


def _may_be_legal_form_word(token: str) -> bool:
    """False where is_legal_form_word is surely False, without its cache: rejoin_split_forms asks it of
    every two neighbouring words run together, strings seen once that would only push others out."""
    if token in LEGAL_FORM_TOKENS:
        return True
    if len(token) < 6:
        return False
    # Deleting a letter from the third on keeps token[:2]; the second, token[0] + token[2]; the first, token[1:3].
    return token[:2] in _FUZZY_PREFIXES or token[0] + token[2] in _FUZZY_PREFIXES or token[1:3] in _FUZZY_PREFIXES


@lru_cache(maxsize=100_000)  # per token / name: every screening asks again for the same words
def is_legal_form_word(token: str) -> bool:
    """A legal-form word, allowing one typo in words of six letters or more."""
    if token in LEGAL_FORM_TOKENS:
        return True
    if not _may_be_legal_form_word(token):
        return False
    return any(variant in _FUZZY_FORMS for variant in _one_deletion(token))


# Sequences by their words in sorted order: a typist may swap them ("joint company
# stock"), and the words alone are too plain to mean anything else together.
_SEQUENCES_BY_WORDS: dict[tuple[str, ...], tuple[str, ...]] = {
    tuple(sorted(form)): form for form in LEGAL_FORM_SEQUENCES
}
_SEQUENCE_LENGTHS: tuple[int, ...] = tuple(sorted({len(form) for form in LEGAL_FORM_SEQUENCES}, reverse=True))
_SEQUENCE_WORDS: frozenset[str] = frozenset(word for form in LEGAL_FORM_SEQUENCES for word in form)
# Inside a sequence, words of four letters or more may carry one typo ("jiont stok
# company"): the neighbouring form words vouch for them.
_FUZZY_SEQUENCE_WORDS: dict[str, list[str]] = {}
for _word in sorted(_SEQUENCE_WORDS):
    if len(_word) >= 4:
        for _variant in _one_deletion(_word):
            _FUZZY_SEQUENCE_WORDS.setdefault(_variant, []).append(_word)


@lru_cache(maxsize=100_000)
def _sequence_words(token: str) -> tuple[str, ...]:
    """The sequence words this token may be (sorted; () for none), allowing one typo from four letters on.

    Every one of them: a typo may sit as near to two words ("dong" to "cong" and "gong"), and taking
    the first found made the reading depend on set order, which differs between processes (each
    server worker and each replay could strip a different legal form and score differently).
    """
    if token in _SEQUENCE_WORDS:
        return (token,)
    if len(token) < 4:
        return ()
    return tuple(
        sorted(
            {
                word
                for variant in _one_deletion(token)
                for word in _FUZZY_SEQUENCE_WORDS.get(variant, ())
                if OSA.distance(token, word, score_cutoff=1) <= 1
            }
        )
    )


def _sequence_at(readings: list[tuple[str, ...]], start: int, count: int) -> int:
    """The length of the longest legal-form sequence the words from `start` on may be read as, or 0."""
    for size in _SEQUENCE_LENGTHS:
        if start + size > count:
            continue
        window = readings[start : start + size]
        if all(window) and any(tuple(sorted(words)) in _SEQUENCES_BY_WORDS for words in product(*window)):
            return size
    return 0


@lru_cache(maxsize=100_000)  # per token / name: every screening asks again for the same words
def strip_legal_forms(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(remaining tokens, removed legal-form tokens). Never removes every token."""
    kept: list[str] = []
    removed: list[str] = []
    readings = [_sequence_words(token) for token in tokens]
    count = len(tokens)
    i = 0
    while i < count:
        # Most tokens are no sequence word: no window starting there can be a sequence.
        size = _sequence_at(readings, i, count) if readings[i] else 0
        if size:
            removed.extend(tokens[i : i + size])
            i += size
            continue
        if is_legal_form_word(tokens[i]):
            removed.append(tokens[i])
        else:
            kept.append(tokens[i])
        i += 1
    if not kept:  # "AO" alone, or a company called "Limited": keep what there is
        return tokens, ()
    return tuple(kept), tuple(removed)


# Legal-form words of four letters or more, for a query token no list contains:
# "ojscx", "copr", "lmiitd" are legal forms typed badly, not names.
_TYPO_CHECKED_FORMS: tuple[str, ...] = tuple(sorted(t for t in LEGAL_FORM_TOKENS if len(t) >= 4))


def legal_form_typo(token: str) -> str | None:
    """The legal-form word an unknown token is a typo of: one edit, two from seven letters on."""
    if len(token) < 4 or token in LEGAL_FORM_TOKENS:
        return None
    found = process.extractOne(token, _TYPO_CHECKED_FORMS, scorer=OSA.distance, score_cutoff=2)
    if found is None:
        return None
    form, distance, _ = found
    allowed = 2 if len(form) >= 7 and len(token) >= 5 else 1
    return form if distance <= allowed else None


# The world's most frequent given names and surnames. A list rarely holds them
# often enough for IDF to notice, but innocent customers carry them every day:
# "Wang Wei" or "Muhammad Ali" sharing two such tokens with a listed name is weak
# evidence. Weighed down like generic words.
COMMON_NAME_PARTS: frozenset[str] = frozenset(
    """
    wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie song tang
    wei ming hua jun jian hong ying ping yan lei jie xin yu fang jing li na min hui
    kim lee park choi jung kang cho yoon jang lim han oh seo shin kwon hwang ahn song yoo hong jeon ko moon
    nguyen tran le pham hoang phan vu dang bui do ho ngo duong ly van thi
    muhammad ahmad ali hasan husayn abd abu ibn bin bint khan mahmud umar yusuf ibrahim mustafa khalid
    singh kumar sharma gupta patel shah das devi lal ram
    garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera gomez diaz
    jose juan carlos luis maria ana miguel pedro antonio manuel
    smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin jackson
    john james robert michael william david richard joseph mary
    ivanov smirnov kuznetsov popov petrov sokolov ivan sergei aleksandr vladimir nikolai andrei dmitri
    """.split()
)


@lru_cache(maxsize=100_000)  # per token / name: every screening asks again for the same words
def rejoin_split_forms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Rejoin a legal-form word a typist split ("com pany", "lim ited"); "m limited" stays apart."""
    out: list[str] = []
    count = len(tokens)
    i = 0
    while i < count:
        token = tokens[i]
        if i + 1 < count:
            joined = token + tokens[i + 1]
            if (
                len(joined) >= 5
                and _may_be_legal_form_word(joined)
                and not is_legal_form_word(token)
                and not is_legal_form_word(tokens[i + 1])
                and is_legal_form_word(joined)
            ):
                out.append(joined)
                i += 2
                continue
        out.append(token)
        i += 1
    return tuple(out)


# Neighbouring words of a multi-word form typed as one ("jointstock", "coltd",
# "otkrytoeaktsionernoe"), to be split back.
GLUED_SEQUENCE_PARTS: dict[str, tuple[str, ...]] = {
    "".join(form[start:end]): form[start:end]
    for form in LEGAL_FORM_SEQUENCES
    for start in range(len(form))
    for end in range(start + 2, len(form) + 1)
    if len("".join(form[start:end])) >= 5
}


# Legal forms that get glued to a name ("KOHASAG", "PELENGJSC", "FINROSTLIMITED").
_GLUABLE_FORMS = frozenset({t for t in LEGAL_FORM_TOKENS if len(t) >= 2} | {"".join(s) for s in LEGAL_FORM_SEQUENCES})
_LONGEST_FORM = max(len(form) for form in _GLUABLE_FORMS)


MIN_NAME_LEFT_OF_GLUED_FORM = 4


def split_glued_form(token: str, known: Callable[[str], bool]) -> tuple[str, ...]:
    """("kohas", "ag") for "kohasag" when "kohas" is a known name token; else (token,).

    Long forms ("limited", "company") split off whatever precedes them; short ones
    ("ag", "co") only when the rest is a token some list contains, so "shag" stays whole.
    Longest form first, suffix before prefix.
    """
    for size in range(min(_LONGEST_FORM, len(token) - 3), 1, -1):
        for form, rest, parts in (
            (token[-size:], token[:-size], (token[:-size], token[-size:])),
            (token[:size], token[size:], (token[:size], token[size:])),
        ):
            # The name left must be a word of its own: "metro" is not "me" + "tro", nor "serco" "ser" + "co".
            if form in _GLUABLE_FORMS and len(rest) >= MIN_NAME_LEFT_OF_GLUED_FORM and (known(rest) or size >= 5):
                return parts
    return (token,)
