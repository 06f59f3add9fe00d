"""Pure domain rules: no Flask, no peewee. Tested directly."""
