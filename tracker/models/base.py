"""Base model bound to the database proxy, and shared field helpers."""
import datetime

from peewee import DecimalField, Model

from ..db import database


def utcnow():
    """Naive datetime in UTC: every stored timestamp is UTC."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def MoneyField(**kwargs):
    """Amount in 万元, 2 decimal places."""
    kwargs.setdefault("max_digits", 16)
    kwargs.setdefault("decimal_places", 2)
    kwargs.setdefault("auto_round", True)
    return DecimalField(**kwargs)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False
