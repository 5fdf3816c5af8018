"""Hand-written vocabularies of the held-out evaluation set (service/evaluation/heldout.py).

Written for this generator alone: nothing here is taken from the matcher's
tables (service/normalize, service/match) nor from the first generator's
(service/evaluation/tables.py, pools.py), so the held-out cases do not measure
the matcher with its own knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------- countries

ARABIC_COUNTRIES: tuple[str, ...] = (
    "IR", "IQ", "SY", "LB", "YE", "SA", "AE", "AF", "PK", "EG", "LY", "SD", "PS", "JO", "KW", "QA", "BH",
    "OM", "DZ", "MA", "TN", "SO", "MR",
)  # fmt: skip
POST_SOVIET: tuple[str, ...] = ("RU", "UA", "BY", "KZ", "KG", "UZ", "TJ", "TM", "MD", "AM", "AZ", "GE")
SLAVIC_LATIN: tuple[str, ...] = ("RS", "BG", "MK", "BA", "ME", "HR", "PL", "CZ", "SK", "LV", "LT", "EE")
CHINESE_COUNTRIES: tuple[str, ...] = ("CN", "TW", "HK", "MO")
KOREAN_COUNTRIES: tuple[str, ...] = ("KP", "KR")

# ---------------------------------------------------------------- class 1: words appended to an organisation

CITIES_BY_COUNTRY: dict[str, tuple[str, ...]] = {
    "CN": ("Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Tianjin", "Chengdu", "Wuhan", "Xiamen", "Ningbo", "Dalian"),
    "HK": ("Hong Kong", "Kowloon", "Wan Chai", "Tsim Sha Tsui"),
    "RU": (
        "Moscow",
        "Saint Petersburg",
        "Novosibirsk",
        "Yekaterinburg",
        "Kazan",
        "Vladivostok",
        "Samara",
        "Rostov-on-Don",
    ),
    "IR": ("Tehran", "Isfahan", "Mashhad", "Tabriz", "Shiraz", "Bandar Abbas", "Kish Island"),
    "AE": ("Dubai", "Abu Dhabi", "Sharjah", "Ajman", "Ras Al Khaimah", "Fujairah"),
    "TR": ("Istanbul", "Ankara", "Izmir", "Mersin", "Bursa"),
    "SY": ("Damascus", "Aleppo", "Latakia", "Homs"),
    "LB": ("Beirut", "Tripoli", "Sidon"),
    "IQ": ("Baghdad", "Basra", "Erbil", "Najaf"),
    "KP": ("Pyongyang", "Nampo", "Sinuiju", "Chongjin"),
    "BY": ("Minsk", "Gomel", "Brest", "Vitebsk"),
    "UA": ("Kyiv", "Kharkiv", "Odesa", "Dnipro"),
    "KZ": ("Almaty", "Astana", "Shymkent", "Aktau"),
    "PK": ("Karachi", "Lahore", "Islamabad", "Rawalpindi", "Peshawar"),
    "IN": ("Mumbai", "New Delhi", "Chennai", "Bengaluru", "Hyderabad"),
    "MY": ("Kuala Lumpur", "Penang", "Johor Bahru"),
    "SG": ("Singapore", "Jurong"),
    "DE": ("Frankfurt", "Hamburg", "Berlin", "Munich", "Dusseldorf"),
    "GB": ("London", "Manchester", "Birmingham", "Glasgow"),
    "CY": ("Limassol", "Nicosia", "Larnaca"),
    "VE": ("Caracas", "Maracaibo", "Valencia", "Puerto Cabello"),
    "MX": ("Mexico City", "Guadalajara", "Culiacan", "Monterrey", "Tijuana"),
    "CO": ("Bogota", "Medellin", "Cali", "Barranquilla"),
    "PA": ("Panama City", "Colon"),
    "TH": ("Bangkok", "Chonburi"),
    "VN": ("Hanoi", "Ho Chi Minh City", "Haiphong"),
    "KR": ("Seoul", "Busan", "Incheon"),
    "JP": ("Tokyo", "Osaka", "Yokohama"),
    "AM": ("Yerevan", "Gyumri"),
    "GE": ("Tbilisi", "Batumi", "Poti"),
    "UZ": ("Tashkent", "Samarkand"),
    "KG": ("Bishkek", "Osh"),
    "AZ": ("Baku", "Sumgait"),
    "CU": ("Havana", "Mariel"),
    "ZW": ("Harare", "Bulawayo"),
    "NI": ("Managua",),
    "EG": ("Cairo", "Alexandria", "Port Said"),
}
HUB_CITIES: tuple[str, ...] = (
    "Dubai", "Singapore", "Hong Kong", "Istanbul", "London", "Frankfurt", "Shanghai", "Moscow", "Tashkent",
    "Baku", "Yerevan", "Tbilisi", "Bishkek", "Almaty", "Kuala Lumpur", "Bangkok", "Beirut", "Cairo", "Doha",
    "Muscat", "Panama City", "Geneva", "Vienna", "Milan", "Rotterdam", "Hamburg", "Minsk", "Caracas", "Karachi",
    "Mumbai", "Nairobi", "Lagos", "Johannesburg", "Sao Paulo", "Buenos Aires", "Limassol", "Riga", "Tallinn",
    "Vilnius", "Warsaw", "Prague", "Belgrade", "Sofia", "Bucharest", "Jakarta", "Manila", "Hanoi", "Seoul",
)  # fmt: skip

# "{name}" is the listed name as written, "{city}" a city, "{n}" a small number.
OFFICE_TEMPLATES: tuple[str, ...] = (
    "{name} Representative Office {city}",
    "{name} Representative Office in {city}",
    "{name} Branch Office",
    "{name} Branch Office {city}",
    "{name} Liaison Office in {city}",
    "{name} - {city} Branch",
    "{name}, {city} Branch",
    "{name} {city} Sales Office",
    "{name} Regional Office ({city})",
    "{name} Head Office",
    "{name} Representation in {city}",
    "{name} Branch in {city}",
    "{name} Field Office {city}",
    "{name} Trade Mission {city}",
)

UNIT_TEMPLATES: tuple[str, ...] = (
    "{name} Plant No. {n}",
    "{name} Factory No {n}",
    "{name} Workshop #{n}",
    "{name} Logistics Division",
    "{name} Procurement Division",
    "{name} Research Institute No. {n}",
    "{name} Department of Procurement",
    "{name} Department of Foreign Economic Relations",
    "{name} Design Bureau",
    "{name} Special Design Bureau No. {n}",
    "{name} Testing Laboratory",
    "{name} Quality Control Department",
    "{name} Export Department",
    "{name} Engineering Center",
    "{name} Training Center",
    "{name} Branch No. {n}",
    "{name} Subsidiary No. {n}",
    "{name} Maintenance Depot",
    "{name} Warehouse No. {n}",
    "{name} Computing Center",
    "{name} Foreign Trade Department",
    "{name} Marine Division",
    "{name} Aviation Division",
    "{name} Shipyard No. {n}",
    "{name} Affiliate {n}",
    "{name} Production Unit {n}",
)

# Line-of-business words a company adds to its name (inserted before a trailing legal form).
BUSINESS_WORDS: tuple[str, ...] = (
    "Trading", "General Trading", "Trading & Contracting", "Shipping & Logistics", "Shipping", "Logistics",
    "Electronics", "Petrochemical Services", "Oil & Gas", "Import & Export", "Import Export", "Technology",
    "Technologies", "Engineering", "Engineering Services", "Construction", "Industrial", "Machinery", "Metals",
    "Steel", "Chemicals", "Pharmaceuticals", "Medical Equipment", "Aviation Services", "Marine Services", "Energy",
    "Mining", "Investments", "Holdings", "Consulting", "Software", "Telecom", "Security Systems", "Auto Parts",
    "Textiles", "Agro", "Foodstuff Trading", "Tools", "Precision Instruments", "Components", "Optics", "Composites",
    "Freight Forwarding", "Commodities", "Tankers", "Marine Supplies",
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A geographic word a subsidiary adds, with the legal forms companies of that place use."""

    label: str
    forms: tuple[str, ...]


