"""Static tables behind the variant generator: spelling variants, scripts, legal forms, generic words.

Kept apart from the code that uses them so a reviewer can check the linguistics
without reading the sampling logic. Every table is ordered (tuples, dicts): the
generator must give the same dataset for the same seed in every process, and
set iteration order changes with PYTHONHASHSEED.
"""

from __future__ import annotations

# ---------------------------------------------------------------- transliteration variants

# Spellings of one name part that different romanisation systems (or clerks) produce.
# All lower case; "abd al" is two tokens on purpose (Abdul <-> Abd al-Rahman).
SPELLING_GROUPS: tuple[tuple[str, ...], ...] = (
    ("mohammed", "muhammad", "mohamed", "mohammad", "mohamad", "muhammed"),
    ("ahmed", "ahmad"),
    ("abdul", "abd al", "abdel", "abdal"),
    ("abdullah", "abdallah", "abdulla"),
    ("hussein", "husayn", "hossein", "hussain", "husain", "husein"),
    ("hassan", "hasan"),
    ("yusuf", "yousef", "youssef", "yousif", "yusif"),
    ("omar", "umar"),
    ("osama", "usama"),
    ("khalid", "khaled"),
    ("mahmoud", "mahmud", "mahmood"),
    ("mustafa", "mostafa", "moustafa"),
    ("ibrahim", "ebrahim"),
    ("qasim", "qassem", "kassem", "qasem"),
    ("jafar", "jaafar"),
    ("said", "saeed", "sayeed"),
    ("rashid", "rasheed"),
    ("yasser", "yasir", "yaser"),
    ("suleiman", "sulaiman", "sulayman", "soliman"),
    ("nasser", "nasir", "naser"),
    ("sergey", "sergei", "serguei", "sergiy"),
    ("aleksandr", "alexander", "aleksander", "alexandr", "oleksandr"),
    ("aleksey", "alexei", "alexey", "aleksei"),
    ("dmitry", "dmitriy", "dmitri"),
    ("yuriy", "yuri", "yury"),
    ("yevgeniy", "yevgeny", "evgeny", "evgeniy"),
    ("andrey", "andrei", "andriy"),
    ("nikolay", "nikolai"),
    ("mikhail", "mikhael"),
    ("viktor", "victor"),
    ("valeriy", "valery", "valeri"),
    ("vitaliy", "vitaly", "vitali"),
    ("anatoliy", "anatoly"),
    ("gennadiy", "gennady"),
    ("grigoriy", "grigory"),
    ("pyotr", "petr"),
    ("fyodor", "fedor"),
    ("ilya", "ilia"),
    ("vyacheslav", "viacheslav"),
    ("yelena", "elena"),
    ("natalya", "natalia"),
    ("tatyana", "tatiana"),
    ("choe", "choi"),
    ("ri", "lee", "rhee"),
    ("pak", "park"),
    ("jong", "jung", "chong"),
    ("al", "el"),
)

# Word endings that vary between romanisations of Slavic names (-iy/-y, -ey/-ei ...),
# applied only to parties with a Slavic-language country so "Ramsey" stays intact.
SLAVIC_ENDINGS: tuple[tuple[str, str], ...] = (
    ("skiy", "sky"),
    ("sky", "skiy"),
    ("iy", "y"),
    ("yy", "y"),
    ("ey", "ei"),
    ("ei", "ey"),
    ("ay", "ai"),
    ("yev", "iev"),
    ("iev", "yev"),
)
SLAVIC_COUNTRIES: tuple[str, ...] = ("RU", "BY", "UA", "KZ", "KG", "MD", "TJ", "UZ")
# Parties written in Cyrillic for the other_script category.
CYRILLIC_COUNTRIES: tuple[str, ...] = ("RU", "BY", "UA")

# ---------------------------------------------------------------- Latin -> Cyrillic

