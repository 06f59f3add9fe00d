"""The one place that puts a service's ValidationError next to the form's fields."""
from flask import flash


def apply_errors(form, errors, *, flash_rest=False):
    """Append each message to the form field it names. Returns the messages whose key
    names no visible field of ``form`` (a stale ``version`` kept in a hidden field, a rule
    about the whole record), which the template shows above the form; with
    ``flash_rest`` they are flashed instead."""
    rest = []
    for key, message in errors.items():
        field = form._fields.get(key)
        if field is None or field.type in ("HiddenField", "CSRFTokenField"):
            rest.append(message)
        else:
            field.errors = list(field.errors or []) + [message]
    if flash_rest:
        for message in rest:
            flash(message, "danger")
    return rest


def int_or_none(value):
    """A select's coerce for ids: the number, or None for anything that is not one (the
    choice check then refuses it next to the field)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