PLACES: tuple[Place, ...] = (
    Place("Singapore", ("Pte Ltd", "Pte. Ltd.")),
    Place("Hong Kong", ("Limited", "Company Limited", "Co., Limited")),
    Place("HK", ("Limited", "Co., Ltd")),
    Place("Dubai", ("FZE", "FZCO", "DMCC", "LLC", "L.L.C.")),
    Place("Sharjah", ("FZE", "FZC")),
    Place("Jebel Ali", ("FZE",)),
    Place("Malaysia", ("Sdn Bhd", "Sdn. Bhd.")),
    Place("UK", ("Ltd", "Limited")),
    Place("Europe", ("GmbH", "B.V.", "S.A.", "Ltd")),
    Place("Germany", ("GmbH",)),
    Place("Deutschland", ("GmbH",)),
    Place("Turkey", ("Ltd. Sti.", "A.S.")),
    Place("Istanbul", ("Ltd. Şti.",)),
    Place("Cyprus", ("Ltd", "Limited")),
    Place("Rus", ("LLC", "OOO")),
    Place("Russia", ("LLC", "JSC")),
    Place("Armenia", ("LLC", "CJSC")),
    Place("Kazakhstan", ("LLP", "TOO")),
    Place("Uzbekistan", ("LLC",)),
    Place("Kyrgyzstan", ("LLC",)),
    Place("Georgia", ("LLC",)),
    Place("India", ("Pvt Ltd", "Private Limited")),
    Place("Pakistan", ("(Pvt) Ltd", "Private Limited")),
    Place("Thailand", ("Co., Ltd.",)),
    Place("Vietnam", ("Co., Ltd", "JSC")),
    Place("Shanghai", ("Co., Ltd.",)),
    Place("Shenzhen", ("Co., Ltd.",)),
    Place("Panama", ("S.A.", "Inc.")),
    Place("Switzerland", ("AG", "SA", "GmbH")),
    Place("Netherlands", ("B.V.",)),
    Place("Middle East", ("FZE", "LLC", "W.L.L.")),
    Place("Asia Pacific", ("Pte Ltd", "Limited")),
    Place("USA", ("Inc.", "LLC", "Corp.")),
    Place("South Africa", ("(Pty) Ltd",)),
    Place("Nigeria", ("Limited", "Ltd")),
    Place("Lebanon", ("SAL", "S.A.L.")),
    Place("Oman", ("LLC", "SAOC")),
    Place("Qatar", ("WLL", "LLC")),
    Place("Bahrain", ("W.L.L.", "B.S.C.")),
    Place("Egypt", ("S.A.E.",)),
    Place("Brazil", ("Ltda",)),
    Place("Mexico", ("S.A. de C.V.",)),
    Place("Venezuela", ("C.A.",)),
    Place("Japan", ("K.K.", "Co., Ltd.")),
    Place("Korea", ("Co., Ltd.",)),
    Place("Taiwan", ("Co., Ltd.",)),
    Place("Belarus", ("LLC", "JLLC")),
    Place("Latvia", ("SIA",)),
    Place("Estonia", ("OU",)),
)

# ---------------------------------------------------------------- words that do not tell companies apart

GENERIC_ORG_WORDS: tuple[str, ...] = (
    "the", "of", "and", "for", "in", "on", "at", "de", "la", "le", "del", "des", "du", "al", "el", "y", "e", "und",
    "company", "companies", "limited", "ltd", "llc", "inc", "co", "corp", "corporation", "incorporated", "group",
    "trading", "trade", "traders", "industrial", "industries", "industry", "international", "intl", "technology",
    "technologies", "tech", "engineering", "services", "service", "holding", "holdings", "import", "export",
    "general", "development", "investment", "investments", "bank", "research", "institute", "center", "centre",
    "plant", "factory", "national", "state", "organization", "organisation", "foundation", "ministry", "department",
    "scientific", "production", "science", "sciences", "electronics", "electronic", "equipment", "machinery",
    "systems", "system", "aviation", "shipping", "logistics", "energy", "petroleum", "oil", "gas", "chemical",
    "chemicals", "power", "military", "defense", "defence", "academy", "university", "association", "union",
    "society", "joint", "stock", "public", "private", "federal", "united", "global", "new", "enterprise",
    "enterprises", "manufacturing", "materials", "material", "products", "product", "supply", "supplies", "solutions",
    "management", "consulting", "construction", "commercial", "marine", "maritime", "transport", "transportation",
    "agency", "bureau", "office", "branch", "unit", "division", "directorate", "committee", "council", "authority",
    "project", "projects", "design", "designs", "instruments", "instrument", "precision", "components", "parts",
    "technical", "technological", "industrie", "firm", "partners", "brothers", "sons", "network", "networks",
    "communications", "communication", "media", "software", "computer", "computers", "device", "devices",
    "aerospace", "airlines", "air", "airways", "space", "nuclear", "atomic", "metal", "metals", "steel", "mining",
    "medical", "pharmaceutical", "pharma", "security", "financial", "finance", "capital", "fund", "insurance",
    "exchange", "credit", "business", "commerce", "economic", "auto", "motor", "motors", "electric", "electrical",
    "optical", "optics", "laser", "radio", "telecom", "shipyard", "works", "complex", "base", "station", "limitada",
    "sociedad", "anonima", "gmbh", "ag", "sa", "srl", "sarl", "bv", "plc", "fze", "fzco", "jsc", "ojsc", "pjsc",
    "cjsc", "ooo", "oao", "zao", "pao", "ao", "pte", "pvt", "sdn", "bhd", "ltda", "kg", "sirketi", "ticaret",
    "sanayi", "ve", "tic", "san", "sti", "scientific", "kompaniya", "zavod", "obshchestvo", "aktsionernoe",
    "ogranichennoy", "otvetstvennostyu", "ogranichennoi", "s", "nauchno", "proizvodstvennoe", "obedinenie",
    "republic", "islamic", "revolutionary", "guard", "corps", "army", "force", "forces",
)  # fmt: skip

