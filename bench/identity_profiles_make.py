"""Write bench/data/identity_profiles.jsonl: the same people across networks, and their namesakes.

Run once (``python -m bench.identity_profiles_make``); the file is committed
so the benchmark never changes under a seed or a library upgrade. Each line
is one profile: ``person`` is the ground truth (two lines with the same
``person`` are one human), ``kind`` says how the pair was built.

What a real Israeli, Russian and Ukrainian customer base shows, and what
the generator copies:

* the same person writes their name in Latin on X and in Cyrillic or Hebrew
  on Facebook or Telegram, with the transliteration they like (Yulia,
  Julia, Iuliia);
* people reuse a handle across networks often, and an e-mail local part
  sometimes (at another provider);
* some show only a first name and an initial (``Yulia M.``): hard to find;
* hard negatives: different people with the same first name and a similar
  surname, the same surname and another first name, and a few full
  namesakes that only a handle or an e-mail could tell apart.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "identity_profiles.jsonl"

# (Latin spellings, Russian Cyrillic, Hebrew as Israelis write it)
FIRST_FEMALE = [
    (["Yulia", "Julia", "Iuliia"], "Юлия", "יוליה"),
    (["Olga", "Olya"], "Ольга", "אולגה"),
    (["Natalia", "Natalya", "Nataliya"], "Наталья", "נטליה"),
    (["Elena", "Yelena", "Lena"], "Елена", "אלנה"),
    (["Anna", "Ana"], "Анна", "אנה"),
    (["Maria", "Mariya"], "Мария", "מריה"),
    (["Irina", "Iryna"], "Ирина", "אירינה"),
    (["Tatiana", "Tatyana"], "Татьяна", "טטיאנה"),
    (["Svetlana", "Svetla"], "Светлана", "סבטלנה"),
    (["Ekaterina", "Yekaterina"], "Екатерина", "יקטרינה"),
    (["Galina"], "Галина", "גלינה"),
    (["Ksenia", "Kseniya", "Xenia"], "Ксения", "קסניה"),
    (["Anastasia", "Anastasiya"], "Анастасия", "אנסטסיה"),
    (["Vera"], "Вера", "ורה"),
    (["Larisa", "Larissa"], "Лариса", "לריסה"),
]
FIRST_MALE = [
    (["Dmitry", "Dmitriy", "Dmitri"], "Дмитрий", "דמיטרי"),
    (["Sergey", "Sergei", "Serhiy"], "Сергей", "סרגיי"),
    (["Alexander", "Aleksandr", "Alexandr"], "Александр", "אלכסנדר"),
    (["Igor"], "Игорь", "איגור"),
    (["Pavel", "Pavlo"], "Павел", "פבל"),
    (["Andrey", "Andrei", "Andriy"], "Андрей", "אנדריי"),
    (["Mikhail", "Michael"], "Михаил", "מיכאל"),
    (["Vladimir", "Volodymyr"], "Владимир", "ולדימיר"),
    (["Nikolai", "Nikolay", "Mykola"], "Николай", "ניקולאי"),
    (["Boris"], "Борис", "בוריס"),
    (["Oleg", "Oleh"], "Олег", "אולג"),
    (["Viktor", "Victor"], "Виктор", "ויקטור"),
    (["Roman"], "Роман", "רומן"),
    (["Yuri", "Yuriy", "Iurii"], "Юрий", "יורי"),
    (["Maxim", "Maksim", "Maksym"], "Максим", "מקסים"),
]
# (male Latin spellings, male Cyrillic, male Hebrew, female Latin, female Cyrillic, female Hebrew)
SURNAMES = [
    (["Morozov"], "Морозов", "מורוזוב", ["Morozova"], "Морозова", "מורוזובה"),
    (["Sokolov"], "Соколов", "סוקולוב", ["Sokolova"], "Соколова", "סוקולובה"),
    (["Ivanov"], "Иванов", "איבנוב", ["Ivanova"], "Иванова", "איבנובה"),
    (["Petrov"], "Петров", "פטרוב", ["Petrova"], "Петрова", "פטרובה"),
    (["Smirnov"], "Смирнов", "סמירנוב", ["Smirnova"], "Смирнова", "סמירנובה"),
    (["Kuznetsov", "Kuznetzov"], "Кузнецов", "קוזנצוב", ["Kuznetsova"], "Кузнецова", "קוזנצובה"),
    (["Volkov"], "Волков", "וולקוב", ["Volkova"], "Волкова", "וולקובה"),
    (["Lebedev"], "Лебедев", "לבדב", ["Lebedeva"], "Лебедева", "לבדבה"),
    (["Kozlov"], "Козлов", "קוזלוב", ["Kozlova"], "Козлова", "קוזלובה"),
    (["Novikov"], "Новиков", "נוביקוב", ["Novikova"], "Новикова", "נוביקובה"),
    (["Orlov"], "Орлов", "אורלוב", ["Orlova"], "Орлова", "אורלובה"),
    (["Pavlov"], "Павлов", "פבלוב", ["Pavlova"], "Павлова", "פבלובה"),
    (["Fedorov", "Fyodorov"], "Федоров", "פדורוב", ["Fedorova"], "Федорова", "פדורובה"),
    (["Bogdanov"], "Богданов", "בוגדנוב", ["Bogdanova"], "Богданова", "בוגדנובה"),
    (["Vinogradov"], "Виноградов", "וינוגרדוב", ["Vinogradova"], "Виноградова", "וינוגרדובה"),
    (["Tkachenko"], "Ткаченко", "טקצ'נקו", ["Tkachenko"], "Ткаченко", "טקצ'נקו"),
    (["Shevchenko"], "Шевченко", "שבצ'נקו", ["Shevchenko"], "Шевченко", "שבצ'נקו"),
    (["Kovalenko"], "Коваленко", "קובלנקו", ["Kovalenko"], "Коваленко", "קובלנקו"),
    (["Bondarenko"], "Бондаренко", "בונדרנקו", ["Bondarenko"], "Бондаренко", "בונדרנקו"),
    (["Lysenko", "Lisenko"], "Лисенко", "ליסנקו", ["Lysenko"], "Лисенко", "ליסנקו"),
    (["Melnyk", "Melnik"], "Мельник", "מלניק", ["Melnyk"], "Мельник", "מלניק"),
    (["Zaitsev", "Zaytsev"], "Зайцев", "זייצב", ["Zaitseva"], "Зайцева", "זייצבה"),
    (["Belov"], "Белов", "בלוב", ["Belova"], "Белова", "בלובה"),
    (["Golubev"], "Голубев", "גולובב", ["Golubeva"], "Голубева", "גולובבה"),
    (["Romanov"], "Романов", "רומנוב", ["Romanova"], "Романова", "רומנובה"),
]
# Israeli names: (first Latin spellings, first Hebrew, last Latin spellings, last Hebrew)
ISRAELI = [
    (["Dana"], "דנה", ["Levi", "Levy"], "לוי"),
    (["Michal"], "מיכל", ["Cohen", "Kohen"], "כהן"),
    (["Avi"], "אבי", ["Mizrahi", "Mizrachi"], "מזרחי"),
    (["Noa"], "נועה", ["Barak"], "ברק"),
    (["Yossi", "Yosi"], "יוסי", ["Peretz", "Perets"], "פרץ"),
    (["Tamar"], "תמר", ["Friedman", "Fridman"], "פרידמן"),
    (["Eitan", "Etan"], "איתן", ["Shapira", "Shapiro"], "שפירא"),
    (["Shira"], "שירה", ["Katz", "Kats"], "כץ"),
    (["Omer"], "עומר", ["Biton"], "ביטון"),
    (["Yael"], "יעל", ["Azoulay", "Azulai"], "אזולאי"),
    (["Roni"], "רוני", ["Golan"], "גולן"),
    (["Lior"], "ליאור", ["Ohana"], "אוחנה"),
    (["Maya"], "מאיה", ["Dahan"], "דהן"),
    (["Gal"], "גל", ["Avraham", "Abraham"], "אברהם"),
    (["Nir"], "ניר", ["Sasson", "Sason"], "ששון"),
    (["Hila"], "הילה", ["Malka"], "מלכה"),
    (["Amit"], "עמית", ["Shalom"], "שלום"),
    (["Itai", "Itay"], "איתי", ["Rosenberg", "Rozenberg"], "רוזנברג"),
    (["Keren"], "קרן", ["Hadad", "Haddad"], "חדד"),
    (["Oren"], "אורן", ["Mor"], "מור"),
]
LATIN_NETWORKS = ["twitter", "instagram", "mastodon", "reddit"]
OTHER_NETWORKS = ["facebook", "telegram", "whatsapp", "vk"]
DOMAINS = ["gmail.com", "mail.ru", "yandex.ru", "walla.co.il", "ukr.net", "outlook.com", "yahoo.com"]
CITIES = ["Tel Aviv", "Haifa", "Jerusalem", "Ashdod", "Kyiv", "Kharkiv", "Moscow", "Riga", ""]


def _handle(rng: random.Random, first: str, last: str) -> str:
    first, last = first.lower(), last.lower()
    style = rng.randrange(6)
    year = rng.choice(["", "", str(rng.randint(70, 99)), str(rng.randint(1975, 2003))])
    return [
        f"{first}_{last}",
        f"{first}.{last}{year}",
        f"{first[0]}{last}{year}",
        f"{first}{last}",
        f"{last}_{first}",
        f"{first}{last[0]}{year}",
    ][style]


def _person(rng: random.Random, index: int, *, first: int | None = None, last: int | None = None) -> dict:
    """A person with their name in every script they may use (``first``/``last`` pin a name part)."""
    if index % 3 == 2:
        f = ISRAELI[rng.randrange(len(ISRAELI)) if first is None else first]
        s = ISRAELI[rng.randrange(len(ISRAELI)) if last is None else last]
        return {
            "key": ("il", ISRAELI.index(f), ISRAELI.index(s)),
            "latin_first": f[0],
            "latin_last": s[2],
            "cyrillic": "",
            "hebrew": f"{f[1]} {s[3]}",
        }
    firsts = FIRST_FEMALE + FIRST_MALE
    fi = rng.randrange(len(firsts)) if first is None else first
    si = rng.randrange(len(SURNAMES)) if last is None else last
    female = fi < len(FIRST_FEMALE)
    first_l, first_c, first_h = firsts[fi]
    sur = SURNAMES[si]
    last_l, last_c, last_h = (sur[3], sur[4], sur[5]) if female else (sur[0], sur[1], sur[2])
    return {
        "key": ("ru", fi, si),
        "latin_first": first_l,
        "latin_last": last_l,
        "cyrillic": f"{first_c} {last_c}",
        "hebrew": f"{first_h} {last_h}",
    }


def _profiles(rng: random.Random, person: dict, pid: str, twin: bool) -> list[dict]:
    """Two profiles of one person (``twin``) or one profile (a namesake stands alone)."""
    firsts, lasts = person["latin_first"], person["latin_last"]
    assert isinstance(firsts, list) and isinstance(lasts, list)
    first, last = rng.choice(firsts), rng.choice(lasts)
    handle = _handle(rng, first, last)
    local = f"{first}.{last}".lower() if rng.random() < 0.5 else handle.replace("_", ".")
    city = rng.choice(CITIES)
    a = {
        "person": pid,
        "network": rng.choice(LATIN_NETWORKS),
        "handle": "@" + handle,
        "display_name": f"{first} {last}",
        "email": f"{local}@{rng.choice(DOMAINS)}" if rng.random() < 0.3 else "",
        "city": city,
    }
    if not twin:
        return [a]
    scripts = ["latin"] + [s for s in ("cyrillic", "hebrew") if person[s]]
    script = rng.choice(scripts[1:]) if len(scripts) > 1 and rng.random() < 0.75 else "latin"
    name = f"{rng.choice(firsts)} {rng.choice(lasts)}" if script == "latin" else str(person[script])
    if rng.random() < 0.08:
        name = f"{name.split()[0]} {name.split()[-1][0]}."  # "Yulia M.": first name and an initial
    same_handle = rng.random() < 0.35
    b = {
        "person": pid,
        "network": rng.choice(OTHER_NETWORKS),
        "handle": "@" + (handle if same_handle else _handle(rng, rng.choice(firsts), rng.choice(lasts))),
        "display_name": name,
        "email": "",
        "city": city if rng.random() < 0.3 else "",
    }
    if rng.random() < 0.25:
        domains = [d for d in DOMAINS if not a["email"].endswith(d)]
        b["email"] = f"{local}@{rng.choice(domains)}"
    return [a, b]


def _namesake(rng: random.Random, person: dict, style: int, taken: set) -> dict:
    """Another person whose name is close: same first name, same surname, or the very same name."""
    if style == 2:
        return dict(person)  # a true namesake
    kind, fi, si = person["key"]
    index = 2 if kind == "il" else 0
    while True:
        other = _person(rng, index, first=fi if style == 0 else None, last=si if style == 1 else None)
        if other["key"] not in taken:
            taken.add(other["key"])
            return other


def main() -> None:
    rng = random.Random(20240611)
    lines: list[dict] = []
    pairs = 200
    people: list[dict] = []
    taken: set = set()
    while len(people) < pairs:  # every person's name is their own: namesakes are added on purpose
        person = _person(rng, len(people))
        if person["key"] not in taken:
            taken.add(person["key"])
            people.append(person)
    for i, person in enumerate(people):
        for profile in _profiles(rng, person, f"p{i:03d}", twin=True):
            lines.append({**profile, "kind": "same person"})
    for j in range(120):
        style = 2 if j % 12 == 0 else j % 2  # one namesake in twelve
        person = people[rng.randrange(pairs)]
        other = _namesake(rng, person, style, taken)
        (profile,) = _profiles(rng, other, f"n{j:03d}", twin=False)
        kind = ["same first name", "same surname", "namesake"][style]
        lines.append({**profile, "kind": kind})
    for n, line in enumerate(lines):
        line["id"] = f"s{n:04d}"
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    print(f"{len(lines)} profiles, {pairs} people seen twice, {len(lines) - 2 * pairs} others -> {OUT}")


if __name__ == "__main__":
    main()