# Reverse of the usual BGN/PCGN-style romanisation of Russian. Longest match first;
# word-final endings first of all, because "-skiy"/"-sky" is "-ский" and a final
# "-y" after a vowel is "-й". Ukrainian and Belarusian are written with the same
# table (close enough for a screening query typed by a clerk).
CYRILLIC_FINAL: tuple[tuple[str, str], ...] = (
    ("skiy", "ский"), ("skii", "ский"), ("skyi", "ский"), ("sky", "ский"), ("skaya", "ская"), ("yi", "ый"),
    ("iy", "ий"), ("yy", "ый"), ("ey", "ей"), ("ay", "ай"), ("oy", "ой"), ("uy", "уй"),
)  # fmt: skip
CYRILLIC_LETTERS: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("yu", "ю"), ("ya", "я"), ("yo", "ё"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"),
    ("i", "и"), ("j", "дж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"),
    ("y", "ы"), ("z", "з"),
)  # fmt: skip
# Legal forms as a Russian writes them (after the Latin form was cut off).
CYRILLIC_LEGAL_FORMS: dict[str, str] = {"llc": "ООО", "jsc": "АО"}

# ---------------------------------------------------------------- Arabic script

# Common Arabic name parts. A name is written in Arabic script only when every one
# of its parts is here: a half-Latin, half-Arabic query is not realistic.
ARABIC_PARTS: dict[str, str] = {
    **dict.fromkeys(("muhammad", "mohammed", "mohammad", "mohamed", "mohamad", "muhammed"), "محمد"),
    **dict.fromkeys(("ahmad", "ahmed"), "أحمد"),
    **dict.fromkeys(("mahmoud", "mahmud"), "محمود"),
    "ali": "علي",
    **dict.fromkeys(("hassan", "hasan"), "حسن"),
    **dict.fromkeys(("hussein", "husayn", "hussain", "husain", "hossein"), "حسين"),
    **dict.fromkeys(("abdul", "abd", "abdel", "abdal"), "عبد"),
    **dict.fromkeys(("abdullah", "abdallah"), "عبدالله"),
    "allah": "الله",
    "rahman": "رحمن",
    "rahim": "رحيم",
    "karim": "كريم",
    "aziz": "عزيز",
    "majid": "مجيد",
    "hamid": "حميد",
    "salam": "سلام",
    "latif": "لطيف",
    "hakim": "حكيم",
    "jalil": "جليل",
    **dict.fromkeys(("nasser", "nasir", "naser"), "ناصر"),
    **dict.fromkeys(("omar", "umar"), "عمر"),
    **dict.fromkeys(("othman", "uthman", "osman"), "عثمان"),
    **dict.fromkeys(("yusuf", "yousef", "youssef", "yousif"), "يوسف"),
    **dict.fromkeys(("ibrahim", "ebrahim"), "إبراهيم"),
    **dict.fromkeys(("ismail", "ismael"), "إسماعيل"),
    **dict.fromkeys(("khalid", "khaled"), "خالد"),
    **dict.fromkeys(("said", "saeed"), "سعيد"),
    **dict.fromkeys(("salem", "salim"), "سالم"),
    **dict.fromkeys(("saleh", "salih"), "صالح"),
    **dict.fromkeys(("mustafa", "mostafa"), "مصطفى"),
    "jamal": "جمال",
    "faisal": "فيصل",
    "hamza": "حمزة",
    **dict.fromkeys(("tariq", "tarek"), "طارق"),
    **dict.fromkeys(("walid", "waleed"), "وليد"),
    **dict.fromkeys(("yasser", "yasir"), "ياسر"),
    **dict.fromkeys(("bin", "ibn", "ben"), "بن"),
    **dict.fromkeys(("abu", "abou"), "أبو"),
    **dict.fromkeys(("mansour", "mansur"), "منصور"),
    **dict.fromkeys(("nour", "nur"), "نور"),
    "din": "دين",
    **dict.fromkeys(("adel", "adil"), "عادل"),
    "amin": "أمين",
    "anwar": "أنور",
    "ammar": "عمار",
    **dict.fromkeys(("hashem", "hashim"), "هاشم"),
    **dict.fromkeys(("issa", "isa"), "عيسى"),
    "kamal": "كمال",
    "mahdi": "مهدي",
    "murad": "مراد",
    **dict.fromkeys(("musa", "moussa"), "موسى"),
    "nabil": "نبيل",
    **dict.fromkeys(("qasim", "qassem", "kassem"), "قاسم"),
    "rashid": "راشد",
    "sami": "سامي",
    **dict.fromkeys(("sulaiman", "suleiman", "sulayman"), "سليمان"),
    "taha": "طه",
    "habib": "حبيب",
    "hamad": "حمد",
    **dict.fromkeys(("jafar", "jaafar"), "جعفر"),
    "marwan": "مروان",
    **dict.fromkeys(("haidar", "haider", "hayder"), "حيدر"),
    "abbas": "عباس",
    **dict.fromkeys(("fatima", "fatimah"), "فاطمة"),
    "zainab": "زينب",
    "maryam": "مريم",
    "jaber": "جابر",
    "bakr": "بكر",
    "hadi": "هادي",
    "ghazi": "غازي",
    "baghdadi": "بغدادي",
    "masri": "مصري",
    "hashimi": "هاشمي",
    "tamimi": "تميمي",
    "qahtani": "قحطاني",
    "ansari": "أنصاري",
    "iraqi": "عراقي",
    "tikriti": "تكريتي",
    "assad": "أسد",
    "zawahiri": "ظواهري",
    "qaddafi": "قذافي",
    "kubaisi": "كبيسي",
    "shami": "شامي",
    "awlaki": "عولقي",
}
# "al-"/"el-" before a part is the article, written joined: al-Rahman -> الرحمن.
ARABIC_ARTICLES: tuple[str, ...] = ("al", "el", "ul")
ARABIC_ARTICLE = "ال"

