"""The few words a node itself adds to what readers see (story pages, correction paragraphs), in the languages of
the agencies it was built for, with English for the rest.

A story's own text is the agency's; these labels are ours. They are kept here as data (not gettext catalogues):
there are a dozen of them, every reader-facing one is covered by a test in each language, and an agency that
publishes in a language missing here gets English labels marked `lang="en"`, never a wrong language.
"""

from __future__ import annotations

from functools import lru_cache

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
    # Public pages (node/web/story_page.py, node/web/profile.py). `{0}`, `{1}`... are filled in that order; each
    # language puts them where its grammar wants them.
    "gone.reason": {
        "en": "The agency's reason: {}", "az": "Agentliyin izahı: {}", "tr": "Ajansın gerekçesi: {}",
        "ru": "Причина, указанная агентством: {}", "kk": "Агенттік көрсеткен себеп: {}",
        "uz": "Agentlik ko‘rsatgan sabab: {}",
        "zh-Hans": "通讯社给出的原因：{}", "zh-Hant": "通訊社給出的原因：{}",
    },
    "gone.date": {
        "en": "Withdrawn on {}.", "az": "Geri götürülmə tarixi: {}.", "tr": "Geri çekilme tarihi: {}.",
        "ru": "Дата отзыва: {}.", "kk": "Кері қайтарылған күні: {}.", "uz": "Qaytarib olingan sana: {}.",
        "zh-Hans": "撤回日期：{}。", "zh-Hant": "撤回日期：{}。",
    },
    "updated": {
        "en": "Updated {}", "az": "Yenilənib: {}", "tr": "Güncellendi: {}", "ru": "Обновлено: {}",
        "kk": "Жаңартылды: {}", "uz": "Yangilandi: {}", "zh-Hans": "更新于 {}", "zh-Hant": "更新於 {}",
    },
    "corrections": {
        "en": "Corrections", "az": "Düzəlişlər", "tr": "Düzeltmeler", "ru": "Исправления", "kk": "Түзетулер",
        "uz": "Tuzatishlar", "zh-Hans": "更正记录", "zh-Hant": "更正記錄",
    },
    "verification": {
        "en": "Signed by {0} with key {1} (Ed25519, eddsa-jcs-2022); this page shows revision {2}.",
        "az": "{0} tərəfindən {1} açarı ilə imzalanıb (Ed25519, eddsa-jcs-2022); bu səhifədə {2} saylı versiya "
              "göstərilir.",
        "tr": "{0} tarafından {1} anahtarıyla imzalandı (Ed25519, eddsa-jcs-2022); bu sayfada {2} numaralı sürüm "
              "gösteriliyor.",
        "ru": "Подписано: {0}, ключ {1} (Ed25519, eddsa-jcs-2022); на этой странице показана редакция № {2}.",
        "kk": "Қол қойған: {0}, кілт {1} (Ed25519, eddsa-jcs-2022); бұл бетте № {2} нұсқа көрсетілген.",
        "uz": "{0} tomonidan {1} kaliti bilan imzolangan (Ed25519, eddsa-jcs-2022); bu sahifada {2}-tahrir "
              "ko‘rsatilgan.",
        "zh-Hans": "由{0}使用密钥 {1} 签署（Ed25519，eddsa-jcs-2022）；本页显示第 {2} 版。",
        "zh-Hant": "由{0}使用金鑰 {1} 簽署（Ed25519，eddsa-jcs-2022）；本頁顯示第 {2} 版。",
    },
    "feeds": {
        "en": "Feeds", "az": "Xəbər lentləri", "tr": "Haber akışları", "ru": "Ленты новостей",
        "kk": "Жаңалықтар таспасы", "uz": "Yangiliklar tasmasi", "zh-Hans": "订阅源", "zh-Hant": "訂閱源",
    },
    "feeds.all": {
        "en": "all languages", "az": "bütün dillər", "tr": "tüm diller", "ru": "все языки", "kk": "барлық тілдер",
        "uz": "barcha tillar", "zh-Hans": "所有语言", "zh-Hant": "所有語言",
    },
    "profile.follow": {
        "en": "Follow {} from your fediverse app (Mastodon and others).",
        "az": "{} hesabını fediverse tətbiqinizdən (Mastodon və başqaları) izləyin.",
        "tr": "{} hesabını fediverse uygulamanızdan (Mastodon ve diğerleri) takip edin.",
        "ru": "Подпишитесь на {} в своём приложении федиверса (Mastodon и другие).",
        "kk": "{} парақшасына федиверс қолданбаңыздан (Mastodon және басқалары) жазылыңыз.",
        "uz": "{} sahifasini fediverse ilovangizdan (Mastodon va boshqalar) kuzatib boring.",
        "zh-Hans": "在你的联邦宇宙应用（Mastodon 等）中关注 {}。",
        "zh-Hant": "在你的聯邦宇宙應用（Mastodon 等）中關注 {}。",
    },
    "profile.channels": {
        "en": "Or follow the stories of one language:", "az": "Və ya yalnız bir dildəki xəbərləri izləyin:",
        "tr": "Ya da tek bir dildeki haberleri takip edin:", "ru": "Или подпишитесь на материалы на одном языке:",
        "kk": "Немесе бір тілдегі жаңалықтарға жазылыңыз:", "uz": "Yoki faqat bitta tildagi xabarlarni kuzatib boring:",
        "zh-Hans": "或只关注一种语言的稿件：", "zh-Hant": "或只關注一種語言的稿件：",
    },
    "profile.factchecks": {
        "en": "Or follow only its fact-checks, each claim with its verdict: {}",
        "az": "Və ya yalnız onun faktyoxlamalarını, hər iddianı hökmü ilə izləyin: {}",
        "tr": "Ya da yalnızca doğruluk kontrollerini, her iddiayı kararıyla takip edin: {}",
        "ru": "Или подпишитесь только на его фактчекинг, каждое утверждение с вердиктом: {}",
        "kk": "Немесе тек оның фактчекингіне, әр мәлімдемеге үкімімен жазылыңыз: {}",
        "uz": "Yoki faqat uning faktlarni tekshirishlarini, har bir da’voni hukmi bilan kuzatib boring: {}",
        "zh-Hans": "或只关注其事实核查，每条说法附核查结论：{}",
        "zh-Hant": "或只關注其事實查核，每條說法附查核結論：{}",
    },
    "profile.recent": {
        "en": "Recent stories", "az": "Son xəbərlər", "tr": "Son haberler", "ru": "Последние материалы",
        "kk": "Соңғы жаңалықтар", "uz": "So‘nggi xabarlar", "zh-Hans": "最新稿件", "zh-Hant": "最新稿件",
    },
    "profile.none": {
        "en": "No stories yet.", "az": "Hələ xəbər yoxdur.", "tr": "Henüz haber yok.", "ru": "Материалов пока нет.",
        "kk": "Әзірге жаңалық жоқ.", "uz": "Hozircha xabar yo‘q.", "zh-Hans": "暂无稿件。", "zh-Hant": "暫無稿件。",
    },
}

_SCRIPT_OF = {"az": "Latn", "tr": "Latn", "ru": "Cyrl", "kk": "Cyrl", "uz": "Latn", "en": "Latn"}


@lru_cache(maxsize=256)  # a page asks for a dozen labels; parsing the tag each time was most of its cost
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
