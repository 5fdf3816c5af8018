"""Name pools for realistic parties that are not listed (negatives and hard negatives).

Each culture has given names, family names, the countries its parties come from
and how it writes a full name. Native-script pools pair each written form with
its usual romanisation, so the "is it listed?" check can compare the Latin form
with the listed names too (a Cyrillic "Иван Петров" is not a negative if an
"Ivan PETROV" is listed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Culture:
    name: str
    given: tuple[str, ...]
    family: tuple[str, ...]
    countries: tuple[str, ...]
    # Family name first in everyday writing (Chinese, Japanese, Korean, Hungarian).
    family_first: bool = False


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CULTURES: tuple[Culture, ...] = (
    Culture(
        "western",
        _split(
            "James Oliver William Henry Thomas Emma Charlotte Sophie Lucas Hugo Louis Camille Chloe Jonas Lukas "
            "Felix Lena Anna Hannah Marco Giulia Matteo Francesca Lorenzo Pieter Daan Sanne Lars Erik Ingrid "
            "Astrid Niamh Sean Claire Margaret Patrick Isabelle Antoine Johanna Henrik"
        ),
        _split(
            "Smith Taylor Brown Wilson Walker Wright Martin Bernard Dubois Laurent Lefebvre Moreau Muller Schmidt "
            "Schneider Fischer Weber Becker Rossi Russo Ferrari Esposito Bianchi Romano Jansen Visser Bakker "
            "Hansen Johansson Lindqvist Nielsen Murphy Kelly Byrne Fontaine Hartmann Keller Vogel"
        ),
        ("GB", "FR", "DE", "IT", "NL", "SE", "DK", "IE", "BE", "AT", "CH", "US", "CA"),
    ),
    Culture(
        "hispanic",
        _split(
            "Alejandro Sofia Mateo Valentina Santiago Camila Diego Lucia Javier Martina Andres Gabriela Carlos "
            "Isabella Miguel Fernanda Pablo Daniela Raul Ximena Rodrigo Paula Esteban Carolina Ignacio Adriana "
            "Emilio Natalia Tomas Rocio"
        ),
        _split(
            "Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores Rivera "
            "Gomez Diaz Reyes Morales Cruz Ortiz Gutierrez Chavez Ramos Ruiz Alvarez Mendoza Castillo Jimenez "
            "Vargas Romero Herrera Medina Aguilar Vega Navarro Dominguez Salazar Cabrera"
        ),
        ("ES", "MX", "AR", "CO", "PE", "CL", "EC", "UY", "GT", "DO"),
    ),
    Culture(
        "slavic",
        _split(
            "Ivan Pavel Mikhail Sergei Andrei Dmitri Alexei Nikolai Oleg Igor Maxim Roman Artem Kirill Denis "
            "Anastasia Olga Tatiana Irina Ekaterina Maria Svetlana Yulia Ksenia Darya Piotr Tomasz Krzysztof "
            "Katarzyna Agnieszka Jakub Ondrej Petra Bohdan Oksana Taras Mykola"
        ),
        _split(
            "Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov Volkov "
            "Alekseev Lebedev Semenov Egorov Pavlov Kozlov Stepanov Nikolaev Orlov Andreev Makarov Nikitin "
            "Zakharov Kowalski Nowak Wisniewski Wojcik Kaminski Novak Svoboda Dvorak Shevchenko Bondarenko "
            "Kovalenko Tkachenko Kravchenko"
        ),
        ("RU", "UA", "BY", "PL", "CZ", "SK", "BG", "RS", "KZ"),
    ),
    Culture(
        "arabic",
        _split(
            "Omar Khalid Youssef Karim Tariq Samir Nabil Walid Fadi Rami Ziad Bilal Hamza Anas Marwan Nizar "
            "Fatima Aisha Layla Mariam Noura Rania Salma Huda Dina Yasmin Amira Leila Rasha Hala Maha Nadia"
        ),
        _split(
            "Haddad Khoury Nasser Saleh Mansour Darwish Khalil Aziz Hamdan Shaheen Barakat Najjar Sabbagh "
            "Qureshi Farouk Jaber Hijazi Bitar Tamer Zayed Sharif Awad Issa Saad Rahal Nassar Hamoud Kanaan "
            "Abboud Jarrah Ghanem Zein Masoud"
        ),
        ("EG", "JO", "LB", "MA", "TN", "SA", "AE", "QA", "KW", "OM", "DZ"),
    ),
    Culture(
        "chinese",
        _split(
            "Wei Fang Na Min Jing Qiang Lei Jun Yang Yong Yan Jie Tao Ming Chao Xiuying Xia Ping Gang Hui Hao "
            "Yu Xin Lin Bo Rui Kai Yi Zhen Ting Lan Shu Peng Bin Dan Yun"
        ),
        _split(
            "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang "
            "Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang"
        ),
        ("CN", "TW", "SG", "HK", "MY"),
        family_first=True,
    ),
    Culture(
        "indian",
        _split(
            "Aarav Vivaan Aditya Arjun Rohan Rahul Vikram Sanjay Anil Suresh Rajesh Amit Priya Ananya Kavya "
            "Diya Pooja Neha Sneha Lakshmi Meera Sunita Deepak Manoj Karthik Sunil Ravi Nikhil Divya Swati "
            "Harpreet Gurpreet Arun Venkat Shreya"
        ),
        _split(
            "Sharma Verma Gupta Patel Shah Mehta Joshi Iyer Nair Reddy Rao Menon Pillai Kumar Das Banerjee "
            "Chatterjee Mukherjee Bose Ghosh Sen Agarwal Kapoor Malhotra Chopra Bhatia Saxena Srinivasan "
            "Krishnan Desai Kulkarni Naidu Chauhan Thakur Pandey"
        ),
        ("IN", "NP", "LK", "GB", "US", "AE"),
    ),
    Culture(
        "african",
        _split(
            "Chinedu Emeka Ngozi Adaeze Oluwaseun Tunde Folake Babajide Kwame Kofi Ama Akosua Yaw Abena Amara "
            "Chiamaka Ikenna Uchenna Wanjiru Njeri Kamau Otieno Achieng Baraka Zawadi Thabo Sipho Lerato "
            "Nomvula Themba Abebe Tesfaye Mekdes Alemayehu Fatoumata Mamadou Aminata Ousmane"
        ),
        _split(
            "Okafor Okonkwo Adeyemi Adebayo Balogun Eze Nwosu Obi Mensah Owusu Boateng Asante Appiah Osei "
            "Kamau Mwangi Odhiambo Njoroge Kiprotich Wanjala Nkosi Dlamini Ndlovu Mokoena Khumalo Mahlangu "
            "Bekele Tadesse Girma Haile Diallo Traore Keita Coulibaly Sow Ndiaye"
        ),
        ("NG", "GH", "KE", "ZA", "ET", "SN", "ML", "TZ", "UG", "CI"),
    ),
    Culture(
        "japanese",
        _split(
            "Haruto Sota Yuto Riku Daiki Takumi Kenta Shota Naoki Takuya Hiroshi Kenji Yuki Hina Yui Sakura "
            "Misaki Aoi Mei Rin Yuko Naomi Akiko Keiko Emi Ayumi Kazuki Ryota Tatsuya Makoto"
        ),
        _split(
            "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki "
            "Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Yamashita "
            "Ishikawa Nakajima Maeda Fujita Ogawa Okada Goto Hasegawa Murakami"
        ),
        ("JP",),
        family_first=True,
    ),
    Culture(
        "korean",
        _split(
            "Minjun Seoyeon Jihoon Subin Hyunwoo Jimin Yerin Doyun Haeun Sungmin Jiwoo Seojun Yuna Minseo "
            "Junho Eunji Hyejin Donghyun Sangwoo Jisoo Taeyang Kyungsoo Soyeon Hyunjin Yeji"
        ),
        _split(
            "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Yoo Hong Jeon "
            "Ko Moon Yang Son Bae Baek Heo Nam"
        ),
        ("KR",),
        family_first=True,
    ),
)

# Where listed parties come from, beyond the countries the negatives are drawn from:
# a hard negative gives a listed Syrian or North Korean surname a given name of the
# same culture. Parties from elsewhere get one of the fallback cultures.
MORE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "arabic": ("SY", "IQ", "YE", "LY", "SD", "PS", "BH", "IR", "AF", "PK", "SO", "ML", "NE", "MR"),
    "slavic": ("KG", "TJ", "UZ", "MD", "GE", "AM", "AZ", "TM", "LV", "LT", "EE", "CY"),
    "korean": ("KP",),
    "chinese": ("MO",),
    "hispanic": ("VE", "CU", "NI", "PA", "BO", "PY", "HN", "SV", "CR", "BR"),
    "western": ("AU", "NZ", "IL", "GR", "PT", "NO", "FI"),
    "african": ("ZW", "CD", "CF", "SS", "ER", "BI", "RW", "LR", "SL", "GN", "CM", "ZM", "MW", "MZ", "AO", "BF"),
}
FALLBACK_CULTURES: tuple[str, ...] = ("western", "hispanic", "slavic", "arabic")

# ---------------------------------------------------------------- native scripts

# (written form, romanisation) pairs. Full names are family + given in the
# culture's order; the romanisation is what the listed-name check compares.
CYRILLIC_GIVEN: tuple[tuple[str, str], ...] = (
    ("Иван", "Ivan"), ("Павел", "Pavel"), ("Михаил", "Mikhail"), ("Олег", "Oleg"), ("Игорь", "Igor"),
    ("Максим", "Maksim"), ("Роман", "Roman"), ("Кирилл", "Kirill"), ("Денис", "Denis"), ("Анастасия", "Anastasiya"),
    ("Ольга", "Olga"), ("Ирина", "Irina"), ("Мария", "Mariya"), ("Светлана", "Svetlana"), ("Юлия", "Yuliya"),
    ("Ксения", "Kseniya"), ("Дарья", "Darya"), ("Тарас", "Taras"), ("Богдан", "Bogdan"), ("Оксана", "Oksana"),
)  # fmt: skip
CYRILLIC_FAMILY: tuple[tuple[str, str], ...] = (
    ("Кузнецов", "Kuznetsov"), ("Соколов", "Sokolov"), ("Новиков", "Novikov"), ("Морозов", "Morozov"),
    ("Волков", "Volkov"), ("Лебедев", "Lebedev"), ("Егоров", "Yegorov"), ("Козлов", "Kozlov"),
    ("Степанов", "Stepanov"), ("Орлов", "Orlov"), ("Макаров", "Makarov"), ("Никитин", "Nikitin"),
    ("Захаров", "Zakharov"), ("Шевченко", "Shevchenko"), ("Бондаренко", "Bondarenko"), ("Коваленко", "Kovalenko"),
    ("Ткаченко", "Tkachenko"), ("Кравченко", "Kravchenko"), ("Белов", "Belov"), ("Гусев", "Gusev"),
)  # fmt: skip
ARABIC_GIVEN: tuple[tuple[str, str], ...] = (
    ("عمر", "Omar"), ("خالد", "Khalid"), ("يوسف", "Yusuf"), ("كريم", "Karim"), ("طارق", "Tariq"),
    ("سمير", "Samir"), ("نبيل", "Nabil"), ("وليد", "Walid"), ("فادي", "Fadi"), ("رامي", "Rami"),
    ("زياد", "Ziad"), ("بلال", "Bilal"), ("حمزة", "Hamza"), ("أنس", "Anas"), ("مروان", "Marwan"),
    ("فاطمة", "Fatima"), ("ليلى", "Layla"), ("مريم", "Maryam"), ("سلمى", "Salma"), ("هدى", "Huda"),
)  # fmt: skip
ARABIC_FAMILY: tuple[tuple[str, str], ...] = (
    ("حداد", "Haddad"), ("خوري", "Khoury"), ("درويش", "Darwish"), ("خليل", "Khalil"), ("حمدان", "Hamdan"),
    ("شاهين", "Shaheen"), ("بركات", "Barakat"), ("نجار", "Najjar"), ("صباغ", "Sabbagh"), ("حجازي", "Hijazi"),
    ("البيطار", "Al-Bitar"), ("عواد", "Awad"), ("سعد", "Saad"), ("كنعان", "Kanaan"), ("عبود", "Abboud"),
    ("غانم", "Ghanem"), ("زين", "Zein"), ("مسعود", "Masoud"), ("الجراح", "Al-Jarrah"), ("رحال", "Rahal"),
)  # fmt: skip
CHINESE_GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("强", "Qiang"), ("磊", "Lei"),
    ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("涛", "Tao"), ("明", "Ming"),
    ("超", "Chao"), ("秀英", "Xiuying"), ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("建华", "Jianhua"),
)  # fmt: skip
CHINESE_FAMILY: tuple[tuple[str, str], ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"), ("黄", "Huang"),
    ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"),
    ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"), ("林", "Lin"), ("罗", "Luo"),
)  # fmt: skip
JAPANESE_GIVEN: tuple[tuple[str, str], ...] = (
    ("翔太", "Shota"), ("陽菜", "Hina"), ("大輔", "Daisuke"), ("美咲", "Misaki"), ("健太", "Kenta"), ("裕子", "Yuko"),
    ("拓也", "Takuya"), ("直樹", "Naoki"), ("愛", "Ai"), ("花子", "Hanako"), ("健二", "Kenji"), ("由紀", "Yuki"),
)  # fmt: skip
JAPANESE_FAMILY: tuple[tuple[str, str], ...] = (
    ("佐藤", "Sato"), ("鈴木", "Suzuki"), ("高橋", "Takahashi"), ("田中", "Tanaka"), ("渡辺", "Watanabe"),
    ("伊藤", "Ito"), ("山本", "Yamamoto"), ("中村", "Nakamura"), ("小林", "Kobayashi"), ("加藤", "Kato"),
)  # fmt: skip
KOREAN_GIVEN: tuple[tuple[str, str], ...] = (
    ("민준", "Minjun"), ("서연", "Seoyeon"), ("지훈", "Jihoon"), ("수빈", "Subin"), ("현우", "Hyunwoo"),
    ("지민", "Jimin"), ("예린", "Yerin"), ("도윤", "Doyun"), ("하은", "Haeun"), ("성민", "Sungmin"),
)  # fmt: skip
KOREAN_FAMILY: tuple[tuple[str, str], ...] = (
    ("김", "Kim"), ("이", "Lee"), ("박", "Park"), ("최", "Choi"), ("정", "Jung"), ("강", "Kang"), ("조", "Cho"),
    ("윤", "Yoon"), ("장", "Jang"), ("임", "Lim"),
)  # fmt: skip


@dataclass(frozen=True)
class NativeScript:
    script: str
    given: tuple[tuple[str, str], ...]
    family: tuple[tuple[str, str], ...]
    countries: tuple[str, ...]
    family_first: bool
    # Chinese, Japanese and Korean names are written without a space.
    joined: bool


NATIVE_SCRIPTS: tuple[NativeScript, ...] = (
    NativeScript("cyrillic", CYRILLIC_GIVEN, CYRILLIC_FAMILY, ("RU", "UA", "BY"), family_first=False, joined=False),
    NativeScript("arabic", ARABIC_GIVEN, ARABIC_FAMILY, ("EG", "JO", "LB", "SA"), family_first=False, joined=False),
    NativeScript("han", CHINESE_GIVEN, CHINESE_FAMILY, ("CN", "TW"), family_first=True, joined=True),
    NativeScript("japanese", JAPANESE_GIVEN, JAPANESE_FAMILY, ("JP",), family_first=True, joined=True),
    NativeScript("hangul", KOREAN_GIVEN, KOREAN_FAMILY, ("KR",), family_first=True, joined=True),
)

# ---------------------------------------------------------------- companies

# Brand-like words for the distinctive part of an unlisted company name.
DISTINCTIVE_WORDS: tuple[str, ...] = _split(
    "Alderbrook Amberfield Aquilon Ashgrove Bellwether Birchway Blueharbor Brightwater Caldera Castellan Cedarline "
    "Clearwell Cobaltia Copperleaf Corvana Crestmoor Daybreak Deltaris Dunmore Eastbridge Elmstead Emberly Everpeak "
    "Fairhaven Falconridge Fernhill Goldcrest Granitex Greystone Halcyon Harborview Hawthorne Heliora Highmark "
    "Ironbridge Jadeport Juniper Kestrel Kingsbury Lakeshore Larchmont Lumora Maplestone Meridia Millbrook Moonrise "
    "Northwind Novalis Oakhurst Orchidia Pinecrest Quillon Redfern Riverbend Rosewood Sablewood Sandpiper Silverline "
    "Skylark Solenne Starling Stonegate Sunbridge Tallis Thornbury Tidewater Valemont Velora Westbrook Willowmere "
    "Windward Yarrow Zephyra Huaxing Jinrui Hengtai Xinyuan Tianhong Ruida Baosheng Kaiyue Lianfeng Mingda Anxin "
    "Yongsheng Zhongrui Haoyu Dexin Vostokline Severtrans Uralmash Volgaris Baltika Sibirtek Ladoga Akhtuba Kamaflot "
    "Nurlan Safwa Rawabi Wadi Nakheel Zahra Noor Sahra Barq Najm"
)
COMPANY_GENERIC: tuple[str, ...] = (
    "Trading", "Logistics", "Technologies", "Industries", "Holdings", "Electronics", "Shipping", "Engineering",
    "Consulting", "Foods", "Textiles", "Pharma", "Energy", "Solutions", "Systems", "Import Export", "Machinery",
    "Chemicals", "Agro", "Construction", "Medical Supplies", "Packaging", "Software", "Marine Services",
)  # fmt: skip
COMPANY_PLACES: tuple[str, ...] = (
    "Shenzhen", "Shanghai", "Ningbo", "Dubai", "Istanbul", "Rotterdam", "Hamburg", "Mumbai", "Singapore", "Lagos",
    "Santiago", "Lyon", "Kazan", "Almaty",
)  # fmt: skip
COMPANY_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Ltd", ("GB", "IE")), ("LLC", ("US", "AE")), ("Inc.", ("US", "CA")), ("GmbH", ("DE", "AT")),
    ("S.A.", ("ES", "FR", "AR")), ("Co., Ltd.", ("CN", "TW")), ("Pvt. Ltd.", ("IN",)), ("K.K.", ("JP",)),
    ("OOO", ("RU",)), ("S.r.l.", ("IT",)), ("B.V.", ("NL",)), ("Sp. z o.o.", ("PL",)), ("A.S.", ("TR",)),
    ("Pty Ltd", ("AU",)), ("Pte. Ltd.", ("SG",)), ("AB", ("SE",)), ("", ("",)),
)  # fmt: skip