# Places a listed name may carry (so they are not taken for its distinctive word).
PLACE_WORDS: tuple[str, ...] = (
    "china", "chinese", "iran", "iranian", "russia", "russian", "korea", "korean", "syria", "syrian", "iraq",
    "iraqi", "lebanon", "lebanese", "cuba", "cuban", "venezuela", "mexico", "pakistan", "india", "turkey",
    "turkish", "dubai", "emirates", "uae", "beijing", "shanghai", "shenzhen", "guangzhou", "tianjin", "wuhan",
    "chengdu", "xian", "harbin", "nanjing", "hangzhou", "moscow", "petersburg", "tehran", "isfahan", "damascus",
    "pyongyang", "hong", "kong", "hk", "asia", "asian", "europe", "european", "africa", "african", "america",
    "american", "pacific", "atlantic", "gulf", "middle", "east", "west", "north", "south", "northern", "southern",
    "eastern", "western", "central", "sichuan", "hunan", "hubei", "jiangsu", "zhejiang", "guangdong", "shaanxi",
    "shandong", "henan", "hebei", "liaoning", "jilin", "fujian", "xinjiang", "yunnan", "anhui", "jiangxi",
    "singapore", "malaysia", "thailand", "belarus", "ukraine", "crimea", "kazakhstan", "armenia", "georgia",
    "uzbekistan", "kyrgyzstan", "tajikistan", "azerbaijan", "cyprus", "panama", "colombia", "ecuador", "peru",
    "bolivia", "nicaragua", "zimbabwe", "sudan", "libya", "yemen", "afghanistan", "myanmar", "burma", "persian",
    "kish", "qeshm", "minsk", "kiev", "kyiv", "novosibirsk", "yekaterinburg", "kazan", "samara", "tula", "perm",
)  # fmt: skip

# ---------------------------------------------------------------- class 2: parenthetical asides that are not acronyms

NOT_ACRONYMS: tuple[str, ...] = (
    "HK", "UK", "U.K.", "USA", "U.S.A.", "US", "U.S.", "UAE", "PRC", "BVI", "PVT", "PVT.", "PTY", "PRIVATE",
    "LLC", "LTD", "SA", "S.A.", "SMC-PVT", "FZE", "FZC", "FZCO", "GMBH", "AG", "INC", "CORP", "CO", "JSC",
    "OOO", "PJSC", "OJSC", "CJSC", "AO", "PAO", "ZAO", "OAO", "BHD", "SDN", "LTDA", "LDA", "SARL", "DMCC",
)  # fmt: skip

NETWORK_WORDS: tuple[str, ...] = (
    "NETWORK", "ORGANIZATION", "ORGANISATION", "GROUP", "FAMILY", "CLAN", "CARTEL", "DTO",
    "DRUG TRAFFICKING ORGANIZATION", "MONEY LAUNDERING ORGANIZATION", "TRANSNATIONAL CRIMINAL ORGANIZATION",
    "ALIEN SMUGGLING ORGANIZATION", "CRIMINAL ORGANIZATION",
)  # fmt: skip
NETWORK_REPLACEMENTS: tuple[str, ...] = ("Network", "Organization", "Family", "Group", "Clan")

# ---------------------------------------------------------------- class 3: romanisation alternations


@dataclass(frozen=True)
class Alternation:
    """A regular expression over one lower-case name token and what it becomes."""

    label: str
    pattern: str
    replacement: str
    cultures: tuple[str, ...]  # "arabic", "slavic", "chinese", "any"


