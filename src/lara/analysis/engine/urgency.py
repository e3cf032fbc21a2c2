"""Rate how fast a message needs a human, and say why.

Urgency is a routing decision that agents must be able to audit, so it is
rule-based and every level above "normal" comes with the cue that caused it
("safety: brakes failed").  The cue lists cover English, Hebrew, Russian and
Ukrainian with stems for inflected forms; safety always wins because a
possible injury outranks every commercial concern.
"""

from __future__ import annotations

from dataclasses import dataclass

from .lexicons import CueSet, is_negated

URGENCY_LEVELS: tuple[str, ...] = ("low", "normal", "high", "critical")

# fmt: off
SAFETY = CueSet(
    "safety",
    {
        "en": [
            "brake* fail*", "brake* ... not work*", "brake* ... stopped work*", "brake* don't work",
            "brake* didn't work", "brake* did not work", "no brakes", "brake failure", "failed brakes",
            "caught fire", "set fire", "on fire", "fire hazard", "flames", "burst into flame*", "burned",
            "burnt", "smoke", "smoking from", "started smoking", "explod*", "explosion", "injur*",
            "hurt my", "got hurt", "was hurt", "hurt myself", "hospital*", "emergency room", "ambulance",
            "bleeding", "concussion", "stitches", "broke my arm", "broke my leg", "broke my wrist",
            "broken arm", "broken leg", "broken wrist", "could have died", "could've died", "almost died",
            "nearly died", "could have been killed", "nearly killed", "almost killed", "crashed into",
            "had a crash", "accident", "dangerous", "danger", "unsafe", "safety hazard", "safety issue",
            "safety recall", "hazard", "electric shock", "electrocut*", "shocked me", "overheat*", "melted",
            "melting", "sparks", "sparking", "battery swell*", "swollen battery", "battery bulg*",
            "frame crack*", "fork snapped", "snapped in half", "fell off", "thrown off", "poison*",
            "allergic reaction", "choking",
        ],
        "ru": [
            "тормоза отказали", "отказали тормоза", "тормоз* не работа*", "не работа* тормоз*",
            "тормоз* ... отказ*", "загорелс*", "загорелас*", "загорелос*", "загорелис*", "воспламен*",
            "пожар*", "дым", "дыма", "дымит*", "задымил*", "взорвал*", "взорвет*", "взрыв*", "травм*",
            "ранен*", "больниц*", "скорую", "скорой", "кровь", "крови", "кровью", "сотрясени*", "перелом*",
            "сломал руку", "сломал ногу", "сломала руку", "сломала ногу", "авари*", "разбился", "разбилась",
            "чуть не разбил*", "чуть не погиб*", "мог погибнуть", "могла погибнуть", "мог разбиться",
            "могла разбиться", "опасн*", "ударило током", "удар током", "бьет током", "бьется током",
            "перегрев*", "перегрел*", "оплавил*", "искрит", "искр*", "вздул*", "отравлен*", "отравил*",
            "аллерги*", "упал с", "упала с",
        ],
        "uk": [
            "гальма відмовили", "відмовили гальма", "гальм* не працю*", "не працю* гальм*",
            "гальм* ... відмов*", "загорів*", "загорілас*", "загорілос*", "загоріли*", "займи*", "пожеж*",
            "дим", "диму", "димит*", "задимі*", "вибухну*", "вибух*", "травм*", "поранен*", "лікарн*",
            "швидку", "швидкої", "кров", "крові", "кров'ю", "струс*", "перелом*", "зламав руку",
            "зламав ногу", "зламала руку", "зламала ногу", "аварі*", "розбився", "розбилася",
            "ледь не розбив*", "ледь не загин*", "міг загинути", "могла загинути", "міг розбитися",
            "могла розбитися", "небезпечн*", "вдарило струмом", "удар струмом", "б'є струмом", "перегрів*",
            "перегрі*", "оплави*", "іскрит*", "іскр*", "здул*", "отруєн*", "отруї*", "алергі*", "впав з",
            "впала з",
        ],
        "he": [
            "הבלמים לא עבדו", "הבלמים לא עובדים", "הבלם לא עבד", "הבלמים הפסיקו", "בלמים לא עובדים",
            "אין בלמים", "נשרף*", "שריפה", "שרפה", "עלה באש", "עלתה באש", "עלו באש", "עשן", "מעשן*",
            "העלה עשן", "התפוצץ*", "התפוצצה", "פיצוץ", "נפצע*", "פציעה", "פצוע*", "בית חולים", "בית החולים",
            "חדר מיון", "מיון", "אמבולנס", "דימום", "מדמם*", "זעזוע מוח", "תפרים", "שבר ביד", "שבר ברגל",
            "שברתי את היד", "שברתי את הרגל", "תאונה", "כמעט מתתי", "כמעט נהרגתי", "כמעט נהרג*",
            "יכולתי למות", "יכולתי להיהרג", "מסוכן*", "סכנה", "סכנת חיים", "התחשמל*", "מכת חשמל", "התחמם*",
            "התחממות", "נמס*", "ניצוצות", "התנפח*", "הרעלה", "הורעל*", "תגובה אלרגית", "נפלתי מ*",
        ],
    },
)
# fmt: on

