"""The weekly summaries (周报) and their outbox.

Entry modules:
    summaries  build the week's summaries into the outbox
    delivery   send what is due (SMTP), with the outbox's guarantees
    outbox     the outbox pages and commands (list, message, resend, discard)
    prefs      a user's summary preferences and one-click unsubscribe
    settings   the mail settings handed to the services
    data       the week's figures a summary reports
Internal: render (text and HTML of one summary), mime (the message), transport (SMTP),
decisions (resend/discard of one row), numbers (a stored summary's figures as tables),
unsubscribe (signed links).
"""