V = "aeiou"
C = "bcdfghjklmnpqrstvwxz"
ALTERNATIONS: tuple[Alternation, ...] = (
    Alternation("e->i", rf"(?<=[{C}])e(?=[dmrlfbnt]$)", "i", ("arabic",)),
    Alternation("i->e", rf"(?<=[{C}])i(?=[dmrlfbn]$)", "e", ("arabic",)),
    Alternation("e->a", r"(?<=[hmdrl])e(?=d$)", "a", ("arabic",)),
    Alternation("a->e", r"(?<=m)a(?=d$)", "e", ("arabic",)),
    Alternation("ou->u", r"ou", "u", ("arabic",)),
    Alternation("u->ou", rf"(?<=[{C}y])u(?=[{C}])", "ou", ("arabic",)),
    Alternation("oo->u", r"oo", "u", ("arabic",)),
    Alternation("u->oo", rf"(?<=[{C}])u(?=[{C}]$)", "oo", ("arabic",)),
    Alternation("o->u", rf"^([mhy])o(?=[{C}])", r"\1u", ("arabic",)),
    Alternation("u->o", rf"^([mhy])u(?=[{C}])", r"\1o", ("arabic",)),
    Alternation("gh->g", r"gh", "g", ("arabic",)),
    Alternation("g->gh", r"^g(?=[aou])", "gh", ("arabic",)),
    Alternation("kh->h", r"kh", "h", ("arabic", "slavic")),
    Alternation("kh->k", rf"(?<=[{V}])kh(?=[{V}])", "k", ("arabic",)),
    Alternation("h->kh", rf"^h(?=[{V}])", "kh", ("arabic", "slavic")),
    Alternation("q->k", r"q(?!u)", "k", ("arabic",)),
    Alternation("dh->d", r"dh", "d", ("arabic",)),
    Alternation("th->t", r"th", "t", ("arabic",)),
    Alternation("j->dj", r"^j", "dj", ("arabic",)),
    Alternation("dj->j", r"dj", "j", ("arabic",)),
    Alternation("j->dzh", r"^j(?=[aou])", "dzh", ("slavic",)),
    Alternation("-eh->-a", r"eh$", "a", ("arabic",)),
    Alternation("-a->-eh", rf"(?<=[{C}])a$", "eh", ("arabic",)),
    Alternation("-ah->-a", rf"(?<=[{C}])ah$", "a", ("arabic",)),
    Alternation("-a->-ah", r"(?<=[lz])a$", "ah", ("arabic",)),
    Alternation("-iy->-i", r"iy$", "i", ("arabic", "slavic")),
    Alternation("-iy->-y", r"iy$", "y", ("slavic",)),
    Alternation("-ii->-iy", r"ii$", "iy", ("slavic",)),
    Alternation("ii->i", r"ii(?=.)", "i", ("arabic",)),
    Alternation("ai->ay", rf"ai(?=[{C}]|$)", "ay", ("arabic",)),
    Alternation("ay->ai", rf"ay(?=[{C}]|$)", "ai", ("arabic",)),
    Alternation("ei->ey", r"ei(?=[^aeiou]|$)", "ey", ("arabic", "slavic")),
    Alternation("ey->ei", r"ey$", "ei", ("slavic",)),
    Alternation("yev->ev", r"yev", "ev", ("slavic",)),
    Alternation("-y->-i", rf"(?<=[{C}])y$", "i", ("slavic",)),
    Alternation("-i->-y", r"(?<=[rl])i$", "y", ("slavic",)),
    Alternation("ks->x", r"ks", "x", ("slavic", "any")),
    Alternation("x->ks", r"x", "ks", ("slavic",)),
    Alternation("-ch->-tch", r"ich$", "itch", ("slavic",)),
    Alternation("-ch->-tsch", r"ich$", "itsch", ("slavic",)),
    Alternation("ch->tch", r"^ch", "tch", ("slavic",)),
    Alternation("sh->sch", r"sh", "sch", ("slavic",)),
    Alternation("zh->j", r"zh", "j", ("slavic",)),
    Alternation("-ov->-ow", r"(?<=[oe])v$", "w", ("slavic",)),
    Alternation("v->w", r"^v", "w", ("slavic",)),
    Alternation("ya->ia", r"(?<=.)ya", "ia", ("slavic", "arabic")),
    Alternation("ia->ya", r"(?<=[rl])ia$", "ya", ("arabic", "slavic")),
    Alternation("yu->iu", r"yu", "iu", ("slavic",)),
    Alternation("ye->e", r"^ye", "e", ("slavic",)),
    Alternation("e->ye", r"^e(?=[lvk])", "ye", ("slavic",)),
    Alternation("ts->c", r"ts", "c", ("slavic",)),
    Alternation("w->v", r"w", "v", ("arabic",)),
    Alternation("v->w", rf"(?<=[{V}])v(?=[{V}])", "w", ("arabic",)),
    Alternation("ph->f", r"ph", "f", ("any", "arabic", "slavic")),
    Alternation("f->ph", r"(?<=[aeiou])f(?=a$)", "ph", ("arabic",)),
    Alternation("sh->ch", r"^sh", "ch", ("arabic",)),
    Alternation("c->k", r"(?<=[aeiou])c(?=[aou]|t)", "k", ("any", "slavic")),
    Alternation("k->c", r"(?<=[aeiou])k(?=[aou]|t)", "c", ("any", "slavic")),
    Alternation("double->single", r"([bdfglmnprstz])\1", r"\1", ("arabic", "any")),
    Alternation("single->double", r"(?<=[aeiou])([mst])(?=[aeiou])", r"\1\1", ("arabic",)),
    Alternation("zh->ch", r"^zh", "ch", ("chinese",)),
    Alternation("x->hs", r"^x(?=i)", "hs", ("chinese",)),
    Alternation("q->ch", r"^q(?=i)", "ch", ("chinese",)),
    Alternation("-ong->-ung", r"ong$", "ung", ("chinese",)),
    Alternation("c->ts", r"^c(?=[aeiou])", "ts", ("chinese",)),
)

# Tokens that suggest an Arabic, Persian or Pashto name wherever the entry's country is unknown.
ARABIC_MARKERS: tuple[str, ...] = (
    "mohammad", "mohammed", "muhammad", "mohamed", "ahmad", "ahmed", "ali", "hassan", "hasan", "hussein", "husain",
    "hossein", "abdul", "abd", "abdel", "abu", "bin", "ibn", "al", "el", "abdullah", "abdallah", "omar", "umar",
    "khalid", "khaled", "ibrahim", "ismail", "yusuf", "yousef", "youssef", "mustafa", "mahmoud", "mahmood", "reza",
    "hamid", "hamed", "said", "saeed", "salah", "jamal", "karim", "rahman", "rahim", "aziz", "mansour", "nasser",
    "nasir", "khan", "haji", "mullah", "sheikh", "shaykh",
)  # fmt: skip
SLAVIC_ENDINGS: tuple[str, ...] = (
    "ovich", "evich", "ovna", "evna", "ov", "ev", "ova", "eva", "in", "ina", "sky", "skiy", "skii", "skaya",
    "enko", "chuk", "yuk", "ko", "ich",
)  # fmt: skip

# ---------------------------------------------------------------- class 3: Arabic particles

PARTICLE_WORDS: tuple[str, ...] = ("al", "el", "ul", "ad", "as", "ash", "at", "ar", "az", "an", "adh", "ath")
SUN_LETTERS: tuple[str, ...] = ("sh", "th", "dh", "t", "d", "r", "z", "s", "n")
PATRONYMIC_SWAPS: dict[str, tuple[str, ...]] = {
    "bin": ("ibn", "ben"),
    "ibn": ("bin", "ben"),
    "ben": ("bin", "ibn"),
    "bint": ("binti", "bent"),
    "binti": ("bint",),
}
ABD_FORMS: tuple[str, ...] = ("abdul", "abdel", "abdol", "abdoul", "abd al", "abd el", "abd ul")

# ---------------------------------------------------------------- class 5: legal forms