# ---------------------------------------------------------------- legal forms

# Families of equivalent company legal forms, each form as its normalised tokens.
# The generator finds a form at the end (or, Russian style, the start) of a name,
# then drops it, or swaps it for another member of the same family.
LEGAL_FORM_FAMILIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "llc": (
        ("s", "de", "rl", "de", "cv"), ("limited", "liability", "company"), ("llc",), ("ltd",), ("limited",), ("ooo",), ("too",),
        ("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"),
        ("obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"),
    ),
    "jsc": (
        ("open", "joint", "stock", "company"), ("closed", "joint", "stock", "company"),
        ("public", "joint", "stock", "company"), ("joint", "stock", "company"),
        ("otkrytoe", "aktsionernoe", "obshchestvo"), ("zakrytoe", "aktsionernoe", "obshchestvo"),
        ("publichnoe", "aktsionernoe", "obshchestvo"), ("aktsionernoe", "obshchestvo"),
        ("jsc",), ("ojsc",), ("cjsc",), ("pjsc",), ("ao",), ("oao",), ("zao",), ("pao",),
    ),
    "co_ltd": (("co", "ltd"), ("company", "limited"), ("co", "limited"), ("company", "ltd"), ("limited", "company"), ("ltd", "sti")),
    "gmbh": (("gmbh",),),
    "sa": (("sa", "de", "cv"), ("sociedad", "anonima"), ("sa",), ("sas",), ("sarl",), ("ca",)),
    "inc": (("incorporated",), ("corporation",), ("inc",), ("corp",)),
    # Found and dropped, never swapped in: no clear equivalent.
    "other": (
        ("pte", "ltd"), ("pvt", "ltd"), ("private", "limited"), ("sdn", "bhd"), ("fze",), ("fzco",), ("fzc",),
        ("llp",), ("plc",), ("bv",), ("ag",), ("spa",), ("srl",), ("co",), ("company",), ("ltda",), ("oy",),
        ("ab",), ("as",), ("kk",), ("kft",), ("sro",), ("doo",), ("sl",), ("sal",), ("sae",),
    ),
}  # fmt: skip
# What a swap writes, per family; Russian forms only for Russian-speaking parties.
LEGAL_FORM_WRITTEN: dict[str, tuple[str, ...]] = {
    "llc": ("LLC", "Ltd.", "Limited Liability Company"),
    "llc_ru": ("OOO", "LLC", "Limited Liability Company"),
    "jsc": ("JSC", "AO", "OAO", "Joint Stock Company"),
    "co_ltd": ("Co., Ltd.", "Company Limited", "Ltd.", "Co. Limited"),
    "gmbh": ("GmbH", "Ltd.", "LLC"),
    "sa": ("S.A.", "SA de CV", "Sociedad Anonima"),
    "inc": ("Inc.", "Corp.", "Corporation", "Incorporated"),
}
# Forms added to a name that has none, by the party's country.
LEGAL_FORM_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "CN": ("Co., Ltd.", "Limited"), "HK": ("Limited", "Co., Limited"), "RU": ("OOO", "LLC", "JSC", "AO"),
    "BY": ("OOO", "JSC"), "UA": ("LLC", "PJSC"), "DE": ("GmbH",), "AT": ("GmbH",), "CH": ("GmbH", "AG"),
    "ES": ("S.A.",), "MX": ("S.A. de C.V.",), "VE": ("C.A.", "S.A."), "CO": ("S.A.S.",), "FR": ("SAS", "S.A."),
    "US": ("Inc.", "LLC"), "AE": ("LLC", "FZE", "FZCO"), "IR": ("Co.", "Company"),
    "GB": ("Ltd", "Limited"), "SG": ("Pte. Ltd.",), "IN": ("Pvt. Ltd.",), "TR": ("A.S.", "Ltd. Sti."),
}  # fmt: skip
LEGAL_FORM_DEFAULT: tuple[str, ...] = ("Ltd.", "LLC", "Co., Ltd.", "Inc.", "S.A.", "GmbH", "JSC")

