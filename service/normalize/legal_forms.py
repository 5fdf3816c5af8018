"""Company legal forms and generic words: tokens that must neither make nor break a match.

"EMMA LLC" must not match "Emma Daniels" because of "LLC", and "Rosneft" must
still match "ROSNEFT OIL COMPANY PJSC". Legal forms are removed before
alignment (and shown as ignored in the explanation); generic words stay but
weigh little. Lists are in normalised token form (see names.name_tokens).
"""

from __future__ import annotations

# Multi-token forms first so "limited liability company" is removed whole.
LEGAL_FORM_SEQUENCES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "limited liability company", "limited liability partnership", "limited partnership",
                "public limited company", "private limited company", "joint stock company",
                "closed joint stock company", "open joint stock company", "public joint stock company",
                "co ltd", "company limited", "company ltd", "pty ltd", "pvt ltd", "private limited",
                "sdn bhd", "s de rl", "s de rl de cv", "sa de cv", "s a", "s a de c v", "de cv",
                "gmbh co kg", "co kg", "ltd co", "ltd liability co", "l l c", "s r l", "s p a",
                "you xian gong si", "gu fen you xian gong si", "you xian ze ren gong si",
                "obshchestvo s ogranichennoy otvetstvennostyu", "aktsionernoe obshchestvo",
                "public company", "holding company",
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
    pte pty pvt bhd sdn tbk pt cv sc scs snc sp zoo sprl bvba ltda eireli me epp
    youxiangongsi gufenyouxiangongsi jituan
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

def strip_legal_forms(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(remaining tokens, removed legal-form tokens). Never removes every token."""
    kept: list[str] = []
    removed: list[str] = []
    i = 0
    while i < len(tokens):
        for form in LEGAL_FORM_SEQUENCES:
            if tokens[i : i + len(form)] == form:
                removed.extend(form)
                i += len(form)
                break
        else:
            if tokens[i] in LEGAL_FORM_TOKENS:
                removed.append(tokens[i])
            else:
                kept.append(tokens[i])
            i += 1
    if not kept:  # "AO" alone, or a company called "Limited": keep what there is
        return tokens, ()
    return tuple(kept), tuple(removed)