@dataclass(frozen=True)
class LegalForm:
    """One company form: its abbreviations and spelled-out names (first preferred), where it is used."""

    short: tuple[str, ...]
    long: tuple[str, ...]
    countries: tuple[str, ...] = ()  # empty: used anywhere
    prefix: bool = False  # may stand before the name ("OOO Fregat")
    # The same form in another language or script, for legal_form_swap.
    swaps: tuple[str, ...] = ()


SPANISH = (
    "ES", "MX", "AR", "CO", "VE", "PE", "CL", "PA", "EC", "BO", "UY", "PY", "CR", "GT", "HN", "NI", "SV", "DO", "CU",
)  # fmt: skip
FRENCH = ("FR", "BE", "CH", "LU", "MA", "TN", "DZ", "SN", "CI", "CM", "MC", "ML", "NE", "TD", "CD", "CG", "GA", "HT")
PORTUGUESE = ("BR", "PT", "AO", "MZ")
RUSSIAN = ("RU", "BY", "KZ", "KG", "UZ", "TJ", "TM", "AM", "AZ", "MD", "UA", "GE")
CHINESE = ("CN", "HK", "TW", "MO")

LEGAL_FORMS: tuple[LegalForm, ...] = (
    LegalForm(("GmbH & Co. KG",), ("Gesellschaft mit beschränkter Haftung & Compagnie Kommanditgesellschaft",)),
    LegalForm(("GmbH",), ("Gesellschaft mit beschränkter Haftung",)),
    LegalForm(("AG",), ("Aktiengesellschaft",), ("DE", "AT", "CH", "LI")),
    LegalForm(("KG",), ("Kommanditgesellschaft",), ("DE", "AT", "CH")),
    LegalForm(("e.K.",), ("eingetragener Kaufmann",), ("DE",)),
    LegalForm(("A.Ş.", "A.S.", "AS"), ("Anonim Şirketi", "Anonim Sirketi"), ("TR",), swaps=("Inc.", "JSC")),
    LegalForm(
        ("Ltd. Şti.", "Ltd. Sti.", "Ltd Sti"),
        ("Limited Şirketi", "Limited Sirketi"),
        ("TR",),
        swaps=("Ltd.", "Co. Ltd."),
    ),
    LegalForm(("S.A. de C.V.", "SA de CV"), ("Sociedad Anónima de Capital Variable",), ("MX",)),
    LegalForm(("S. de R.L. de C.V.",), ("Sociedad de Responsabilidad Limitada de Capital Variable",), ("MX",)),
    LegalForm(("S.A.C.",), ("Sociedad Anónima Cerrada",), ("PE",)),
    LegalForm(("E.I.R.L.",), ("Empresa Individual de Responsabilidad Limitada",), ("PE", "CL")),
    LegalForm(("S.A.L.", "SAL"), ("Société Anonyme Libanaise",), ("LB",)),
    LegalForm(("S.A.E.", "SAE"), ("Société Anonyme Égyptienne",), ("EG",)),
    LegalForm(("S.A.S.", "SAS"), ("Société par actions simplifiée",), FRENCH),
    LegalForm(("S.A.S.", "SAS"), ("Sociedad por Acciones Simplificada",), ("CO",)),
    LegalForm(("S.A.", "SA"), ("Sociedad Anónima",), SPANISH),
    LegalForm(("S.A.", "SA"), ("Société Anonyme",), FRENCH + ("LB", "GR")),
    LegalForm(("S.A.", "SA"), ("Sociedade Anônima",), PORTUGUESE),
    LegalForm(("C.A.",), ("Compañía Anónima",), ("VE",)),
    LegalForm(("Ltda", "Ltda."), ("Limitada",), SPANISH + PORTUGUESE),
    LegalForm(("Lda", "Lda."), ("Limitada",), PORTUGUESE),
    LegalForm(("Sp. z o.o.",), ("Spółka z ograniczoną odpowiedzialnością",), ("PL",), swaps=("Ltd.", "LLC")),
    LegalForm(
        ("SARL", "S.A.R.L.", "S.à r.l."), ("Société à responsabilité limitée",), FRENCH + ("LB", "LU"), swaps=("LLC",)
    ),
    LegalForm(("SpA", "S.p.A."), ("Società per Azioni",), ("IT",)),
    LegalForm(("S.r.l.", "SRL"), ("Società a responsabilità limitata",), ("IT",)),
    LegalForm(("S.R.L.", "SRL"), ("Societate cu răspundere limitată",), ("RO", "MD")),
    LegalForm(("S.R.L.", "SRL"), ("Sociedad de Responsabilidad Limitada",), SPANISH),
    LegalForm(
        ("OOO",),
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu", "Obshchestvo s Ogranichennoi Otvetstvennostyu"),
        RUSSIAN,
        prefix=True,
        swaps=("LLC", "ООО"),
    ),
    LegalForm(
        ("ZAO",),
        ("Zakrytoe Aktsionernoe Obshchestvo", "Zakrytoye Aktsionernoye Obshchestvo"),
        RUSSIAN,
        prefix=True,
        swaps=("CJSC", "ЗАО"),
    ),
    LegalForm(
        ("OAO",),
        ("Otkrytoe Aktsionernoe Obshchestvo", "Otkrytoye Aktsionernoye Obshchestvo"),
        RUSSIAN,
        prefix=True,
        swaps=("OJSC", "ОАО"),
    ),
    LegalForm(
        ("PAO",),
        ("Publichnoe Aktsionernoe Obshchestvo", "Publichnoye Aktsionernoye Obshchestvo"),
        RUSSIAN,
        prefix=True,
        swaps=("PJSC", "ПАО"),
    ),
    LegalForm(
        ("AO",), ("Aktsionernoe Obshchestvo", "Aktsionernoye Obshchestvo"), RUSSIAN, prefix=True, swaps=("JSC", "АО")
    ),
    LegalForm(
        ("TOO",), ("Tovarishchestvo s Ogranichennoy Otvetstvennostyu",), ("KZ",), prefix=True, swaps=("LLP", "ТОО")
    ),
    LegalForm(
        ("FGUP",), ("Federalnoe Gosudarstvennoe Unitarnoe Predpriyatie",), ("RU",), prefix=True, swaps=("FSUE", "ФГУП")
    ),
    LegalForm(("FSUE",), ("Federal State Unitary Enterprise",), ("RU",), prefix=True, swaps=("FGUP", "ФГУП")),
    LegalForm(("EOOD",), ("Ednolichno Druzhestvo s Ogranichena Otgovornost",), ("BG",)),
    LegalForm(("OOD",), ("Druzhestvo s Ogranichena Otgovornost",), ("BG",)),
    LegalForm(
        ("PJSC",), ("Public Joint Stock Company", "Public Joint-Stock Company"), prefix=True, swaps=("PAO", "ПАО")
    ),
    LegalForm(("OJSC",), ("Open Joint Stock Company", "Open Joint-Stock Company"), prefix=True, swaps=("OAO", "ОАО")),
    LegalForm(
        ("CJSC",), ("Closed Joint Stock Company", "Closed Joint-Stock Company"), prefix=True, swaps=("ZAO", "ЗАО")
    ),
    LegalForm(("JSC",), ("Joint Stock Company", "Joint-Stock Company"), prefix=True, swaps=("AO", "АО")),
    LegalForm(("FZ-LLC", "FZ LLC"), ("Free Zone Limited Liability Company",), ("AE",)),
    LegalForm(("LLC", "L.L.C."), ("Limited Liability Company",), prefix=True, swaps=("OOO", "ООО")),
    LegalForm(("LLP",), ("Limited Liability Partnership",), swaps=("TOO", "ТОО")),
    LegalForm(
        ("Co., Ltd.", "Co. Ltd.", "Co., Ltd", "Co Ltd", "Co.,Ltd."), ("Company Limited",), swaps=("有限公司", "Ltd.")
    ),
    LegalForm(("Pte. Ltd.", "Pte Ltd"), ("Private Limited",), ("SG",)),
    LegalForm(("(Pvt) Ltd", "(Pvt.) Ltd.", "Pvt. Ltd.", "Pvt Ltd"), ("Private Limited",)),
    LegalForm(("(Pty) Ltd", "Pty Ltd", "(Pty.) Ltd."), ("Proprietary Limited",)),
    LegalForm(("Sdn. Bhd.", "Sdn Bhd"), ("Sendirian Berhad",), ("MY", "BN")),
    LegalForm(("Bhd", "Bhd."), ("Berhad",), ("MY",)),
    LegalForm(("PT",), ("Perseroan Terbatas",), ("ID",), prefix=True),
    LegalForm(("FZE",), ("Free Zone Establishment",)),
    LegalForm(("FZCO",), ("Free Zone Company",)),
    LegalForm(("FZC",), ("Free Zone Company",)),
    LegalForm(("PLC", "P.L.C."), ("Public Limited Company",)),
    LegalForm(("B.V.", "BV"), ("Besloten Vennootschap",), ("NL", "BE", "CW")),
    LegalForm(("N.V.", "NV"), ("Naamloze Vennootschap",), ("NL", "BE", "CW")),
    LegalForm(("AB",), ("Aktiebolag",), ("SE", "FI")),
    LegalForm(("Oy",), ("Osakeyhtiö",), ("FI",)),
    LegalForm(("A/S",), ("Aktieselskab",), ("DK",)),
    LegalForm(("s.r.o.",), ("společnost s ručením omezeným",), ("CZ", "SK")),
    LegalForm(("d.o.o.",), ("društvo s ograničenom odgovornošću",), ("HR", "RS", "BA", "SI", "ME")),
    LegalForm(("K.K.",), ("Kabushiki Kaisha",), ("JP",)),
    LegalForm(("W.L.L.", "WLL"), ("With Limited Liability",), ("BH", "QA", "KW")),
    LegalForm(("SIA",), ("Sabiedrība ar ierobežotu atbildību",), ("LV",)),
    LegalForm(("UAB",), ("Uždaroji akcinė bendrovė",), ("LT",)),
    LegalForm(("Kft.",), ("Korlátolt felelősségű társaság",), ("HU",)),
    LegalForm(("LP",), ("Limited Partnership",)),
    LegalForm(("Inc.", "Inc"), ("Incorporated",)),
    LegalForm(("Corp.", "Corp"), ("Corporation",)),
    LegalForm(("Est.",), ("Establishment",)),
    LegalForm(("Ltd.", "Ltd"), ("Limited",), swaps=("Co., Ltd.", "Company Limited")),
    LegalForm(("Co.", "Co"), ("Company",)),
)
# "Company Limited" is written "Limited" as often: a swap within English (for legal_form_swap).
ENGLISH_SWAPS: dict[str, tuple[str, ...]] = {
    "company limited": ("Limited",),
    "limited": ("Company Limited",),
}

