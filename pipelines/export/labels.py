"""Bilingual labels of the exports (metric names come from the metric catalogue)."""

from __future__ import annotations

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "title": {"zh": "serviq 服务质量记分卡", "en": "serviq service-quality scorecard"},
    "scorecard": {"zh": "记分卡", "en": "Scorecard"},
    "period": {"zh": "报告期", "en": "Period"},
    "previous": {"zh": "上期", "en": "Previous period"},
    "sites": {"zh": "职场", "en": "Sites"},
    "all_sites": {"zh": "全部职场", "en": "All sites"},
    "published_at": {"zh": "数据发布", "en": "Data published"},
    "generated_at": {"zh": "生成时间", "en": "Generated"},
    "contacts": {"zh": "联络量", "en": "Contacts"},
    "family": {"zh": "指标类别", "en": "Family"},
    "metric": {"zh": "指标", "en": "Metric"},
    "code": {"zh": "代码", "en": "Code"},
    "value": {"zh": "本期", "en": "Value"},
    "previous_value": {"zh": "上期", "en": "Previous"},
    "change": {"zh": "环比变化", "en": "Change"},
    "target": {"zh": "目标", "en": "Target"},
    "status": {"zh": "状态", "en": "Status"},
    "numerator": {"zh": "分子", "en": "Numerator"},
    "denominator": {"zh": "分母", "en": "Denominator"},
    "definition": {"zh": "定义", "en": "Definition"},
    "source": {"zh": "数据来源", "en": "Source"},
    "date": {"zh": "日期", "en": "Date"},
    "site": {"zh": "职场", "en": "Site"},
    "by_day": {"zh": "按日", "en": "By day"},
    "by_site": {"zh": "按职场", "en": "By site"},
    "green": {"zh": "达标", "en": "On target"},
    "amber": {"zh": "预警", "en": "Watch"},
    "red": {"zh": "未达标", "en": "Off target"},
    "grey": {"zh": "无目标/无数据", "en": "No target / data"},
    "no_data_source": {"zh": "无此数据源", "en": "No data for this source"},
    "site_filter_ignored": {
        "zh": "该数据源不区分职场，以下为全部职场数据",
        "en": "this source has no site column: figures cover all sites",
    },
    "change_note": {
        "zh": "环比变化 = 本期 − 上期（同样天数），比率以百分点表示",
        "en": "Change = value − previous period of the same length; rates in percentage points",
    },
    "status_note": {
        "zh": "状态：达标 = 达到目标；预警 = 差距在预警区间内；未达标 = 超出预警区间",
        "en": "Status: on target = target met; watch = within the amber band; off target = worse",
    },
    "fam_evaluation": {"zh": "新评价指标", "en": "Evaluation"},
    "fam_classic": {"zh": "热线传统指标", "en": "Hotline"},
    "fam_backoffice": {"zh": "后台运营", "en": "Back office"},
    "fam_workforce": {"zh": "人员与连续性", "en": "Workforce"},
    "chart_volume": {"zh": "每日联络量（按职场）", "en": "Daily contacts by site"},
    "chart_classic": {"zh": "接通率与服务水平（按日）", "en": "Answer rate and service level"},
    "chart_evaluation": {"zh": "新评价指标（按日）", "en": "Evaluation metrics by day"},
    "chart_sites": {"zh": "各职场接通率", "en": "Answer rate by site"},
    "censored": {"zh": "未定（删失）", "en": "not final"},
    "censored_status": {"zh": "未定", "en": "Not final"},
    "censored_note": {
        "zh": "未定：仍在观察窗口内（删失）——一次性解决率、费力指数看重复联络窗口，"
        "价值共生看价值窗口；窗口结束后确定",
        "en": "Not final: still inside the observation window (censored): the repeat window "
        "for FCR and effort, the value window for value co-creation",
    },
    "unassigned": {"zh": "未分配", "en": "Unassigned"},
    "earlier": {"zh": "更早", "en": "Earlier"},
    "this_period": {"zh": "本期", "en": "This period"},
    "pp": {"zh": "个百分点", "en": "pp"},
    "page_note": {
        "zh": "口径见工作簿“定义”列；比率按分子/分母重新汇总，与看板一致。",
        "en": "Definitions in the workbook; rates re-aggregated from numerators and "
        "denominators, as on the dashboard.",
    },
}


def t(key: str, lang: str) -> str:
    entry = LABELS.get(key)
    if entry is None:
        return key
    return entry.get(lang) or entry["en"]


def family_name(family: str, lang: str) -> str:
    return t(f"fam_{family}", lang)


def source_label(name: str, lang: str) -> str:
    """A source (metrics_catalog.SOURCE_ENTITIES) by its name; a table name as it is."""
    from dashboard.metrics_catalog import SOURCE_NAMES, source_name

    return source_name(name, lang) if name in SOURCE_NAMES else name
