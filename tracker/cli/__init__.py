"""Every ``flask --app tracker`` command, one module per group, all calling services."""
from . import backup, db, dev, export, figures, outbox, scheduler, summaries, targets, tokens, \
    users
from . import imports


def init_app(app):
    for module in (db, users, dev, scheduler, summaries, outbox, targets, tokens, backup,
                   figures, export, imports):
        module.init_app(app)
