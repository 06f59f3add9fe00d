"""Query-string values of the JSON API's lists, each with its message (in ``errors``)."""


def int_arg(args, name, errors, default=None, high=2**31 - 1):
    """A positive whole number up to ``high`` (``default`` when absent or wrong)."""
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= high:
        errors[name] = f"{name} 应为 1 至 {high} 的整数。"
        return default
    return int(raw)