# ---------------------------------------------------------------- class 3: words not to transliterate into Cyrillic

ENGLISH_WORDS: tuple[str, ...] = (
    "company", "limited", "liability", "joint", "stock", "public", "closed", "open", "private", "state", "federal",
    "unitary", "enterprise", "plant", "factory", "institute", "research", "scientific", "production", "association",
    "center", "centre", "bank", "group", "holding", "holdings", "international", "trading", "trade", "house",
    "engineering", "design", "bureau", "technology", "technologies", "systems", "electronics", "aviation", "aircraft",
    "shipyard", "shipbuilding", "shipping", "marine", "oil", "gas", "energy", "power", "nuclear", "defense",
    "defence", "military", "ministry", "of", "the", "and", "for", "in", "named", "after", "new", "star", "united",
    "corporation", "industries", "industrial", "development", "investment", "investments", "capital", "fund",
    "management", "services", "service", "security", "agency", "national", "foundation", "university", "academy",
    "union", "society", "committee", "council", "partnership", "logistics", "transport", "airlines", "railway",
    "port", "terminal", "chemical", "chemicals", "metals", "steel", "mining", "medical", "pharmaceutical",
    "insurance", "exchange", "credit", "leasing", "finance", "financial", "global", "general", "commercial",
    "instruments", "precision", "components", "optical", "laser", "radio", "telecom", "communications", "media",
    "software", "computer", "consulting", "construction", "automation", "control", "machine", "machinery", "tools",
    "equipment", "materials", "products", "supply", "branch", "office", "representative", "department", "division",
    "limited", "inc", "llc", "jsc", "pjsc", "ojsc", "cjsc", "ltd", "co", "corp", "llp", "fze", "gmbh", "plc",
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "russian",
    "siberian", "volga", "far", "red", "white", "black", "blue", "green", "golden", "gold", "silver", "first",
    "second", "third", "nonprofit", "noncommercial", "autonomous", "organization", "organisation", "educational",
    "budgetary", "institution", "science", "sciences", "mechanical", "electrical", "electric", "testing",
    "test", "special", "experimental", "complex", "works", "navigation", "space", "rocket", "missile", "tactical",
    "weapons", "armament", "arms", "ammunition", "concern", "corporate", "bank's", "private", "pension", "nonstate",
    "non", "vessel", "tanker", "cargo", "petroleum", "refinery", "petrochemical", "fleet", "sea", "river", "air",
    "avia", "by", "to", "on", "at", "de", "la", "plus", "pro", "tech", "trust", "line", "lines", "city", "region",
    "regional", "republic", "ukraine", "belarus", "russia", "kazakhstan", "crimea", "crimean", "moscow",
)  # fmt: skip

