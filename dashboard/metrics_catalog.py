"""The metric catalogue: code, names and definitions in both languages.

One place for what each metric is called and what it means, shared by the
dashboard (labels, help texts, the scorecard) and the executive exports.
Definitions quote PRODUCT.md (sections 2-5); the Chinese text is a faithful
translation. Importable without Streamlit or a database.

`source` says where the published figure lives: a mart, the numerator and
denominator columns to re-aggregate (rates are never averaged), the date
column for the trend, and a scale (100 for an index, 10,000 for "per 10k").
A metric whose mart is not published shows "no data for this source".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# units: rate (share 0-1), seconds, score (plain number), per10k, per1000,
# ratio (0-1 shown as %), index (0-100), amount (CNY), hours, count
UNITS = (
    "rate",
    "seconds",
    "minutes",
    "score",
    "per10k",
    "per1000",
    "index",
    "amount",
    "hours",
    "count",
)


@dataclass(frozen=True)
class Source:
    """Where a figure lives: value = scale x sum(numerator) / sum(denominator).

    In `Metric.source`, `numerator` / `denominator` are always column names
    (summed: callers may write `sum(<numerator>)`). In `Metric.derived` (a
    ratio of ratios such as home/office productivity, which no single sum
    re-aggregates) they are aggregate SQL expressions, used as written:
    `aggregate()` handles both.
    """

    table: str
    numerator: str
    denominator: str
    date_col: str = "contact_date"
    scale: float = 1.0

    def aggregate(self, part: str) -> str:
        column = self.numerator if part == "numerator" else self.denominator
        return column if "(" in column else f"sum({column})"


@dataclass(frozen=True)
class Metric:
    code: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str
    direction: str  # higher_is_better | lower_is_better
    family: str  # evaluation | classic | backoffice | workforce
    source: Source | None = None
    derived: Source | None = None  # aggregate-SQL figure (see Source); None for plain sums

    @property
    def reading(self) -> Source | None:
        """How to read the figure: the plain source, else the derived one."""
        return self.source or self.derived

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def definition(self, lang: str) -> str:
        return self.definition_zh if lang == "zh" else self.definition_en


_METRICS: tuple[Metric, ...] = (
    # ---- the new evaluation metrics (PRODUCT.md section 2) ----------------
    Metric(
        "fcr",
        "一次性解决率",
        "One-contact resolution (FCR)",
        "在服务事件（episode）中，只包含一次已处理联络、且该联络既未后送后台也未标记为未解决的事件占比。"
        "首次联络距数据截止不足 repeat_window_days（7 天）的事件视为删失，不计入分母，单独列示。",
        "Among episodes: the share that consist of exactly one handled contact, that contact "
        "neither escalated to the back office nor marked unresolved. Episodes whose first contact "
        "started less than repeat_window_days (7) before the end of the data are censored: "
        "excluded from the denominator and reported as a separate count.",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "ces_mean",
        "客户费力度（问卷 CES 均值）",
        "Customer effort (survey CES mean)",
        "问卷 CES（1-7 分，7 = 非常容易）的平均值。",
        "Survey CES: mean of ces (1-7; 7 = very easy).",
        "score",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "ces_easy_share",
        "CES 容易占比（5-7 分）",
        "CES easy share (5-7)",
        "问卷 CES 回答中 5-7 分的占比。",
        "Survey CES: the share of answers 5-7.",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "effort_index",
        "客户费力指数",
        "Customer Effort Index",
        "客户费力指数（0-100，越高越费力）：对标准化分量的加权和——首次之后的已处理联络、放弃的尝试、"
        "渠道切换、转接、排队等待秒数、保持秒数、后送后台、从首次联络到解决的小时数。"
        "权重与上限在 dbt 种子中，"
        "分析师可调整。",
        "Customer Effort Index (0-100, higher = more effort): a weighted sum of normalised "
        "components: handled contacts beyond the first, abandoned attempts, channel switches, "
        "transfers, queue wait seconds, hold seconds, back-office hand-offs, and elapsed hours "
        "from "
        "first contact to resolution. Weights and caps "
        "live in a dbt seed so analysts can tune them.",
        "index",
        "lower_is_better",
        "evaluation",
    ),
    Metric(
        "prediction_accuracy",
        "预测准确率",
        "Prediction accuracy",
        "在有预测意图的联络中，预测意图等于最终意图（top-1）的占比；另按意图给出精确率与召回率，"
        "并按置信度十分位给出校准：各分位的准确率对比该分位的平均置信度。",
        "Over contacts with a predicted intent: share where predicted_intent = intent (top-1), per "
        "intent precision and recall, and calibration: accuracy per confidence decile against the "
        "mean confidence of that decile.",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "proactive_share",
        "主动服务占比",
        "Proactive-service share",
        "公司发起的联络 / 全部已处理联络，分渠道及总体。",
        "Company-initiated contacts / all handled contacts, per channel and overall.",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "preemption_rate",
        "主动预防率",
        "Pre-emption rate",
        "主动联络之后，客户在 repeat_window_days（7 天）内未就同一意图再次呼入的占比。",
        "The share of proactive contacts after which the customer made no inbound contact on the "
        "same intent within repeat_window_days (7).",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "offer_acceptance_share",
        "价值共生：接受推荐占比",
        "Value co-creation: offer acceptance share",
        "在已处理的服务类联络（意图本身不是销售意图）中，"
        "value_window_days（30 天）内有推荐被接受的占比。",
        "Among handled service contacts (intent not itself a sales intent): the share with an "
        "offer "
        "accepted within value_window_days (30) of the contact.",
        "rate",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "value_per_1000",
        "每千次联络接受价值",
        "Value accepted per 1,000 contacts",
        "每 1,000 次已处理服务类联络在 value_window_days 内被接受的推荐金额（元）。",
        "Value accepted (CNY) within value_window_days per 1,000 handled service contacts.",
        "amount",
        "higher_is_better",
        "evaluation",
    ),
    Metric(
        "value_harm_rate",
        "价值共生伤害率",
        "Value harm rate",
        "被接受的推荐中，同一客户在 value_window_days 内随后投诉的占比"
        "（掩盖误导销售的价值指标不是质量指标）。",
        "Accepted offers followed by a complaint from the same customer within value_window_days "
        "(a value metric that hides mis-selling is no quality metric).",
        "rate",
        "lower_is_better",
        "evaluation",
    ),
    # ---- classic figures (PRODUCT.md section 3) ---------------------------
    Metric(
        "answer_rate",
        "接通率",
        "Answer rate",
        "接通量 / 呼入量。呼入量 = 进入队列的呼入电话减去短时放弃。",
        "Answered / offered. Offered = inbound calls that reached a queue, minus short abandons.",
        "rate",
        "higher_is_better",
        "classic",
        Source("marts.mart_contacts_daily", "answer_rate_numerator", "answer_rate_denominator"),
    ),
    Metric(
        "service_level",
        "服务水平",
        "Service level",
        "在进入队列后 service_level_seconds（20 秒）内接通（等待 <= 阈值）的电话 / 呼入量。",
        "Answered within service_level_seconds (20) of queueing (wait <= the threshold) / offered.",
        "rate",
        "higher_is_better",
        "classic",
    ),
    Metric(
        "asa_seconds",
        "平均应答速度（ASA）",
        "Average speed of answer (ASA)",
        "已接通电话从进入队列到接通的平均秒数。",
        "Mean seconds from queued to answered, over answered calls.",
        "seconds",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "abandonment_rate",
        "放弃率",
        "Abandonment rate",
        "放弃（不含短时放弃）/ 呼入量。",
        "Abandoned (not short) / offered.",
        "rate",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "aht_seconds",
        "平均处理时长（AHT）",
        "Average handle time (AHT)",
        "每通已接通电话的通话时长（含保持）+ 话后处理时长。",
        "Connected + wrap, per answered call (connected "
        "seconds = ended - answered, hold included).",
        "seconds",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "talk_seconds",
        "平均通秒",
        "Average talk seconds",
        "通话时长减去保持时长，按已接通电话平均。",
        "Talk seconds = connected - hold, per answered call.",
        "seconds",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "bot_containment",
        "智能解决率（机器人拦截）",
        "Bot containment (AI resolution)",
        "机器人闭环处理的联络 / 进入机器人的联络。",
        "Bot-contained contacts / contacts that reached the bot.",
        "rate",
        "higher_is_better",
        "classic",
    ),
    Metric(
        "escalation_rate",
        "后送率",
        "Escalation rate",
        "后送后台的联络 / 已处理联络。",
        "Contacts escalated to the back office / handled.",
        "rate",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "transfer_rate",
        "转接率",
        "Transfer rate",
        "至少转接一次的已处理联络 / 已处理联络。",
        "Handled contacts transferred at least once / handled contacts.",
        "rate",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "repeat_contact_rate",
        "重复来电率",
        "Repeat-contact rate",
        "同一客户在 repeat_window_days（7 天）内就同一意图再次联络的已处理联络占比。",
        "Share of handled contacts that repeat an earlier contact of the same customer on the same "
        "intent within repeat_window_days (7).",
        "rate",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "complaint_rate_per_10k",
        "万次联络投诉率",
        "Complaints per 10,000 contacts",
        "每 10,000 次联络的正式投诉数。",
        "Formal complaints per 10,000 contacts.",
        "per10k",
        "lower_is_better",
        "classic",
    ),
    Metric(
        "nps",
        "净推荐值（NPS）",
        "Net Promoter Score (NPS)",
        "推荐者（9-10 分）占比减去贬损者（0-6 分）占比。",
        "% promoters (9-10) - % detractors (0-6).",
        "score",
        "higher_is_better",
        "classic",
    ),
    Metric(
        "csat",
        "满意度（CSAT）",
        "Customer satisfaction (CSAT)",
        "满意度问卷中 4-5 分的占比。",
        "Share of CSAT answers 4-5.",
        "rate",
        "higher_is_better",
        "classic",
    ),
    # ---- back office (PRODUCT.md section 4) -------------------------------
    Metric(
        "bo_processing_minutes",
        "后台平均处理时长",
        "Back-office processing time",
        "从接收到完成的平均分钟数（按业务类型、网点、审核员、班次、日）。",
        "Mean minutes from received to completed (per "
        "business type, branch, reviewer, shift, day).",
        "minutes",
        "lower_is_better",
        "backoffice",
    ),
    Metric(
        "bo_reject_return_rate",
        "拒绝退回率",
        "Rejection and return rate",
        "被拒绝或退回的工单 / 已完成工单。",
        "Items rejected or returned / completed items.",
        "rate",
        "lower_is_better",
        "backoffice",
    ),
    Metric(
        "bo_overtime_rate",
        "超时率",
        "Overtime rate",
        "在接收后 sla_minutes 之后才完成、或超过时限仍未完成的工单占比。",
        "Completed later than sla_minutes after receipt, or still open past it.",
        "rate",
        "lower_is_better",
        "backoffice",
    ),
    Metric(
        "bo_first_time_right",
        "一次通过率",
        "First-time-right rate",
        "首次审核即通过（未被拒绝或退回）的工单占比。",
        "Share of items approved at the first review (neither rejected nor returned).",
        "rate",
        "higher_is_better",
        "backoffice",
    ),
    # ---- workforce (PRODUCT.md section 5) ---------------------------------
    Metric(
        "contacts_per_logged_in_hour",
        "每登录小时处理量",
        "Handled contacts per logged-in hour",
        "已处理联络数 / 登录小时数，按工作模式（居家/职场）和职场。",
        "Handled contacts / logged-in hours, by work mode (home vs office) and site.",
        "score",
        "higher_is_better",
        "workforce",
    ),
    Metric(
        "home_office_productivity_ratio",
        "居家/职场产能比",
        "Home / office productivity ratio",
        "居家坐席每登录小时处理量 / 职场坐席每登录小时处理量。",
        "Home agents' handled contacts per logged-in hour / office agents'.",
        "rate",
        "higher_is_better",
        "workforce",
    ),
    Metric(
        "attendance_rate",
        "出勤率",
        "Attendance",
        "实际出勤班次 / 排班班次。",
        "Shifts worked / scheduled.",
        "rate",
        "higher_is_better",
        "workforce",
    ),
)

HOTLINE = "marts.mart_hotline_daily"
FCR = "marts.mart_fcr_daily"
EFFORT = "marts.mart_effort_daily"
PREDICTION = "marts.mart_prediction_daily"
PROACTIVE = "marts.mart_proactive_daily"
VALUE = "marts.mart_value_daily"
BACKOFFICE = "marts.mart_backoffice_daily"
WORKFORCE = "marts.mart_workforce_daily"
HOME_OFFICE = "marts.mart_workforce_home_office_daily"


def _rate(table: str, name: str, date_col: str = "contact_date", scale: float = 1.0) -> Source:
    return Source(table, f"{name}_numerator", f"{name}_denominator", date_col, scale)


# Where each published figure lives (see the marts' YAML for the definitions).
SOURCES: dict[str, Source] = {
    "fcr": Source(FCR, "fcr_numerator", "fcr_denominator", "episode_date"),
    "ces_mean": _rate(EFFORT, "ces_mean", "episode_date"),
    "ces_easy_share": _rate(EFFORT, "ces_top_box", "episode_date"),
    "effort_index": _rate(EFFORT, "effort_index_mean", "episode_date"),
    "prediction_accuracy": _rate(PREDICTION, "accuracy"),
    "proactive_share": _rate(PROACTIVE, "proactive_share"),
    "preemption_rate": _rate(PROACTIVE, "preemption_rate"),
    "offer_acceptance_share": _rate(VALUE, "offer_acceptance_share"),
    "value_per_1000": _rate(VALUE, "value_per_1000"),  # numerator already x 1,000
    "value_harm_rate": _rate(VALUE, "harm_rate"),
    "answer_rate": _rate(HOTLINE, "answer_rate"),
    "service_level": _rate(HOTLINE, "service_level"),
    "asa_seconds": _rate(HOTLINE, "asa_seconds"),
    "abandonment_rate": _rate(HOTLINE, "abandonment_rate"),
    "aht_seconds": _rate(HOTLINE, "aht_seconds"),
    "talk_seconds": Source(HOTLINE, "talk_seconds_sum", "aht_seconds_denominator"),
    "bot_containment": _rate(HOTLINE, "bot_containment_rate"),
    "escalation_rate": _rate(HOTLINE, "escalation_rate"),
    "transfer_rate": _rate(HOTLINE, "transfer_rate"),
    "repeat_contact_rate": _rate(HOTLINE, "repeat_contact_rate"),
    "complaint_rate_per_10k": _rate(HOTLINE, "complaints_per_10k", scale=10000.0),
    "nps": _rate(HOTLINE, "nps", scale=100.0),
    "csat": _rate(HOTLINE, "csat_rate"),
    "bo_processing_minutes": _rate(BACKOFFICE, "processing_seconds", "received_date", 1 / 60),
    "bo_reject_return_rate": _rate(BACKOFFICE, "rejection_return_rate", "received_date"),
    "bo_overtime_rate": _rate(BACKOFFICE, "overtime_rate", "received_date"),
    "bo_first_time_right": _rate(BACKOFFICE, "first_time_right_rate", "received_date"),
    "contacts_per_logged_in_hour": _rate(WORKFORCE, "contacts_per_logged_in_hour", "activity_date"),
    "attendance_rate": _rate(WORKFORCE, "attendance_rate", "activity_date"),
}

# Figures that are not one sum over another (read with Source.aggregate()).
DERIVED: dict[str, Source] = {
    "home_office_productivity_ratio": Source(
        HOME_OFFICE,
        "sum(home_handled_contact_count) / nullif(sum(home_logged_in_hours), 0)",
        "sum(office_handled_contact_count) / nullif(sum(office_logged_in_hours), 0)",
        "activity_date",
    ),
}

METRICS: dict[str, Metric] = {
    entry.code: replace(
        entry,
        source=SOURCES.get(entry.code, entry.source),
        derived=DERIVED.get(entry.code, entry.derived),
    )
    for entry in _METRICS
}


def metric(code: str) -> Metric:
    try:
        return METRICS[code]
    except KeyError:
        raise KeyError(f"unknown metric code {code!r}; known: {', '.join(METRICS)}") from None


def family(name: str) -> list[Metric]:
    return [m for m in METRICS.values() if m.family == name]


def traffic_light(
    value: float | None, target: float | None, direction: str, amber_band: float
) -> str:
    """green / amber / red against the target (amber: within the band of it); '' without one."""
    if value is None or target is None or value != value:  # NaN check
        return ""
    gap = value - target if direction == "higher_is_better" else target - value
    if gap >= 0:
        return "green"
    if gap >= -abs(amber_band):
        return "amber"
    return "red"


# --------------------------------------------------------------------------
# Sources each figure needs (issue 8: a centre may land only some entities)
# --------------------------------------------------------------------------
# A source is satisfied when any of its canonical entities (pipelines/schema.py)
# holds rows in the published `meta.source_coverage`; a figure whose source is
# not satisfied shows "no data for this source" instead of a zero or a blank.
SOURCE_ENTITIES: dict[str, tuple[str, ...]] = {
    "contacts": ("calls", "tickets"),
    "surveys": ("surveys",),
    "offers": ("offers",),
    "complaints": ("complaints",),
    "backoffice_items": ("backoffice_items",),
    "agent_shifts": ("agent_shifts",),
}
SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "contacts": ("联络记录（通话或在线工单）", "contacts (calls or online tickets)"),
    "surveys": ("满意度问卷", "surveys"),
    "offers": ("产品推荐记录", "offers"),
    "complaints": ("投诉记录", "complaints"),
    "backoffice_items": ("后台工单", "back-office items"),
    "agent_shifts": ("坐席班次", "agent shifts"),
}

_SURVEYED = ("contacts", "surveys")
METRIC_NEEDS: dict[str, tuple[str, ...]] = {
    "ces_mean": _SURVEYED,
    "ces_easy_share": _SURVEYED,
    "nps": _SURVEYED,
    "csat": _SURVEYED,
    "offer_acceptance_share": ("contacts", "offers"),
    "value_per_1000": ("contacts", "offers"),
    "value_harm_rate": ("contacts", "offers", "complaints"),
    "complaint_rate_per_10k": ("contacts", "complaints"),
    "bo_processing_minutes": ("backoffice_items",),
    "bo_reject_return_rate": ("backoffice_items",),
    "bo_overtime_rate": ("backoffice_items",),
    "bo_first_time_right": ("backoffice_items",),
    "contacts_per_logged_in_hour": ("contacts", "agent_shifts"),
    "attendance_rate": ("agent_shifts",),
    "home_office_productivity_ratio": ("contacts", "agent_shifts"),
}

# Published tables whose rows mean nothing without a source beyond the contacts.
TABLE_NEEDS: dict[str, tuple[str, ...]] = {
    VALUE: ("offers",),
    BACKOFFICE: ("backoffice_items",),
    "marts.mart_backoffice_branch_daily": ("backoffice_items",),
    "marts.mart_backoffice_reviewer_outliers": ("backoffice_items",),
    "marts.mart_backoffice_change_impact": ("backoffice_items",),
    WORKFORCE: ("agent_shifts",),
    HOME_OFFICE: ("agent_shifts",),
    "marts.mart_effort_ces_agreement": ("surveys",),
}

# Columns of contact marts that come from another source: blanked (not zero) without it.
COLUMN_NEEDS: dict[str, str] = {
    "nps": "surveys",
    "csat_rate": "surveys",
    "ces_mean": "surveys",
    "ces_easy_share": "surveys",
    "ces_answer_count": "surveys",
    "complaints_per_10k": "complaints",
    "offer_acceptance_share": "offers",
    "value_per_1000": "offers",
    "offer_take_up_rate": "offers",
    "value_harm_rate": "offers",
    "harmed_offer_count": "offers",
}


def needs(code: str) -> tuple[str, ...]:
    """The sources a metric needs (every metric needs the contacts unless said otherwise)."""
    metric(code)
    return METRIC_NEEDS.get(code, ("contacts",))


def absent_sources(wanted: tuple[str, ...], present: set[str] | None) -> tuple[str, ...]:
    """The sources in `wanted` with no rows; nothing is absent when coverage is unknown."""
    if present is None:
        return ()
    return tuple(name for name in wanted if not set(SOURCE_ENTITIES[name]) & present)


def source_name(name: str, lang: str) -> str:
    zh, en = SOURCE_NAMES.get(name, (name, name))
    return zh if lang == "zh" else en
