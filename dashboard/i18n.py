"""Bilingual labels: 中文 / English for every label the dashboard shows."""

from __future__ import annotations

LANGUAGES = {"zh": "中文", "en": "English"}

LABELS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "serviq 服务质量分析", "en": "serviq service quality"},
    "overview": {"zh": "概览", "en": "Overview"},
    "date_range": {"zh": "日期范围", "en": "Date range"},
    "site": {"zh": "职场", "en": "Site"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "contacts": {"zh": "联络量", "en": "Contacts"},
    "answered": {"zh": "接通量", "en": "Answered"},
    "offered": {"zh": "呼入量", "en": "Offered"},
    "answer_rate": {"zh": "接通率", "en": "Answer rate"},
    "daily_volume": {"zh": "每日联络量（按职场）", "en": "Daily contacts by site"},
    "daily_answer_rate": {"zh": "每日接通率（按职场）", "en": "Daily answer rate by site"},
    "no_data": {"zh": "尚无已发布的数据。", "en": "Nothing has been published yet."},
    "published_at": {"zh": "数据发布时间", "en": "Data published"},
    "open_access": {
        "zh": "未配置登录：本地开放访问模式。",
        "en": "No login configured: open access for local use.",
    },
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "language": {"zh": "语言", "en": "Language"},
    "date": {"zh": "日期", "en": "Date"},
}


def t(key: str, lang: str) -> str:
    """The label in the chosen language (English, then the key, as fall-backs)."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry.get("en") or key
