"""The labels a choice column accepts, in Japanese and English, mapped to the value the schemas take."""

from __future__ import annotations

from collections.abc import Mapping

from backend.service.ingest.values import choice_key


def _choices(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """``{value: labels}`` → the lookup ``{choice_key(label): value}``; the value is a label too."""
    return {choice_key(label): value for value, labels in table.items() for label in (value, *labels)}


FUNDING_STAGES = _choices(
    {
        "pre_seed": ("プレシード", "pre-seed", "エンジェル"),
        "seed": ("シード",),
        "series_a": ("シリーズA", "series a", "A"),
        "series_b": ("シリーズB", "series b", "B"),
        "series_c": ("シリーズC", "series c", "C"),
        "later": ("レイター", "レイターステージ", "シリーズD", "シリーズD以降", "series d", "D"),
    }
)
INVOICE_STATUSES = _choices(
    {
        "draft": ("下書き", "作成中", "未発行"),
        "issued": ("発行済", "発行済み", "請求済", "請求済み", "送付済", "送付済み", "未入金"),
        "paid": ("入金済", "入金済み", "支払済", "支払済み"),
        "overdue": ("期限超過", "延滞", "支払遅延"),
        "void": ("無効", "取消", "取り消し", "キャンセル", "cancelled"),
    }
)
PAYMENT_METHODS = _choices(
    {
        "bank_transfer": ("銀行振込", "振込", "振り込み", "bank transfer"),
        "card": ("カード", "クレジットカード", "クレカ", "credit card"),
        "other": ("その他", "現金"),
    }
)
TREATMENT_KINDS = _choices(
    {
        "massage": ("マッサージ",),
        "chiropractic": ("整体", "カイロプラクティック", "カイロ"),
        "coaching": ("コーチング",),
        "other": ("その他",),
    }
)
PHASES = _choices({"before": ("施術前", "前", "事前", "pre"), "after": ("施術後", "後", "事後", "post")})
