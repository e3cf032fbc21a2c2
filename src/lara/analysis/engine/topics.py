"""Pick a few keywords per message as lightweight topics.

Agents scan topics to group mentions, so the words must be content words:
function words (small stop lists written for en/he/ru/uk), sentiment words
and placeholders are removed, and the rest are ranked by how rare they are in
the training corpora (the model's word IDF), so "brakes" beats "today".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from . import lexicons

MAX_TOPICS = 5

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any anyone are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't down during each either else even ever every few for from further get gets got had
    hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
    his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me more
    most much must mustn't my myself need no nor not now of off on once one only or other ought our
    ours ourselves out over own really same shan't she she'd she'll she's should shouldn't so some
    still such than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those though through to too under until up upon us very via was
    wasn't we we'd we'll we're we've were weren't what what's when when's where where's whether which
    while who who's whom why why's will with won't would wouldn't yet you you'd you'll you're you've
    your yours yourself yourselves hi hello hey dear thanks thank please pls plz lol ok okay yes yeah
    im ive dont cant wont didnt doesnt isnt guys anyone someone something anything everything
    thing things today day time way lot lots bit new got getting go going went make made want know
    think said say says see seen user httpurl rt amp via etc since ago already maybe also anyway
    ever never always sometimes usually actually literally still back two three first last
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне
    было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него
    до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы
    тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому
    этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех никогда
    можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая много
    разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда
    конечно всю между это спасибо пожалуйста привет здравствуйте очень просто вообще просто сегодня
    две одна одно прямо вчера завтра уже ещё тоже также
    і в у на не що я з із зі як а то все вона так його але та ти к же ви за б би по тільки її мені
    було от від мене ще ні о про з до вас вам там потім себе нічого їй може вони тут де є треба ней
    для ми тебе їх чим була сам щоб без чого раз теж собі під буде ж тоді хто цей того тому цього
    який зовсім ним тут цьому один майже мій тим щоб неї зараз були куди навіщо всіх ніколи можна при
    нарешті два інший хоч після над більше той через ці нас всього них яка багато три цю моя свою
    цієї перед іноді краще трохи тому не можна такий їм завжди звичайно між це дякую будь ласка
    привіт вітаю дуже просто взагалі сьогодні й чи або бо вже адже якщо коли
    дві одна одне прямо вчора завтра також
    של את על עם זה זו זאת הוא היא הם הן אני אתה את אנחנו אתם אתן לא כן גם אבל או כי אם מה מי
    איך למה מתי איפה כמה יש אין היה היתה היו יהיה כל כך רק עוד כבר שלי שלך שלו שלה שלנו שלכם שלהם
    אל מן עד אחרי לפני בין תחת מאוד הרבה קצת אז פה שם כאן עכשיו היום אצל לי לך לו לה לנו לכם להם
    אותי אותך אותו אותה אותנו אותם הזה הזאת האלה אלה אחד אחת שלום היי תודה בבקשה בסדר ממש סתם
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_WORD = re.compile(r"[^\W\d_]+(?:['\-][^\W\d_]+)*")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
# Words inside these cue hits are sentiment or question words, not topics.
_EXCLUDE_SETS = (lexicons.POSITIVE, lexicons.NEGATIVE, lexicons.PRAISE, lexicons.QUESTION_OPENERS)
# For these, only multi-word hits ("where can i buy", "скільки коштує") are
# excluded; a lone "price" or "discount" is a fine topic.
_EXCLUDE_PHRASES = (lexicons.PURCHASE, lexicons.SUGGESTION, lexicons.QUESTION_ANYWHERE)
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+)\W*([^\W\d_]+)")
CAPITALISED_BOOST = 3.0


def _min_len(word: str) -> int:
    return 2 if _HEBREW.match(word) else 3


def candidates(normalized: str) -> list[str]:
    """Return content words in order of appearance, without duplicates."""
    excluded: list[tuple[int, int]] = [
        (m.start, m.end) for cues in _EXCLUDE_SETS for m in cues.finditer(normalized)
    ]
    excluded += [
        (m.start, m.end) for cues in _EXCLUDE_PHRASES for m in cues.finditer(normalized) if " " in m.text
    ]
    out: list[str] = []
    for m in _WORD.finditer(normalized):
        word = m.group()
        if word in STOP_WORDS or len(word) < _min_len(word) or word in out:
            continue
        if any(s <= m.start() < e for s, e in excluded):
            continue
        out.append(word)
    return out


def capitalised(original: str) -> set[str]:
    """Return lowercased words written with a capital inside a sentence.

    Mid-sentence capitals mark product and place names ("the Volta City"),
    which are exactly what agents want as topics.
    """
    starts = {m.start(1) for m in _SENTENCE_START.finditer(original)}
    return {
        m.group().lower().replace("ё", "е")
        for m in _WORD.finditer(original)
        if m.group()[0].isupper() and m.start() not in starts
    }


def extract(
    normalized: str,
    idf: Callable[[Sequence[str]], Sequence[float]] | None = None,
    original: str | None = None,
) -> tuple[str, ...]:
    """Return up to five keywords, most specific first.

    ``idf`` maps words to inverse document frequencies (without it, words keep
    their order of appearance); words capitalised mid-sentence in ``original``
    get a boost.  Ties keep the order of appearance.
    """
    words = candidates(normalized)
    if not words:
        return ()
    weights = [float(w) for w in idf(words)] if idf is not None else [0.0] * len(words)
    if original:
        names = capitalised(original)
        weights = [
            w + (CAPITALISED_BOOST if word in names else 0.0) for word, w in zip(words, weights, strict=True)
        ]
    order = sorted(range(len(words)), key=lambda i: (-round(weights[i], 3), i))
    return tuple(words[i] for i in order[:MAX_TOPICS])
