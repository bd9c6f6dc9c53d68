"""The few words a node itself adds to what readers see (story pages, correction paragraphs), in the languages of
the agencies it was built for, with English for the rest.

A story's own text is the agency's; these labels are ours. They are kept here as data (not gettext catalogues):
there are a dozen of them, every reader-facing one is covered by a test in each language, and an agency that
publishes in a language missing here gets English labels marked `lang="en"`, never a wrong language.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

__all__ = ["LABELS", "english_stands_in", "label", "label_language"]

# key -> language tag -> text. `{}` placeholders are filled by the caller (already escaped).
LABELS: dict[str, dict[str, str]] = {
    "correction": {
        "en": "Correction", "az": "Düzəliş", "tr": "Düzeltme", "ru": "Исправление", "kk": "Түзету",
        "uz": "Tuzatish", "zh-Hans": "更正", "zh-Hant": "更正",
    },
    "original": {
        "en": "original", "az": "orijinal", "tr": "orijinal", "ru": "оригинал", "kk": "түпнұсқа", "uz": "asl matn",
        "zh-Hans": "原文", "zh-Hant": "原文",
    },
    "method.machine": {
        "en": "machine translation", "az": "maşın tərcüməsi", "tr": "makine çevirisi", "ru": "машинный перевод",
        "kk": "машиналық аударма", "uz": "mashina tarjimasi", "zh-Hans": "机器翻译", "zh-Hant": "機器翻譯",
    },
    "method.human": {
        "en": "translated by people", "az": "insan tərcüməsi", "tr": "insan çevirisi", "ru": "перевод, сделанный людьми",
        "kk": "адам аудармасы", "uz": "inson tarjimasi", "zh-Hans": "人工翻译", "zh-Hant": "人工翻譯",
    },
    "method.machine+human": {
        "en": "machine translation edited by people", "az": "insan tərəfindən redaktə olunmuş maşın tərcüməsi",
        "tr": "insan tarafından düzenlenmiş makine çevirisi", "ru": "машинный перевод, отредактированный людьми",
        "kk": "адам өңдеген машиналық аударма", "uz": "inson tahrir qilgan mashina tarjimasi",
        "zh-Hans": "经人工编辑的机器翻译", "zh-Hant": "經人工編輯的機器翻譯",
    },
    "source_language": {
        "en": "Translated from", "az": "Mənbə dili", "tr": "Kaynak dil", "ru": "Язык оригинала",
        "kk": "Түпнұсқа тілі", "uz": "Asl til", "zh-Hans": "原文语言", "zh-Hant": "原文語言",
    },
    "engine": {
        "en": "engine", "az": "tərcümə sistemi", "tr": "çeviri motoru", "ru": "система перевода",
        "kk": "аударма жүйесі", "uz": "tarjima tizimi", "zh-Hans": "翻译引擎", "zh-Hant": "翻譯引擎",
    },
    "translator": {
        "en": "by", "az": "tərcüməçi", "tr": "çevirmen", "ru": "переводчик", "kk": "аудармашы", "uz": "tarjimon",
        "zh-Hans": "译者", "zh-Hant": "譯者",
    },
    "reviewer": {
        "en": "reviewed by", "az": "yoxlayan", "tr": "kontrol eden", "ru": "проверка", "kk": "тексерген",
        "uz": "tekshirgan", "zh-Hans": "审校", "zh-Hant": "審校",
    },
    "languages": {
        "en": "Languages", "az": "Dillər", "tr": "Diller", "ru": "Языки", "kk": "Тілдер", "uz": "Tillar",
        "zh-Hans": "语言", "zh-Hant": "語言",
    },
    # A language channel's summary, in the channel's own language and about that language (so no grammar has to
    # be composed: each entry names its own language).
    "channel.summary": {
        "en": "stories in English.", "az": "Azərbaycan dilində xəbərlər.", "tr": "Türkçe haberler.",
        "ru": "новости на русском языке.", "kk": "қазақ тіліндегі жаңалықтар.", "uz": "o‘zbek tilidagi xabarlar.",
        "zh-Hans": "中文新闻。", "zh-Hant": "中文新聞。",
    },
    "gone.title": {
        "en": "This story was deleted", "az": "Bu xəbər silinib", "tr": "Bu haber silindi", "ru": "Материал удалён",
        "kk": "Бұл жаңалық жойылды", "uz": "Bu xabar o‘chirildi", "zh-Hans": "此稿件已删除", "zh-Hant": "此稿件已刪除",
    },
    "gone.text": {
        "en": "The agency withdrew the story that was published at {}.",
        "az": "Agentlik {} ünvanında dərc olunmuş xəbəri geri götürüb.",
        "tr": "Ajans, {} adresinde yayımlanan haberi geri çekti.",
        "ru": "Агентство отозвало материал, опубликованный по адресу {}.",
        "kk": "Агенттік {} мекенжайында жарияланған жаңалықты кері қайтарып алды.",
        "uz": "Agentlik {} manzilida e’lon qilingan xabarni qaytarib oldi.",
        "zh-Hans": "通讯社已撤回发布于 {} 的稿件。", "zh-Hant": "通訊社已撤回發佈於 {} 的稿件。",
    },
}

_SCRIPT_OF = {"az": "Latn", "tr": "Latn", "ru": "Cyrl", "kk": "Cyrl", "uz": "Latn", "en": "Latn"}


def label_language(tag: str) -> str:
    """The catalogue language that serves `tag`, or "en".

    A region does not matter (``tr-CY`` reads ``tr``), a script does: ``az-Cyrl`` and ``uz-Cyrl`` are not
    served the Latin labels, and Chinese goes by script (``zh``, ``zh-CN``: Simplified; ``zh-TW``, ``zh-HK``:
    Traditional), as CLDR's likely subtags say.
    """
    if not tag:
        return "en"
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en"
    language = locale.language
    if language == "zh":
        script = locale.script or _likely_script(locale)
        return "zh-Hant" if script == "Hant" else "zh-Hans"
    if language not in _SCRIPT_OF:
        return "en"
    script = locale.script or _SCRIPT_OF[language]
    return language if script == _SCRIPT_OF[language] else "en"


def _likely_script(locale: Locale) -> str:
    if locale.territory in ("TW", "HK", "MO"):
        return "Hant"
    return "Hans"


def english_stands_in(text_language: str, tag: str) -> bool:
    """Whether a label in `text_language` (from `label`) is English standing in for `tag`, which is not English:
    such a label must be marked `lang="en"`."""
    return text_language == "en" and tag.split("-")[0].lower() != "en"


def label(key: str, tag: str) -> tuple[str, str]:
    """(text, its language tag) of label `key` for a page or paragraph in `tag`; English when not catalogued."""
    language = label_language(tag)
    texts = LABELS[key]
    if language in texts:
        return texts[language], language
    return texts["en"], "en"
