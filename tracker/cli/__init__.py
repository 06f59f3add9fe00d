"""Every ``flask --app tracker`` command, one module per group, all calling services."""
from . import (
    backup, dev, export, figures, imports, outbox, robots, scheduler, schema, summaries, targets,
    tokens, users,
)

# schema: the `flask db upgrade|status|check` group (migrations)
COMMANDS = (schema, users, dev, scheduler, summaries, outbox, targets, tokens, backup, figures,
            export, imports, robots)


def init_app(app):
    for module in COMMANDS:
        module.init_app(app)
