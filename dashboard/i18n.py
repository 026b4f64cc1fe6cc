"""Bilingual labels and number formats: 中文 / English for everything shown.

`t(key, lang)` gives a label; the `fmt_*` functions format numbers, dates
and durations the way each language writes them (Chinese groups large
numbers in 万 / 亿 and writes dates as 2026年6月1日). Metric names and
definitions live in `metrics_catalog.py`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

LABELS: dict[str, dict[str, str]] = {
    # app and navigation
    "app_title": {"zh": "serviq 服务质量分析", "en": "serviq service quality"},
    "overview": {"zh": "概览", "en": "Overview"},
    "scorecard": {"zh": "计分卡", "en": "Scorecard"},
    "fcr_effort": {"zh": "一次性解决与费力度", "en": "One-contact resolution and effort"},
    "prediction": {"zh": "预测与主动服务", "en": "Prediction and proactive service"},
    "value": {"zh": "价值共生", "en": "Value co-creation"},
    "hotline": {"zh": "热线", "en": "Hotline"},
    "backoffice": {"zh": "后台", "en": "Back office"},
    "workforce": {"zh": "人力与业务连续性", "en": "Workforce and continuity"},
    "quality": {"zh": "数据质量", "en": "Data quality"},
    "explore": {"zh": "明细钻取", "en": "Explore"},
    "section_evaluation": {"zh": "新评价体系", "en": "New evaluation"},
    "section_operations": {"zh": "运营", "en": "Operations"},
    "section_data": {"zh": "数据", "en": "Data"},
    # filters and chrome
    "filters": {"zh": "筛选", "en": "Filters"},
    "date_range": {"zh": "日期范围", "en": "Date range"},
    "site": {"zh": "职场", "en": "Site"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "intent": {"zh": "意图", "en": "Intent"},
    "team": {"zh": "团队", "en": "Team"},
    "all": {"zh": "全部", "en": "All"},
    "language": {"zh": "语言", "en": "Language"},
    "share_link": {
        "zh": "当前视图（含筛选）已写入网址，复制地址栏即可分享。",
        "en": "This view and its filters are in the URL: copy the address bar to share it.",
    },
    "no_data": {"zh": "尚无已发布的数据。", "en": "Nothing has been published yet."},
    "no_source": {"zh": "无此数据源", "en": "No data for this source"},
    "blanked_columns": {
        "zh": "（相应列留空，不是零）",
        "en": "(its columns are left blank, not zero)",
    },
    "source_coverage": {"zh": "数据源覆盖", "en": "Source coverage"},
    "source_coverage_help": {
        "zh": "每个标准实体已加载的行数与起止日期；行数为 0 的数据源在各页显示“无此数据源”。",
        "en": "Rows loaded and first/last day per canonical entity; pages say "
        "“No data for this source” for those with none.",
    },
    "no_rows": {"zh": "所选范围内没有数据。", "en": "No rows in the selected range."},
    "restricted": {
        "zh": "此视图不按职场划分，仅对可查看全部职场的用户开放。",
        "en": "This view is not broken down by site: only users allowed every site can see it.",
    },
    "ignored_filters": {
        "zh": "此视图的数据源没有以下维度，相应筛选未生效：",
        "en": "This view's source has no such column, so these filters do not apply here:",
    },
    "published_at": {"zh": "数据发布时间", "en": "Data published"},
    "open_access": {
        "zh": "未配置登录：本地开放访问模式，可查看全部职场。",
        "en": "No login configured: open access for local use, every site visible.",
    },
    "login_required": {
        "zh": "请先登录。登录后仅显示您有权查看的职场数据。",
        "en": "Please log in. After login you see only the sites you are allowed to see.",
    },
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出登录", "en": "Log out"},
    "signed_in_as": {"zh": "已登录", "en": "Signed in as"},
    "scope_all": {"zh": "可查看：全部职场", "en": "Scope: every site"},
    "scope_sites": {"zh": "可查看职场", "en": "Scope: sites"},
    "scope_none": {
        "zh": "您没有任何职场的查看权限，请联系管理员。",
        "en": "You are not allowed to see any site: ask an administrator.",
    },
    "scope_misconfigured": {
        "zh": "访问控制配置有误，不显示任何数据",
        "en": "Access control is misconfigured, so no data is shown",
    },
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "definition": {"zh": "定义", "en": "Definition"},
    "date": {"zh": "日期", "en": "Date"},
    "week": {"zh": "周", "en": "Week"},
    "hour": {"zh": "小时", "en": "Hour"},
    "weekday": {"zh": "星期", "en": "Weekday"},
    "value_col": {"zh": "数值", "en": "Value"},
    "metric": {"zh": "指标", "en": "Metric"},
    "show_contacts": {"zh": "查看这些联络明细", "en": "Show these contacts"},
    "drill_down": {"zh": "钻取到联络明细", "en": "Drill down to contacts"},
    "render_error": {"zh": "此部分无法显示", "en": "This part could not be shown"},
    # overview
    "contacts": {"zh": "联络量", "en": "Contacts"},
    "handled": {"zh": "已处理", "en": "Handled"},
    "answered": {"zh": "接通量", "en": "Answered"},
    "offered": {"zh": "呼入量", "en": "Offered"},
    "abandoned": {"zh": "放弃量", "en": "Abandoned"},
    "answer_rate": {"zh": "接通率", "en": "Answer rate"},
    "daily_volume": {"zh": "每日联络量（按职场）", "en": "Daily contacts by site"},
    "daily_answer_rate": {"zh": "每日接通率（按职场）", "en": "Daily answer rate by site"},
    "channel_mix": {"zh": "渠道结构", "en": "Channel mix"},
    # scorecard
    "target": {"zh": "目标", "en": "Target"},
    "actual": {"zh": "实际", "en": "Actual"},
    "status": {"zh": "状态", "en": "Status"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "green": {"zh": "达标", "en": "On target"},
    "amber": {"zh": "预警", "en": "Watch"},
    "red": {"zh": "未达标", "en": "Off target"},
    "no_target": {"zh": "无目标", "en": "No target"},
    "no_rows_short": {"zh": "无数据", "en": "No data"},
    "higher_is_better": {"zh": "越高越好", "en": "higher is better"},
    "lower_is_better": {"zh": "越低越好", "en": "lower is better"},
    "amber_band": {"zh": "预警区间", "en": "Amber band"},
    "scorecard_help": {
        "zh": "绿色：达到目标；黄色：距目标在预警区间内；红色：超出预警区间。"
        "目标见种子 scorecard_targets。",
        "en": "Green: target met; amber: within the amber band of the target; red: beyond it. "
        "Targets come from the scorecard_targets seed.",
    },
    "weekly_trend": {"zh": "周趋势", "en": "Weekly trend"},
    "missing_metrics": {
        "zh": "以下指标的数据源尚未发布",
        "en": "Not yet published for these metrics",
    },
    # explore
    "bucket": {"zh": "分组", "en": "Bucket"},
    "group_by": {"zh": "分组维度", "en": "Group by"},
    "drilled_into": {"zh": "当前钻取", "en": "Drilled into"},
    "clear_drill": {"zh": "清除钻取", "en": "Clear drill-down"},
    "contacts_in_bucket": {
        "zh": "该分组内的联络（已脱敏）",
        "en": "Contacts in this bucket (masked)",
    },
    "explore_masked": {
        "zh": "客户仅显示加密标识的前 8 位；不含电话、证件号或邮箱。",
        "en": "Customers show only the first 8 characters of their keyed hash; "
        "no phone, ID or e-mail.",
    },
    "row_limit": {
        "zh": "最多显示 {n} 行（按时间倒序）",
        "en": "At most {n} rows shown (newest first)",
    },
    "customers": {"zh": "客户数", "en": "Customers"},
    "mean_wait": {"zh": "平均等待", "en": "Mean wait"},
    "pick_bucket": {"zh": "选择一个分组以查看明细", "en": "Pick a bucket to see its contacts"},
    # hotline
    "service_level": {"zh": "服务水平", "en": "Service level"},
    "heatmap_title": {
        "zh": "服务水平热力图（星期 × 小时）",
        "en": "Service level by weekday and hour",
    },
    "asa": {"zh": "平均应答速度", "en": "ASA"},
    "abandonment_rate": {"zh": "放弃率", "en": "Abandonment rate"},
    "aht": {"zh": "平均处理时长", "en": "AHT"},
    "seconds": {"zh": "秒", "en": "s"},
    "minutes": {"zh": "分钟", "en": "min"},
    "hours": {"zh": "小时", "en": "h"},
    # one-contact resolution and effort
    "episodes": {"zh": "服务事件数", "en": "Episodes"},
    "censored_episodes": {
        "zh": "删失事件数（未满观察期）",
        "en": "Censored episodes (window not over)",
    },
    "evaluated_episodes": {"zh": "计入分母的事件", "en": "Episodes evaluated"},
    "unknown_customer_contacts": {
        "zh": "客户未知的联络（不计入事件）",
        "en": "Contacts with unknown customer (not in episodes)",
    },
    "fcr_by_day": {"zh": "每日一次性解决率（按首次联络渠道）", "en": "Daily FCR by first channel"},
    "fcr_by_intent": {"zh": "一次性解决率（按意图）", "en": "FCR by intent"},
    "fcr_by_site": {"zh": "一次性解决率（按职场）", "en": "FCR by site"},
    "fcr_by_agent": {
        "zh": "按坐席的一次性解决率与费力度（事件最多的 200 名）",
        "en": "FCR and effort by agent (the 200 with most episodes)",
    },
    "hotline_by_agent": {
        "zh": "按坐席的热线指标（接通最多的 200 名）",
        "en": "Hotline figures by agent (the 200 who answered most)",
    },
    "effort_components": {
        "zh": "费力分量（每个事件的平均值）",
        "en": "Effort components (mean per episode)",
    },
    "component": {"zh": "分量", "en": "Component"},
    "per_episode": {"zh": "每事件均值", "en": "Mean per episode"},
    "agreement": {"zh": "费力指数与问卷 CES 的一致性", "en": "Effort index against survey CES"},
    "rho_selection": {
        "zh": "当前筛选下的秩相关系数（Spearman ρ）",
        "en": "Rank correlation in this selection (Spearman ρ)",
    },
    "rho_help": {
        "zh": "CES 7 分 = 非常容易，而费力指数越高越费力，因此有效的指数应呈现明显的负相关。",
        "en": "CES 7 = very easy while the index rises with effort, so a useful index shows a "
        "clearly negative ρ.",
    },
    "agreement_by_period": {
        "zh": "各期秩相关（全部职场）",
        "en": "Rank correlation per period (all sites)",
    },
    "surveyed_episodes": {"zh": "有问卷的事件", "en": "Surveyed episodes"},
    # prediction and proactive
    "judged_contacts": {"zh": "有预测的联络", "en": "Contacts with a prediction"},
    "accuracy_by_day": {
        "zh": "每日预测准确率（按渠道）",
        "en": "Daily prediction accuracy by channel",
    },
    "precision_recall": {"zh": "按意图的精确率与召回率", "en": "Precision and recall per intent"},
    "calibration": {"zh": "置信度校准（按十分位）", "en": "Calibration by confidence decile"},
    "proactive_contacts": {"zh": "主动联络量", "en": "Proactive contacts"},
    "proactive_by_channel": {"zh": "主动服务（按渠道）", "en": "Proactive service by channel"},
    # value
    "service_contacts": {"zh": "服务类联络", "en": "Service contacts"},
    "harmed_offers": {
        "zh": "随后投诉的已接受推荐",
        "en": "Accepted offers followed by a complaint",
    },
    "value_by_day": {"zh": "每日接受推荐占比", "en": "Daily offer acceptance share"},
    "value_by_site": {"zh": "价值共生（按职场）", "en": "Value co-creation by site"},
    "value_by_intent": {"zh": "价值共生（按意图）", "en": "Value co-creation by intent"},
    "value_by_agent": {
        "zh": "价值共生（按坐席，关注高接受率同时高伤害率）",
        "en": "Value co-creation by agent (watch high acceptance with high harm)",
    },
    "queue": {"zh": "队列", "en": "Queue"},
    "agent": {"zh": "坐席", "en": "Agent"},
    # back office
    "received": {"zh": "接收工单", "en": "Items received"},
    "completed": {"zh": "完成工单", "en": "Items completed"},
    "open_past_sla": {"zh": "超时未完成", "en": "Open past SLA"},
    "review_minutes": {"zh": "平均审核时长", "en": "Mean review time"},
    "bo_daily": {"zh": "每日超时率（按业务类型）", "en": "Daily overtime rate by business type"},
    "bo_by_type": {"zh": "按业务类型", "en": "By business type"},
    "bo_by_shift": {"zh": "按班次", "en": "By shift"},
    "bo_by_branch": {"zh": "按网点（前 50）", "en": "By branch (top 50)"},
    "outliers": {
        "zh": "审核员多次偏离（最近 4 周中至少 3 周 |z| > 2）",
        "en": "Reviewer outliers (|z| > 2 in at least 3 of the last 4 weeks)",
    },
    "z_latest": {"zh": "最近一周审核员 z 值", "en": "Reviewer z-scores, latest week"},
    "change_impact": {"zh": "变更影响（前后对比）", "en": "Change impact (before / after)"},
    # workforce
    "by_work_mode": {"zh": "按工作模式（居家 / 职场）", "en": "By work mode (home / office)"},
    "by_site": {"zh": "按职场", "en": "By site"},
    "by_work_mode_table": {"zh": "按工作模式（明细）", "en": "By work mode (table)"},
    "by_team": {"zh": "按团队", "en": "By team"},
    "disruptions": {"zh": "业务连续性事件", "en": "Disruptions"},
    "attendance_by_day": {"zh": "每日出勤率（按职场）", "en": "Daily attendance by site"},
    "absorbed": {
        "zh": "事件期间各职场吸收的呼入量（相对基线预期）",
        "en": "Volume absorbed by each site during the disruption (against the baseline)",
    },
    "during_vs_baseline": {
        "zh": "事件期间与基线的接通率和服务水平",
        "en": "Answer rate and service level during the disruption against the baseline",
    },
    "disruption_note": {
        "zh": "业务连续性事件按自身期间计算，不受日期筛选影响。",
        "en": "Disruptions are measured over their own period; the date filter does not apply.",
    },
    # data quality
    "latest_checks": {"zh": "最新检查结果", "en": "Latest checks"},
    "quality_pending": {
        "zh": "尚未发布数据质量检查结果（quality 架构）。",
        "en": "No data-quality check results published yet (quality schema).",
    },
    "quality_unfiltered": {
        "zh": "本页按文件与检查运行展示，不受日期、职场等筛选影响。",
        "en": "This page is per file and per check run: the date, site and other filters do not "
        "apply.",
    },
    "check_status": {"zh": "最近一次检查", "en": "Latest check"},
    "check_passed": {"zh": "通过", "en": "Passed"},
    "check_failed": {"zh": "未通过", "en": "Failed"},
    "critical_failures": {"zh": "严重失败", "en": "Critical failures"},
    "warning_failures": {"zh": "警告", "en": "Warnings"},
    "expectations": {"zh": "检查项", "en": "Expectations"},
    "checked_at": {"zh": "检查时间", "en": "Checked at"},
    "check_results": {
        "zh": "最近一次检查的结果（失败在前）",
        "en": "Latest run's results (failures first)",
    },
    "check_runs": {"zh": "检查运行历史", "en": "Check runs"},
    "quarantined_rows": {"zh": "隔离行", "en": "Quarantined rows"},
    "quarantine_by_field": {
        "zh": "隔离原因（按实体与字段）",
        "en": "Quarantine by entity and field",
    },
    "load_history": {"zh": "加载历史", "en": "Load history"},
    "files_loaded": {"zh": "已加载文件", "en": "Files loaded"},
    "files_refused": {"zh": "被拒文件", "en": "Files refused"},
    "rows_loaded": {"zh": "已加载行", "en": "Rows loaded"},
    "rows_quarantined": {"zh": "隔离行数", "en": "Rows quarantined"},
}

WEEKDAYS = {
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}


def t(key: str, lang: str, **values: Any) -> str:
    """The label in the chosen language (English, then the key, as fall-backs)."""
    entry = LABELS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


def weekday(number: int, lang: str) -> str:
    """ISO weekday (1 = Monday) as a short name."""
    return WEEKDAYS.get(lang, WEEKDAYS["en"])[(int(number) - 1) % 7]


# --------------------------------------------------------------------------
# Number formats
# --------------------------------------------------------------------------
DASH = "—"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_int(value: Any, lang: str) -> str:
    """12,345 (en); 12,345 below 10万 and 12.3万 / 1.2亿 above (zh)."""
    if _missing(value):
        return DASH
    number = float(value)
    if lang == "zh":
        if abs(number) >= 1e8:
            return f"{number / 1e8:,.2f}亿"
        if abs(number) >= 1e5:
            return f"{number / 1e4:,.1f}万"
    return f"{round(number):,}"


def fmt_pct(value: Any, lang: str, digits: int = 1) -> str:
    if _missing(value):
        return DASH
    return f"{float(value) * 100:.{digits}f}%"


def fmt_number(value: Any, lang: str, digits: int = 1) -> str:
    if _missing(value):
        return DASH
    return f"{float(value):,.{digits}f}"


def fmt_seconds(value: Any, lang: str) -> str:
    if _missing(value):
        return DASH
    unit = "秒" if lang == "zh" else "s"
    return f"{float(value):,.1f} {unit}"


def fmt_minutes(value: Any, lang: str) -> str:
    if _missing(value):
        return DASH
    unit = "分钟" if lang == "zh" else "min"
    return f"{float(value):,.1f} {unit}"


def fmt_amount(value: Any, lang: str) -> str:
    if _missing(value):
        return DASH
    number = float(value)
    if lang == "zh":
        if abs(number) >= 1e8:
            return f"¥{number / 1e8:,.2f}亿"
        if abs(number) >= 1e4:
            return f"¥{number / 1e4:,.1f}万"
        return f"¥{number:,.0f}"
    return f"CNY {number:,.0f}"


def fmt_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return DASH
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def fmt_unit(value: Any, unit: str, lang: str) -> str:
    """Format a metric value by its catalogue unit."""
    if unit == "rate":
        return fmt_pct(value, lang)
    if unit == "seconds":
        return fmt_seconds(value, lang)
    if unit == "minutes":
        return fmt_minutes(value, lang)
    if unit == "amount":
        return fmt_amount(value, lang)
    if unit == "count":
        return fmt_int(value, lang)
    if unit == "hours":
        return fmt_number(value, lang) + (" 小时" if lang == "zh" else " h")
    return fmt_number(value, lang)


# d3 formats for Altair axes and tooltips (the chart's own language)
D3_PCT = ".1%"
D3_INT = ",.0f"
D3_NUM = ",.1f"


def d3_date(lang: str) -> str:
    return "%m月%d日" if lang == "zh" else "%b %d"


def d3_format(unit: str) -> str:
    return D3_PCT if unit == "rate" else D3_NUM


# Column headers of the tables (downloads keep the machine names).
COLUMNS: dict[str, tuple[str, str]] = {
    "contact_id": ("联络编号", "Contact"),
    "started_local_at": ("开始时间（本地）", "Started (local)"),
    "contact_date": ("日期", "Date"),
    "contact_hour": ("小时", "Hour"),
    "contact_weekday": ("星期", "Weekday"),
    "channel": ("渠道", "Channel"),
    "site_code": ("职场", "Site"),
    "team": ("团队", "Team"),
    "queue": ("队列", "Queue"),
    "agent_id": ("坐席", "Agent"),
    "work_mode": ("工作模式", "Work mode"),
    "direction": ("方向", "Direction"),
    "initiated_by": ("发起方", "Initiated by"),
    "handled_by": ("处理方", "Handled by"),
    "outcome": ("结果", "Outcome"),
    "intent": ("意图", "Intent"),
    "predicted_intent": ("预测意图", "Predicted intent"),
    "prediction_confidence": ("预测置信度", "Prediction confidence"),
    "customer_ref": ("客户（脱敏）", "Customer (masked)"),
    "wait_seconds": ("等待（秒）", "Wait (s)"),
    "connected_seconds": ("通话（秒）", "Connected (s)"),
    "hold_seconds": ("保持（秒）", "Hold (s)"),
    "wrap_seconds": ("话后（秒）", "Wrap (s)"),
    "transfer_count": ("转接次数", "Transfers"),
    "is_handled": ("已处理", "Handled"),
    "is_abandoned": ("放弃", "Abandoned"),
    "is_short_abandon": ("短时放弃", "Short abandon"),
    "is_marked_unresolved": ("标记未解决", "Marked unresolved"),
    "is_escalated_to_backoffice": ("后送后台", "Escalated"),
    "contact_count": ("联络量", "Contacts"),
    "handled_count": ("已处理", "Handled"),
    "offered_count": ("呼入量", "Offered"),
    "answered_count": ("接通量", "Answered"),
    "abandoned_count": ("放弃量", "Abandoned"),
    "answer_rate": ("接通率", "Answer rate"),
    "service_level": ("服务水平", "Service level"),
    "asa_seconds": ("平均应答（秒）", "ASA (s)"),
    "abandonment_rate": ("放弃率", "Abandonment rate"),
    "aht_seconds": ("平均处理（秒）", "AHT (s)"),
    "talk_seconds": ("平均通秒", "Talk (s)"),
    "bot_containment_rate": ("智能解决率", "Bot containment"),
    "escalation_rate": ("后送率", "Escalation rate"),
    "transfer_rate": ("转接率", "Transfer rate"),
    "repeat_contact_rate": ("重复来电率", "Repeat-contact rate"),
    "complaints_per_10k": ("每万次联络投诉", "Complaints / 10k"),
    "nps": ("NPS", "NPS"),
    "csat_rate": ("满意度", "CSAT"),
    "episode_count": ("事件数", "Episodes"),
    "censored_episode_count": ("删失事件", "Censored episodes"),
    "evaluated_episode_count": ("计入事件", "Episodes evaluated"),
    "unknown_customer_contact_count": ("客户未知联络", "Unknown-customer contacts"),
    "repeated_episode_count": ("重复事件", "Repeated episodes"),
    "escalated_episode_count": ("后送事件", "Escalated episodes"),
    "marked_unresolved_episode_count": ("未解决事件", "Unresolved episodes"),
    "fcr": ("一次性解决率", "FCR"),
    "effort_index": ("费力指数", "Effort index"),
    "ces_mean": ("CES 均值", "CES mean"),
    "ces_easy_share": ("CES 容易占比", "CES easy share"),
    "ces_answer_count": ("CES 答卷", "CES answers"),
    "period_grain": ("周期", "Period"),
    "period_start_date": ("周期开始", "Period start"),
    "measure": ("度量", "Measure"),
    "surveyed_episode_count": ("有问卷事件", "Surveyed episodes"),
    "spearman_rho": ("Spearman ρ", "Spearman ρ"),
    "actual_count": ("实际数", "Actual"),
    "predicted_count": ("预测数", "Predicted"),
    "precision": ("精确率", "Precision"),
    "recall": ("召回率", "Recall"),
    "service_contact_count": ("服务类联络", "Service contacts"),
    "value_censored_contact_count": ("价值删失联络", "Value-censored contacts"),
    "offer_acceptance_share": ("接受推荐占比", "Offer acceptance share"),
    "value_per_1000": ("每千次联络价值（元）", "Value per 1,000 (CNY)"),
    "offer_take_up_rate": ("推荐接受率", "Offer take-up"),
    "value_harm_rate": ("伤害率", "Harm rate"),
    "harmed_offer_count": ("随后投诉的推荐", "Offers then complained about"),
    "harm_censored_offer_count": ("伤害删失推荐", "Harm-censored offers"),
    "received_count": ("接收", "Received"),
    "completed_count": ("完成", "Completed"),
    "open_past_sla_count": ("超时未完成", "Open past SLA"),
    "processing_minutes": ("处理（分钟）", "Processing (min)"),
    "review_minutes": ("审核（分钟）", "Review (min)"),
    "rejection_return_rate": ("拒绝退回率", "Rejection and return"),
    "overtime_rate": ("超时率", "Overtime rate"),
    "first_time_right_rate": ("一次通过率", "First time right"),
    "business_type": ("业务类型", "Business type"),
    "shift": ("班次", "Shift"),
    "reviewer_id": ("审核员", "Reviewer"),
    "branch_id": ("网点", "Branch"),
    "week_start_date": ("周开始", "Week"),
    "mean_review_seconds": ("平均审核（秒）", "Mean review (s)"),
    "peer_mean_review_seconds": ("同组平均审核（秒）", "Peers' mean review (s)"),
    "review_time_z": ("审核时长 z", "Review time z"),
    "rejection_rate": ("拒绝率", "Rejection rate"),
    "peer_rejection_rate": ("同组拒绝率", "Peers' rejection rate"),
    "rejection_rate_z": ("拒绝率 z", "Rejection rate z"),
    "review_time_deviating_weeks": ("审核时长偏离周数", "Review-time weeks deviating"),
    "rejection_rate_deviating_weeks": ("拒绝率偏离周数", "Rejection weeks deviating"),
    "is_outlier": ("多次偏离", "Flagged"),
    "handled_contact_count": ("处理联络", "Handled contacts"),
    "logged_in_hours": ("登录小时", "Logged-in hours"),
    "contacts_per_logged_in_hour": ("每登录小时处理量", "Contacts per logged-in hour"),
    "handle_seconds_per_logged_in_hour": ("每登录小时处理秒", "Handle s per logged-in hour"),
    "attendance_rate": ("出勤率", "Attendance"),
    "started_at": ("开始", "Started"),
    "finished_at": ("结束", "Finished"),
    "source": ("来源", "Source"),
    "entity": ("实体", "Entity"),
    "file_path": ("文件", "File"),
    "status": ("状态", "Status"),
    "rows_read": ("读取行", "Rows read"),
    "rows_loaded": ("加载行", "Rows loaded"),
    "rows_quarantined": ("隔离行", "Rows quarantined"),
    "message": ("消息", "Message"),
    "field": ("字段", "Field"),
    "reason": ("原因", "Reason"),
    "line": ("行号", "Line"),
    "record_json": ("记录（已脱敏）", "Record (PII hashed)"),
    "quarantined_at": ("隔离时间", "Quarantined at"),
    "row_count": ("行数", "Rows"),
    "run_id": ("运行", "Run"),
    "is_success": ("通过", "Passed"),
    "critical_failures": ("严重失败", "Critical failures"),
    "warning_failures": ("警告", "Warnings"),
    "expectation_count": ("检查项", "Expectations"),
    "suite_count": ("检查套件", "Suites"),
    "seconds": ("耗时（秒）", "Seconds"),
    "build_fingerprint": ("构建指纹", "Build fingerprint"),
    "suite": ("套件", "Suite"),
    "expectation": ("检查项", "Expectation"),
    "column_name": ("列", "Column"),
    "severity": ("级别", "Severity"),
    "element_count": ("检查行数", "Rows checked"),
    "unexpected_count": ("异常行数", "Unexpected rows"),
    "unexpected_percent": ("异常占比（%）", "Unexpected (%)"),
    "observed_value": ("观测值", "Observed"),
    "failing_row_keys": ("失败行键", "Failing row keys"),
    "checked_at": ("检查时间", "Checked at"),
    "last_quarantined_at": ("最近隔离", "Last quarantined"),
}


def column_label(column: str, lang: str) -> str:
    names = COLUMNS.get(column)
    if names is None:
        return column
    return names[0] if lang == "zh" else names[1]