# ---------------------------------------------------------------- hard negatives

# Real one-word company and brand names, worldwide (none a sanctions target).
BRANDS: tuple[str, ...] = (
    "Nokia", "Zara", "Lego", "Aldi", "Ikea", "Lenovo", "Adidas", "Nike", "Puma", "Sony", "Canon", "Nikon", "Samsung",
    "Toyota", "Honda", "Nissan", "Mazda", "Subaru", "Suzuki", "Yamaha", "Kawasaki", "Hitachi", "Toshiba", "Panasonic",
    "Sharp", "Fujitsu", "Olympus", "Ricoh", "Epson", "Kyocera", "Casio", "Seiko", "Bridgestone", "Shiseido",
    "Uniqlo", "Muji", "Rakuten", "Nintendo", "Sega", "Capcom", "Konami", "Bandai", "Asics", "Mizuno", "Pentax",
    "Makita", "Daikin", "Denso", "Nestle", "Danone", "Unilever", "Heineken", "Carlsberg", "Guinness", "Diageo",
    "Bacardi", "Absolut", "Smirnoff", "Lavazza", "Illy", "Barilla", "Ferrero", "Nutella", "Haribo", "Milka",
    "Lindt", "Toblerone", "Cadbury", "Twix", "Snickers", "Kellogg", "Heinz", "Kraft", "Oreo", "Pepsi", "Fanta",
    "Sprite", "Starbucks", "Subway", "Dominos", "Volvo", "Saab", "Scania", "Ericsson", "Electrolux", "Husqvarna",
    "Spotify", "Skype", "Klarna", "Lidl", "Tesco", "Sainsbury", "Asda", "Carrefour", "Auchan", "Leclerc", "Rewe",
    "Edeka", "Kaufland", "Migros", "Spar", "Mercadona", "Eroski", "Ahold", "Delhaize", "Colruyt", "Boots",
    "Primark", "Burberry", "Barbour", "Mulberry", "Gucci", "Prada", "Armani", "Versace", "Valentino", "Fendi",
    "Bulgari", "Benetton", "Diesel", "Moncler", "Ferragamo", "Chanel", "Dior", "Hermes", "Cartier", "Chloe",
    "Celine", "Givenchy", "Lancome", "Loreal", "Garnier", "Nivea", "Beiersdorf", "Henkel", "Persil", "Bosch",
    "Siemens", "Miele", "Braun", "Krups", "Rowenta", "Tefal", "Moulinex", "Philips", "Dyson", "Hoover", "Vileda",
    "Leica", "Zeiss", "Rolex", "Omega", "Tissot", "Swatch", "Longines", "Breitling", "Tudor", "Audi", "Porsche",
    "Opel", "Skoda", "Renault", "Peugeot", "Citroen", "Dacia", "Fiat", "Lancia", "Ferrari", "Lamborghini",
    "Maserati", "Ducati", "Vespa", "Piaggio", "Pirelli", "Michelin", "Continental", "Goodyear", "Firestone",
    "Hankook", "Kumho", "Nexen", "Hyundai", "Kia", "Daewoo", "Mahindra", "Bajaj", "Infosys", "Wipro", "Airtel",
    "Amul", "Dabur", "Britannia", "Parle", "Haldiram", "Godrej", "Titan", "Zomato", "Swiggy", "Flipkart", "Paytm",
    "Alibaba", "Tencent", "Baidu", "Xiaomi", "Haier", "Midea", "Oppo", "Vivo", "Meizu", "Anker", "Taobao",
    "Meituan", "Geely", "Chery", "Samsonite", "Tupperware", "Hasbro", "Mattel", "Barbie", "Crayola", "Kodak",
    "Xerox", "Intel", "Nvidia", "Qualcomm", "Broadcom", "Cisco", "Oracle", "Adobe", "Google", "Amazon", "Apple",
    "Microsoft", "Netflix", "Uber", "Lyft", "Airbnb", "Paypal", "Visa", "Mastercard", "Boeing", "Airbus",
    "Embraer", "Bombardier", "Dell", "Compaq", "Acer", "Asus", "Gigabyte", "Logitech", "Garmin", "Fitbit",
    "Tesla", "Ford", "Chevrolet", "Buick", "Cadillac", "Chrysler", "Dodge", "Jeep", "Lincoln", "Caterpillar",
    "Komatsu", "Liebherr", "Hilti", "Stihl", "Karcher", "Festool", "Metabo", "Victorinox", "Wenger", "Nespresso",
    "Gillette", "Colgate", "Crest", "Pampers", "Huggies", "Kleenex", "Dove", "Lipton", "Knorr", "Maggi",
    "Hellmann", "Ariel", "Tide", "Dettol", "Lysol", "Durex", "Harpic", "Domestos", "Bonduelle", "Activia",
    "Evian", "Volvic", "Perrier", "Vittel", "Badoit", "Aquafina", "Dasani", "Ricola", "Strepsils", "Nurofen",
    "Bayer", "Novartis", "Roche", "Sanofi", "Pfizer", "Merck", "Abbott", "Medtronic", "Stryker", "Baxter",
    "Fresenius", "Vodafone", "Orange", "Telefonica", "Movistar", "Swisscom", "Telenor", "Telia", "Elisa",
    "Proximus", "Etisalat", "Ooredoo", "Safaricom", "Jollibee", "Ocado", "Zalando", "Tchibo", "Douglas",
    "Rossmann", "Netto", "Penny", "Biedronka", "Allegro", "Rimi", "Maxima", "Fazer", "Valio", "Arla", "Lurpak",
    "Pandora", "Jabra", "Vestas", "Maersk", "Novozymes", "Danfoss", "Grundfos", "Rockwool", "Ecco", "Equinor",
    "Orkla", "Marabou", "Kesko", "Kone", "Wartsila", "Fiskars", "Iittala", "Marimekko", "Rovio", "Supercell",
    "Tatra", "Zetor", "Kofola", "Becherovka", "Budvar", "Staropramen", "Zywiec", "Tyskie", "Wedel", "Inglot",
    "Petrobras", "Natura", "Havaianas", "Itau", "Bradesco", "Gerdau", "Ambev", "Brahma", "Quilmes", "Corona",
    "Bimbo", "Cemex", "Femsa", "Oxxo", "Televisa", "Telcel", "Jumex", "Falabella", "Ripley", "Cencosud",
    "Sodimac", "Arcor", "Bagley", "Rappi", "Globant", "Despegar", "Nubank", "Totvs", "Petronas", "Proton",
    "Perodua", "Maybank", "Grab", "Shopee", "Lazada", "Tokopedia", "Gojek", "Indomie", "Viettel", "Vinamilk",
    "Singha", "Carabao", "Redbull", "Gatorade", "Tropicana", "Innocent", "Ribena", "Lucozade", "Walkers",
    "Pringles", "Doritos", "Cheetos", "Ruffles", "Tostitos", "Fritos", "Quaker", "Weetabix", "Alpen", "Hovis",
    "Warburtons", "Kingsmill", "Greggs", "Costa", "Pret", "Wagamama", "Zizzi", "Prezzo", "Nandos", "Wasabi",
    "Heineken", "Amstel", "Grolsch", "Bavaria", "Stella", "Leffe", "Hoegaarden", "Duvel", "Chimay", "Paulaner",
    "Erdinger", "Warsteiner", "Beck", "Krombacher", "Bitburger", "Veltins", "Jagermeister", "Ricard", "Martini",
    "Campari", "Aperol", "Cinzano", "Peroni", "Moretti", "Sanpellegrino", "Acqua", "Ikarus", "Zwilling", "Wusthof",
    "Rimowa", "Montblanc", "Faber", "Staedtler", "Pelikan", "Lamy", "Kaweco", "Moleskine", "Bic", "Parker",
    "Sheaffer", "Zippo", "Ray", "Oakley", "Persol", "Luxottica", "Essilor", "Safilo", "Fossil", "Timex",
    "Bulova", "Hamilton", "Certina", "Rado", "Mido", "Oris", "Zenith", "Hublot", "Chopard", "Piaget",
)  # fmt: skip

