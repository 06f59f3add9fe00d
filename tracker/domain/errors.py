"""The one error type for bad input, raised by services and shown next to form fields."""


class ValidationError(Exception):
    """Bad input; nothing was written. ``errors`` maps a field name to a zh-CN message.

    A key that names no field of the form that submitted it (``"version"``, ``"__all__"``)
    is shown above the form.
    """

    def __init__(self, errors):
        if isinstance(errors, str):
            errors = {"__all__": errors}
        self.errors = dict(errors)
        super().__init__("；".join(f"{k}: {v}" for k, v in self.errors.items()))


class NotFound(LookupError):
    """The row a service was asked for does not exist (the web layer answers 404)."""


STALE_VERSION = "此项目已被他人修改，请刷新后重试。"