# fmt: off
LEGAL = CueSet(
    "legal threat",
    {
        "en": [
            "lawyer*", "attorney*", "solicitor*", "sue", "suing", "sued", "lawsuit*", "legal action",
            "legal team", "take you to court", "see you in court", "in court", "to court", "court case",
            "small claims", "class action", "consumer protection", "ombudsman", "trading standards", "bbb",
            "better business bureau", "report you to", "legal department",
        ],
        "ru": [
            "адвокат*", "юрист*", "в суд", "через суд", "суд", "судом", "судеб*", "иск", "иска", "иском",
            "исков*", "засуж*", "подам в суд", "роспотребнадзор*", "прокуратур*", "защит* прав потребител*",
            "претензи*", "ОЗПП",
        ],
        "uk": [
            "адвокат*", "юрист*", "до суду", "в суд", "суд", "судом", "судов*", "позов", "позову",
            "позовом", "позовну", "засуд*", "подам до суду", "держспоживзахист*", "прокуратур*",
            "захист* прав споживач*", "претензі*",
        ],
        "he": [
            "עורך דין", "עורכת דין", "עורכי דין", 'עו"ד', "עו'ד", "תביעה", "תביעות", "ייצוגית", "אתבע",
            "לתבוע", "נתבע*", "תבענו", "בית משפט", "בית המשפט", "בבית משפט", "הגנת הצרכן", "המועצה לצרכנות",
            "מכתב התראה",
        ],
    },
)
# fmt: on

