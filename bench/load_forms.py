"""What a browser reads off a page, for the locustfile: the forms (action and the values a
browser would submit untouched: hidden inputs such as the CSRF token and the expected stage,
text inputs' values, checked boxes, each select's selected or first option, textareas),
the options of a select, the project links and the flash messages. Standard library only
(html.parser), so the load generator needs nothing beyond locust."""
import html
import re
from html.parser import HTMLParser

PROJECT_LINK = re.compile(r'href="/projects/(\d+)"')
FLASH = re.compile(r'<div class="flash flash-(\w+)[^"]*"[^>]*>(.*?)</div>', re.S)
FIELD_ERROR = re.compile(r'class="[^"]*\b(?:field-error|error)\b[^"]*"[^>]*>(.*?)</', re.S)


class Form:
    def __init__(self, action, attrs):
        self.action, self.attrs = action, attrs
        self.fields = []          # [(name, value)] as a browser would submit them
        self.options = {}         # select name -> [option values]

    def value(self, name, default=None):
        for key, value in self.fields:
            if key == name:
                return value
        return default

    def set(self, name, value):
        """Replace every value of ``name`` with ``value`` (a list: several values)."""
        values = value if isinstance(value, list) else [value]
        self.fields = [(k, v) for k, v in self.fields if k != name] + [(name, v) for v in values]

    def names(self):
        return [k for k, _ in self.fields]


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form = [], None
        self.select = None        # [name, multiple, first value, [selected values]]
        self.textarea = None      # [name, text parts]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = Form(a.get("action", ""), a)
            self.forms.append(self.form)
        elif self.form is None:
            return
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file", "image", "reset"):
                self.form.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self.select = [a["name"], "multiple" in a, None, []]
            self.form.options[a["name"]] = []
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            self.form.options[self.select[0]].append(value)
            if self.select[2] is None:
                self.select[2] = value
            if "selected" in a:
                self.select[3].append(value)
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], []]

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select" and self.select is not None:
            name, multiple, first, chosen = self.select
            if self.form is not None:
                picked = chosen if multiple else (chosen[-1:] or ([first] if first is not None else []))
                self.form.fields.extend((name, value) for value in picked)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            if self.form is not None:
                self.form.fields.append((self.textarea[0], "".join(self.textarea[1])))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)


def forms(page):
    """Every <form> of ``page`` (HTML text)."""
    parser = _Parser()
    parser.feed(page)
    parser.close()
    return parser.forms


def form_to(page, action_part):
    """The first form whose action contains ``action_part`` (None when the page has none)."""
    return next((f for f in forms(page) if action_part in f.action), None)


def project_ids(page):
    return [int(i) for i in PROJECT_LINK.findall(page)]


def flashes(page):
    """[(kind, text)] of the page's flash messages."""
    return [(kind, _text(body)) for kind, body in FLASH.findall(page)]


def messages(page):
    """The flash messages and the field errors, as one line (for a refused write's log)."""
    found = [text for _, text in flashes(page)] + [_text(m) for m in FIELD_ERROR.findall(page)]
    return "；".join(t for t in found if t)[:300]


def _text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()
