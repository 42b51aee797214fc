"""The method notes every report carries: how to read the figures and where they stop (the wording of
docs/analyses.md, "How to read them, and their limits", in Japanese)."""

from __future__ import annotations

from backend.service.analysis.roi import RoiAssumptions
from backend.service.analysis.service import VC_MIN_GROUP
from backend.service.reports.formats import yen


def method_notes(min_group: int) -> list[tuple[str, str]]:
    """(heading, text) pairs, in the order the report shows them."""
    return [
        (
            "数値ではなく区間で読む",
            "すべての推定値は95%信頼区間と件数（n）とともに示しています。8組で平均+5、区間−1〜+11なら"
            "「効果はないかもしれない」、800組で平均+5、区間4〜6なら「およそ5ポイント」という意味です。"
            "まずnを確認してください。",
        ),
        (
            "VAS変化は1回の施術の前後",
            "VAS変化は施術直前と施術1週間後の回答の差であり、持続的な変化ではありません。施術を受けない"
            "対照群がないため、変化の一部は平均への回帰（調子の悪い日に施術を申し込む）や期待の効果である"
            "可能性があります。Wilcoxon検定のp値がt検定と大きく異なる場合は分布の偏りを示します。",
        ),
        (
            "相関は因果ではない",
            "ウェルネススコアと2か月後の離職率の負の相関はプログラムが期待する結果ですが、人に投資する企業は"
            "別の理由でも離職が少ない可能性があります。回帰分析は企業規模と全社共通の月次変動を除きますが、"
            "測定されていない企業間の違いは除けません。企業×月のデータは独立ではないため、回帰の標準誤差は"
            "企業単位でクラスター化しています。少数の企業が多くの月を占める場合、相関のp値は楽観的です。",
        ),
        (
            "ウェルネススコアは約束事",
            "スコアの重み（VAS5項目は均等、参加率0.2）は選択であり、文書化され変更できます。水準そのものより、"
            "同じ企業の時間的な推移、または同じ重みでの企業間比較として読んでください。",
        ),
        (
            "ROIはモデル",
            "推定効果は2つの価格（離職者1人のコスト、VAS1ポイントの価値）と、プログラム開始後の離職率の変化を"
            "プログラムによるものとみなす仮定に依存します。感度範囲は各価格が半分または1.5倍だった場合の"
            "ROIの幅を示します。範囲が0をまたぐ場合、ROIの符号はデータではなく仮定で決まります。",
        ),
        ("非表示はゼロではない", _suppression(min_group)),
    ]


def _suppression(min_group: int) -> str:
    if min_group > 1:
        return (
            f"個人が特定されないよう、{min_group}名未満のグループ（および差し引きで特定できるグループ）は"
            "非表示としています。合計にはそれらの従業員も含まれます。"
        )
    return (
        f"VC向けのレポートでは、個人が特定されないよう{VC_MIN_GROUP}名未満のグループ（および差し引きで"
        "特定できるグループ）を非表示とします。このレポートはStartup Wellnessチーム向けで、すべてのグループを"
        "表示しています。"
    )


def roi_assumptions(assumptions: RoiAssumptions) -> list[tuple[str, str]]:
    """The ROI's assumptions as (what, value) pairs."""
    return [
        (
            "離職者1人あたりのコスト",
            f"{yen(assumptions.yen_per_leaver)}（後任の採用・育成費。日本の平均年収約460万円の約半年分）",
        ),
        (
            "VAS1ポイントの価値",
            f"従業員1人・1か月あたり{yen(assumptions.yen_per_vas_point_month)}（プレゼンティーイズムの改善）",
        ),
        ("費用", "請求書の税抜金額（下書き・無効の請求書を除く）"),
        (
            "推定効果",
            "生産性（平均VAS変化×前後の回答がそろった従業員×実施月数×VAS1ポイントの価値）＋"
            "定着（導入前と導入後の月次離職率の差×平均従業員数×実施月数×離職者1人あたりのコスト）",
        ),
        ("感度範囲", "各前提を0.5倍・1倍・1.5倍にした9通りのROIの最小値と最大値"),
    ]