# ---------------------------------------------------------------- organisation words

# Words that say what kind of organisation, not which one: kept by hard negatives
# ("<other word> Digital Technology Co., Ltd."), and a sign that an untyped entry
# (most BIS and State rows) is an organisation.
GENERIC_ORG_WORDS: tuple[str, ...] = (
    "academy", "aero", "associates", "brothers", "partners", "sons", "bureau", "office", "aerospace", "agency", "air", "airlines", "and", "automation", "aviation", "bank", "branch",
    "center", "centre", "chemical", "chemicals", "co", "commercial", "communication", "communications", "company",
    "components", "construction", "consulting", "corp", "corporation", "design", "development", "digital",
    "economic", "electronic", "electronics", "energy", "engineering", "enterprise", "enterprises", "equipment",
    "establishment", "export", "exports", "express", "factory", "for", "foundation", "gas", "general", "global",
    "group", "holding", "holdings", "import", "industrial", "industries", "industry", "information", "institute",
    "instrument", "instruments", "international", "intl", "investment", "investments", "limited", "line", "lines",
    "logistics", "ltd", "machinery", "manufacturing", "marine", "maritime", "material", "materials", "medical",
    "metal", "metals", "network", "new", "of", "oil", "optical", "organization", "organisation", "parts",
    "petroleum", "pharmaceutical", "plant", "power", "precision", "products", "research", "science", "sciences",
    "service", "services", "shipping", "software", "solutions", "steel", "supply", "system", "systems", "tech",
    "technical", "technologies", "technology", "textile", "textiles", "the", "trade", "trading", "transport",
    "university", "works",
    # State bodies and descriptive words: also not what tells one listed organisation from another.
    "administration", "army", "association", "authority", "auto", "automotive", "capital", "central", "closed",
    "commission", "committee", "computer", "cotton", "council", "credit", "data", "defence", "defense", "department",
    "directorate", "east", "electric", "electrical", "exchange", "federal", "finance", "financial", "fund",
    "government", "heavy", "institution", "insurance", "joint", "laser", "main", "management", "media", "military",
    "mining", "ministry", "motor", "motors", "national", "navy", "north", "nuclear", "open", "port", "public",
    "radio", "republic", "semiconductor", "ship", "south", "space", "state", "stock", "tanker", "tool", "tools",
    "trust", "union", "vehicle", "west",
)  # fmt: skip
# Places keep a hard negative realistic ("Shenzhen <other> Electronics Co., Ltd.").
PLACE_WORDS: tuple[str, ...] = (
    "anhui", "baghdad", "beijing", "beirut", "chengdu", "china", "chongqing", "damascus", "dubai", "emirates",
    "fujian", "guangdong", "guangzhou", "hangzhou", "harbin", "henan", "hong", "hubei", "hunan", "iran", "iranian",
    "istanbul", "jiangsu", "karachi", "kong", "korea", "korean", "lebanon", "liaoning", "moscow", "nanjing",
    "ningbo", "pakistan", "petersburg", "pyongyang", "russia", "russian", "saint", "shaanxi", "shandong",
    "shanghai", "shenyang", "shenzhen", "sichuan", "singapore", "st", "syria", "syrian", "tehran", "tianjin",
    "turkey", "wuhan", "xian", "xinjiang", "zhejiang",
)  # fmt: skip
EXTRA_ORG_WORDS: tuple[str, ...] = (
    "Trading",
    "International",
    "Group",
    "Holding",
    "Global",
    "Industries",
    "Enterprises",
)
TITLES_MALE: tuple[str, ...] = ("Mr.", "Dr.", "Prof.")
TITLES_FEMALE: tuple[str, ...] = ("Mrs.", "Ms.", "Dr.")
