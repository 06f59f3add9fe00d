"""The data version (issue 23, "Reports computed once per change"): one row, id 1, that
moves in the same transaction as every write that can change a figure of the progress report
(tracker/services/dataversion.py). ``counter`` grows by one per such transaction; ``token`` is
random per database and changes when a backup is restored, so (token, counter) never names
two different states of the data. No row: nothing counted yet (the first write creates it)."""
from peewee import BigIntegerField, CharField, IntegerField

from .base import BaseModel


class DataVersion(BaseModel):
    id = IntegerField(primary_key=True)
    counter = BigIntegerField(default=0)
    token = CharField(max_length=32)

    class Meta:
        table_name = "data_version"
