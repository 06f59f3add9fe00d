"""The checkpoints a 通报 is written for: one table, read by the report and the notes."""

# key -> (quarter, title part, milestone flag of domain.milestones, what "reached" means)
CHECKPOINTS = {
    "q1": (1, "一季度开门红", "kaimenhong", "实现开门红"),
    "h1": (2, "上半年双过半", "shuangguoban", "实现双过半"),
    "q3": (3, "前三季度", "q3", "达到前三季度进度目标"),
    "year": (4, "全年", "full_year", "完成全年目标"),
}
