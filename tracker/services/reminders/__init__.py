"""督办 reminders and the 60天未推进 nudge (issue 22): who is reminded of what on a day, by
e-mail through the outbox and by the team's group robot.

Entry modules (what web, CLI and jobs call):
    daily     the daily job: build the day's reminders and nudges, hand them to the channels, send
    settings  the schedule (REMINDER_*) handed to the services
Internal: due (the items and projects due a reminder or nudge on a day, their recipients),
render (the mails and the robots' markdown).
"""
