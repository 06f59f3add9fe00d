"""The sentences of sections 一 (总体情况) and 三 (红黄预警) of a 通报: the page, its print and
the .docx say the same. Written to be read on paper: one paragraph per idea, numbers the
tables show in full given once, so the demo 双过半 通报 prints on three A4 pages."""
from ...domain import metrics as M
from ...domain import progress as P
from . import report as B


def cn_date(day):
    """A date as a 公文 writes it (GB/T 9704-2012: Arabic numerals, no leading zero)."""
    return f"{day.year}年{day.month}月{day.day}日"


def _total_phrase(f):
    unit = B.unit_shown(f.key)
    if f.target is None:
        return f"{f.label}累计完成 {B.fmt_amount(f.key, f.actual)}{unit}（未设目标）"
    ahead = "超进度" if f.gap_points >= 0 else "欠进度"
    return (f"{f.label}累计完成 {B.fmt_amount(f.key, f.actual)}{unit}，占年度目标 "
            f"{B.fmt_amount(f.key, f.target)}{unit} 的 {B.fmt_pct(f.completion)}%，{ahead} "
            f"{B.fmt_pct(abs(f.gap_points))} 个百分点")


def overview_lines(b):
    """Section 一 as paragraphs: the time, the city's metrics, the milestone and colours."""
    met, judged = b.reached_teams()
    per_metric = "、".join(f"{M.label(k)} {n}/{of} 个" for k, (n, of) in b.reached_counts().items()
                           if of)
    colours = "、".join(f"{label} {n} 个" for _s, label, n in b.status_counts())
    return [
        f"截至{cn_date(b.as_of)}，全市 {len(b.rows)} 个招商专班纳入通报，时序进度 "
        f"{B.fmt_pct(b.time_progress)}%。" + "；".join(_total_phrase(b.totals[k]) for k in M.KEYS)
        + "。",
        f"{met} 个专班（共 {judged} 个设有目标的专班）全部指标{b.reached_text}"
        + (f"；分指标：{per_metric}" if per_metric else "")
        + f"。按各专班最差指标计：{colours}。",
    ]


def _behind_text(row):
    """A task force behind: its name and, in brackets, each metric behind with its gap."""
    return f"{row.name}（{'、'.join(f'{f.label}欠 {B.fmt_pct(abs(f.gap_points))}' for f in row.behind)}）"


def warning_blocks(b):
    """Section 三 as [(sub-heading, [paragraphs])]: one per colour of
    domain.progress.WARNING_STATUSES (worst first), then 建议退库, then 督办逾期 (when any)."""
    blocks = []
    for n, status in zip("一二", P.WARNING_STATUSES):
        rows = b.warned(status)
        label = P.STATUS_LABELS[status]
        colour = "红色" if status == P.RED else "橙色"
        text = ("、".join(_behind_text(r) for r in rows)
                + "（括号内为欠进度的指标及欠进度的百分点数）。") if rows else "无。"
        blocks.append((f"（{n}）{label}（{colour}预警）专班 {len(rows)} 个", [text]))
    teams = [f"{r.name} {r.propose_drop} 个" for r in b.rows if r.propose_drop]
    text = (f"全市共有 {b.propose_drop} 个项目连续 {b.propose_drop_days} 天以上无进展，"
            f"列为建议退库（截至{cn_date(b.today)}的巡检结果）")
    blocks.append((f"（三）建议退库项目 {b.propose_drop} 个",
                   [text + (f"：{'、'.join(teams)}。" if teams else "。")]))
    if b.overdue.count:
        blocks.append(_overdue_block(b))
    return blocks


def _overdue_block(b):
    """（四）督办逾期: how many items were open past their deadline at the day the numbers are
    judged (b.as_of), and the oldest."""
    late = b.overdue
    oldest = "、".join(f"{o.task_force_name}“{o.title}”（期限{cn_date(o.deadline)}，逾期 {o.days} 天）"
                       for o in late.oldest)
    which = ("" if late.count == 1 else "，分别为" if not late.more else f"，逾期最久的 {len(late.oldest)} 项为")
    return f"（四）督办逾期事项 {late.count} 项", [
        f"截至{cn_date(b.as_of)}，全市共有 {late.count} 项督办事项超过办理期限仍未办结{which}：{oldest}。"]