# Common Arabic family names (hard_kunya): "Hamza Haddad" shares only the kunya's name with "Abu Hamza".
ARABIC_FAMILY_NAMES: tuple[str, ...] = (
    "Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Hamdan", "Khalil", "Yousef", "Darwish", "Aziz", "Farah",
    "Habib", "Hijazi", "Jaber", "Karam", "Mahmoud", "Najjar", "Qasim", "Rahman", "Sabbagh", "Shami", "Suleiman",
    "Tamimi", "Zidan", "Othman", "Bakri", "Ghanem", "Hakim", "Issa", "Masri", "Obeid", "Rashed", "Sayegh", "Taha",
    "Wahba", "Zaki", "Attar", "Bitar", "Dajani", "Kassab", "Lahham", "Qureshi", "Sharif", "Tahan", "Halabi",
    "Kanaan", "Nassar", "Awad", "Fakhoury", "Barakat", "Azzam", "Salameh", "Shaheen", "Hourani", "Jarrah",
)  # fmt: skip

# hard_shared_word: words for a made-up but ordinary company around one borrowed word.
DESCRIPTORS: tuple[str, ...] = (
    "Summit", "Crescent", "Harbor", "Meadow", "Maple", "Cedar", "Oakwood", "Riverside", "Lakeside", "Sunrise",
    "Horizon", "Pioneer", "Heritage", "Coastal", "Alpine", "Prairie", "Royal", "Crown", "Kestrel", "Lotus",
    "Jasmine", "Orchid", "Atlas", "Nova", "Stellar", "Bright", "Clearwater", "Swift", "Prime", "Liberty",
    "Victory", "Beacon", "Anchor", "Compass", "Keystone", "Cornerstone", "Granite", "Coral", "Amber", "Emerald",
    "Sapphire", "Ivory", "Willow", "Aspen", "Birch", "Cypress", "Orion", "Vega", "Evergreen", "Bluebell",
    "Silverline", "Redwood", "Hillside", "Seaside", "Northstar", "Greenfield", "Fairway", "Brookside", "Tulip",
)  # fmt: skip
BUSINESS_NOUNS: tuple[str, ...] = (
    "Bakery", "Furniture", "Cosmetics", "Apparel", "Pharmacy", "Printing", "Ceramics", "Dairy", "Farms", "Tours",
    "Realty", "Interiors", "Florists", "Fitness", "Packaging", "Catering", "Dental", "Veterinary", "Kitchens",
    "Roofing", "Plumbing", "Landscaping", "Bookstore", "Publishing", "Toys", "Footwear", "Jewelry", "Garments",
    "Hospitality", "Hotels", "Restaurants", "Travel", "Studios", "Architects", "Accounting", "Brokers",
    "Properties", "Cleaning", "Laundry", "Bicycles", "Tyres", "Glassworks", "Paints", "Candles", "Seafood",
    "Beverages", "Coffee", "Organics", "Nutrition", "Pets", "Cinemas", "Music", "Events", "Staffing",
    "Recruitment", "Clinics", "Opticians", "Textiles", "Stationery", "Flooring",
)  # fmt: skip
NEGATIVE_FORMS: tuple[str, ...] = (
    "Ltd", "LLC", "Inc.", "GmbH", "S.A.", "B.V.", "Pty Ltd", "Co., Ltd.", "Limited", "Corp.", "S.r.l.", "AB", "Oy",
    "A/S", "SARL", "Sdn Bhd", "Pte Ltd", "PLC", "Kft.", "S.L.",
)  # fmt: skip

# legal_form_swap: swaps into another country's language or script only for that country's companies.
SWAP_COUNTRIES: dict[str, tuple[str, ...]] = {
    "OOO": RUSSIAN, "ООО": RUSSIAN, "AO": RUSSIAN, "АО": RUSSIAN, "PAO": RUSSIAN, "ПАО": RUSSIAN,
    "ZAO": RUSSIAN, "ЗАО": RUSSIAN, "OAO": RUSSIAN, "ОАО": RUSSIAN, "FGUP": ("RU",), "ФГУП": ("RU",),
    "TOO": ("KZ",), "ТОО": ("KZ",), "有限公司": CHINESE,
}  # fmt: skip