# fmt: off
CHURN = CueSet(
    "churn risk",
    {
        "en": [
            "cancel my", "cancelling my", "canceling my", "cancel* ... subscription",
            "cancel* ... membership", "cancel* ... contract", "cancel* ... account", "close my account",
            "closing my account", "switching to", "switch to another", "moving to another",
            "go to a competitor", "going to a competitor", "competitor", "never again", "never buying",
            "never buy", "never ordering", "never order", "never shopping", "last time i",
            "lost a customer", "lost my business", "take my business elsewhere", "taking my business",
            "done with you", "unsubscrib*", "goodbye", "i'm leaving", "i am leaving", "leaving you",
            "want my money back",
        ],
        "ru": [
            "отменю", "отмените", "отменить подписк*", "отмен* ... подписк*", "отказываюсь от", "ухожу к",
            "ухожу от вас", "ухожу в", "перехожу к", "перехожу в", "перейду к", "перейду на", "перейду в",
            "к конкурент*", "больше никогда", "никогда больше", "больше не буду", "ни ногой",
            "потеряли клиента", "закрою сч*", "закрыть сч*", "расторг*", "отпишусь", "отписываюсь",
            "верните деньги", "верните мои деньги",
        ],
        "uk": [
            "скасую", "скасуйте", "скасувати підписк*", "скасу* ... підписк*", "відмовляюся від", "йду до",
            "йду від вас", "переходжу до", "переходжу на", "перейду до", "перейду на", "до конкурент*",
            "більше ніколи", "ніколи більше", "більше не буду", "ні ногою", "втратили клієнта",
            "закрию рахун*", "закрити рахун*", "розірв*", "відпишуся", "поверніть гроші",
            "поверніть мої гроші",
        ],
        "he": [
            "לבטל את המנוי", "לבטל את החשבון", "לבטל את העסקה", "אבטל", "מבטל את", "מבטלת את", "ביטול מנוי",
            "ביטול החשבון", "עובר לחברה", "עוברת לחברה", "עוברים לחברה", "עובר למתחר*", "עוברת למתחר*",
            "למתחרים", "לעולם לא", "לא אקנה יותר", "לא אקנה שוב", "לא אזמין יותר", "איבדתם לקוח",
            "אני עוזב", "אני עוזבת", "תחזירו לי את הכסף",
        ],
    },
)
# fmt: on

# fmt: off
OUTAGE = CueSet(
    "outage",
    {
        "en": [
            "app is down", "app down", "site is down", "site down", "website is down", "website down",
            "servers are down", "server is down", "server down", "service is down", "system is down",
            "down for everyone", "is down again", "outage", "not loading", "won't load", "doesn't load",
            "can't log in", "cannot log in", "can't login", "cannot login", "unable to log in",
            "can't access", "cannot access", "nobody can", "for everyone", "everyone is having",
            "error 500", "500 error", "502", "503", "keeps crashing", "app crash*", "app keeps crashing",
            "is offline", "went offline",
        ],
        "ru": [
            "не работает у всех", "у всех не работает", "приложение не работает", "сайт не работает",
            "сервис не работает", "сайт лежит", "лежит сайт", "сервер* лежат", "сервер* упал*",
            "упал сервер", "упало приложение", "не загружа*", "не грузит*", "не могу войти",
            "не могу зайти", "не заходит", "сбой", "сбои", "вылета*", "недоступ*",
        ],
        "uk": [
            "не працює у всіх", "у всіх не працює", "застосунок не працює", "додаток не працює",
            "сайт не працює", "сервіс не працює", "сайт лежить", "сервер* лежать", "сервер* впав",
            "впав сервер", "збій", "збої", "не завантажу*", "не вантаж*", "не можу увійти", "не можу зайти",
            "вилітає", "вилітають", "недоступн*",
        ],
        "he": [
            "האפליקציה לא עובדת", "האתר לא עובד", "האתר נפל", "השרת נפל", "השרתים נפלו", "השירות לא עובד",
            "קריסה", "קורסת", "קורס", "לא נטען", "לא נטענת", "לא מצליח להתחבר", "לא מצליחה להתחבר",
            "תקלה כללית", "אצל כולם", "לא זמין", "לא זמינה", "מושבת",
        ],
    },
)
# fmt: on

# fmt: off
MEDIA = CueSet(
    "media/crisis",
    {
        "en": [
            "journalist*", "reporter*", "the press", "contacted the press", "the media", "media outlet*",
            "the news", "on the news", "news outlet*", "local news", "newspaper*", "on tv", "tv station",
            "viral", "go viral", "going viral", "tell everyone", "post this everywhere",
            "share this everywhere", "bbc", "cnn", "expose", "exposing", "public shaming", "boycott*",
        ],
        "ru": [
            "журналист*", "сми", "в прессу", "прессе", "в новостях", "в новости", "на тв", "телевидени*",
            "вирусн*", "всем расскажу", "расскажу всем", "опубликую", "выложу в сеть", "выложу видео",
            "напишу везде", "огласк*", "антиреклам*", "бойкот*",
        ],
        "uk": [
            "журналіст*", "змі", "в пресу", "пресі", "в новинах", "в новини", "на тб", "телебачен*",
            "вірусн*", "всім розкажу", "розкажу всім", "опублікую", "викладу в мережу", "викладу відео",
            "напишу всюди", "розголос*", "антиреклам*", "бойкот*",
        ],
        "he": [
            "עיתונאי*", "עיתונות", "לתקשורת", "התקשורת", "בחדשות", "לחדשות", "ויראלי*", "כולם ידעו",
            "אפרסם", "ברשתות", "ברשתות החברתיות", "חרם", "לפרסם בכל מקום",
        ],
    },
)
# fmt: on

# fmt: off
EXPLICIT = CueSet(
    "explicit urgency",
    {
        "en": [
            "urgent", "urgently", "asap", "a.s.a.p", "immediately", "emergency", "right now", "right away",
            "sos",
        ],
        "ru": [
            "срочно", "срочн*", "немедленно", "экстренн*", "как можно скорее", "помогите",
        ],
        "uk": [
            "терміново", "терміно*", "негайно", "екстрен*", "якнайшвидше", "допоможіть",
        ],
        "he": [
            "דחוף", "דחופה", "בדחיפות", "מיד", "מייד", "מיידי", "חירום", "הצילו",
        ],
    },
)
# fmt: on

# Order matters: it is the order of the reasons in the output.
CATEGORIES: tuple[CueSet, ...] = (SAFETY, LEGAL, OUTAGE, MEDIA, CHURN, EXPLICIT)
_ESCALATING = frozenset({"legal threat", "outage", "media/crisis"})
MAX_REASONS = 6


# A message with one of these cues is dissatisfaction by definition, so the
# analyzer treats it as (at least) a likely complaint.
COMPLAINT_CATEGORIES = frozenset({"safety", "legal threat", "churn risk", "outage", "media/crisis"})


@dataclass(frozen=True)
class UrgencyInput:
    """Carry the other analyses that urgency depends on.

    ``reasons`` may hold the output of :func:`find_reasons` when the caller
    already computed it (the analyzer does, to inform the message type).
    """

    normalized: str
    sentiment: str
    type: str
    purchase_intent: bool
    reasons: tuple[tuple[str, str], ...] | None = None


def find_reasons(normalized: str) -> list[tuple[str, str]]:
    """Return ``(category, matched text)`` pairs, skipping negated cues.

    "not dangerous" or "no lawyer needed" must not page anyone at night.
    """
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for cues in CATEGORIES:
        for m in cues.finditer(normalized):
            first = m.text.split()[0]
            if (
                cues is not OUTAGE
                and first not in {"no", "не", "לא", "אין"}
                and is_negated(normalized, m.start, 2)
            ):
                continue
            key = (cues.name, m.text)
            if key not in seen:
                seen.add(key)
                out.append(key)
    return out


def assess(inp: UrgencyInput) -> tuple[str, tuple[str, ...]]:
    """Return the urgency level and its human-readable reasons.

    critical: any safety cue, or two different escalation categories (legal,
    outage, media).  high: one escalation, churn or explicit urgency.
    normal: complaints, questions, negative messages and sales leads, which
    all wait for an answer.  low: everything else (praise, ideas, chatter).
    """
    if not inp.normalized.strip():
        return "low", ()
    reasons = list(inp.reasons) if inp.reasons is not None else find_reasons(inp.normalized)
    categories = {cat for cat, _ in reasons}
    labels = tuple(f"{cat}: {text}" for cat, text in reasons[:MAX_REASONS])
    if "safety" in categories or len(categories & _ESCALATING) >= 2:
        return "critical", labels
    if categories:
        return "high", labels
    if inp.type in {"complaint", "question"} or inp.sentiment == "negative" or inp.purchase_intent:
        return "normal", labels
    return "low", labels
