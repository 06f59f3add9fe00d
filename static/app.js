/* tracker: the app's own few lines of script (CSP script-src 'self', no library). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  // After a failed submit: focus the first field marked invalid and bring it into view.
  // Again after "load": the browser's scroll to the form's #anchor takes the focus away.
  var invalid = document.querySelector("[aria-invalid=true]");
  function focusInvalid() {
    if (invalid && document.activeElement !== invalid) {
      invalid.focus({ preventScroll: true });
      invalid.scrollIntoView({ block: "center" });
    }
  }
  focusInvalid();
  window.addEventListener("load", function () { window.setTimeout(focusInvalid, 0); });
  // The header menu is a <details>: from 701 px wide it is always shown (style.css);
  // a browser without ::details-content needs it open.
  var menu = document.getElementById("site-menu");
  if (menu && window.CSS && !CSS.supports("selector(::details-content)") &&
      window.matchMedia("(min-width: 701px)").matches) {
    menu.open = true;
  }
  // A table wider than its box gets the "左右滑动查看" hint (style.css, phones).
  function markScrollable() {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      box.classList.toggle("is-scrollable", box.scrollWidth > box.clientWidth + 1);
    });
  }
  markScrollable();
  window.addEventListener("resize", markScrollable);
  // The dashboard's task-force details (<details data-src>) load their table when first
  // opened; the link they hold (the task-force page) stays the way without script.
  function loadDetail(box) {
    var body = box.querySelector(".team-detail-body");
    if (!box.open || !body || box.getAttribute("data-state")) { return; }
    box.setAttribute("data-state", "loading");
    body.setAttribute("aria-busy", "true");
    fetch(box.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) { window.location.assign(response.url); }  // signed out
        if (!response.ok || response.redirected) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html;   // the app's own escaped fragment (templates/dashboard)
        box.setAttribute("data-state", "loaded");
        markScrollable();
      })
      .catch(function () {
        box.removeAttribute("data-state");   // opening it again retries
        if (!body.querySelector(".error")) {
          var note = document.createElement("p");
          note.className = "error";
          note.textContent = "加载失败：请收起后重新展开，或打开专班页查看。";
          body.insertBefore(note, body.firstChild);
        }
      })
      .then(function () { body.removeAttribute("aria-busy"); });
  }
  document.querySelectorAll("details[data-src]").forEach(function (box) {
    box.addEventListener("toggle", function () { loadDetail(box); });
  });
  // The ranking's "展开" links point at a detail: open it (its toggle loads it).
  function openLinked() {
    var box = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (box && box.matches("details[data-src]")) { box.open = true; }
  }
  openLinked();
  window.addEventListener("hashchange", openLinked);
  // An import or export job's page (templates/imports/job.html, templates/exports/job.html):
  // follow its progress every second, open the page its status names once it is done (the
  // batch; the export job's page with its download link); a failure shows its message.
  // Without script the page's 刷新 link does the same by hand.
  var job = document.querySelector(".import-job[data-status], .export-job[data-status]");
  function followJob() {
    fetch(job.getAttribute("data-status"), { credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (s) {
        var bar = job.querySelector(".job-progress");
        bar.max = s.total || 1;
        bar.value = s.done;
        bar.textContent = s.percent + "%";
        job.querySelector(".job-count").textContent =
          s.done + " / " + s.total + " 行（" + s.percent + "%）";
        job.querySelector(".job-label").textContent = s.label;
        job.setAttribute("data-state", s.state);
        if (s.state === "done" && s.url) { window.location.assign(s.url); return; }
        if (s.state === "failed") {
          var box = job.querySelector(".job-error");
          box.textContent = s.error;
          box.hidden = false;
          var again = job.querySelector(".job-refresh");
          if (again) { again.hidden = true; }
          return;
        }
        window.setTimeout(followJob, 1000);
      })
      .catch(function () { window.setTimeout(followJob, 3000); });
  }
  if (job && /^(queued|running)$/.test(job.getAttribute("data-state"))) {
    window.setTimeout(followJob, 1000);
  }
});
/* --- issue 20 (web-a11y): a <details class="wide-open"> is always shown from 701 px wide
   (style.css ::details-content); a browser without that selector needs it open. --- */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (window.CSS && !CSS.supports("selector(::details-content)") &&
      window.matchMedia("(min-width: 701px)").matches) {
    document.querySelectorAll("details.wide-open").forEach(function (box) { box.open = true; });
  }
});
/* --- amount fields and the 金额修改类型 (issue 20, forms that do not trip people) -----------
   An amount field (data-amount: its unit, 万元 or 万美元) shows beside it the value it will
   store while it is typed ("= 15,000.00 万元"), read as the server reads it
   (tracker/domain/money.py split_unit: 1.5亿, 1500万, 3千万, 15,000, １５０００, 3000万元); the
   server's check stays the rule. On the edit form the 金额修改类型 (#amount-change) is shown
   once 计划投资额 or 签约额 differs from the stored value (data-original), and asked before
   the form is sent. Without script the fieldset is simply always shown. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var CURRENCY = { "万元": "元", "万美元": "美元" };
  var SCALES = { "万亿": 8, "亿": 4, "万": 0 };          // powers of ten, to 万
  var MULTIPLIERS = { "十": 1, "百": 2, "千": 3 };
  var TYPED = /^(.*?[0-9.])\s*(?:人民币)?([十百千])?(万亿|亿|万)?(美元|元)?$/;
  var NUMBER = /^\+?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)$/;

  // Cents (a BigInt) of what is typed in a field in ``unit``; null when it is no amount,
  // "" when it is empty, "-" when it is negative (the server says so).
  function cents(text, unit) {
    text = (text || "").normalize("NFKC").trim();
    if (!text) { return ""; }
    var match = TYPED.exec(text);
    if (!match) { return null; }
    var number = match[1], power = 0;
    if (match[2] || match[3] || match[4]) {
      if (match[4] && match[4] !== CURRENCY[unit]) { return null; }
      if (match[2] && !match[3]) { return null; }
      power = match[3] ? SCALES[match[3]] : -4;     // 元 alone: 0.0001 万
      power += match[2] ? MULTIPLIERS[match[2]] : 0;
    }
    if (/^[-－]/.test(number)) { return "-"; }
    if (!NUMBER.test(number)) { return null; }
    var parts = number.replace(/[+,]/g, "").split(".");
    var frac = parts[1] || "";
    var value = BigInt((parts[0] || "0") + frac);
    var shift = frac.length - power - 2;              // value / 10^shift = cents
    if (shift <= 0) { return value * (10n ** BigInt(-shift)); }
    var divisor = 10n ** BigInt(shift);
    return (value + divisor / 2n) / divisor;          // ROUND_HALF_UP, as the server
  }

  function shown(c) {
    var text = c.toString().padStart(3, "0");
    var whole = text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + "." + text.slice(-2);
  }

  document.querySelectorAll("input[data-amount]").forEach(function (input) {
    var unit = input.getAttribute("data-amount");
    var echo = document.getElementById(input.id + "-echo");
    if (!echo) { return; }
    function update() {
      var c = cents(input.value, unit);
      echo.classList.toggle("is-bad", c === null || c === "-");
      echo.textContent = c === "" ? "" : c === null ? "无法识别：可填 15000、15,000、1500万 或 1.5亿"
        : c === "-" ? "不能为负数" : "= " + shown(c) + " " + unit;
    }
    input.addEventListener("input", update);
    update();
  });

  var box = document.getElementById("amount-change");
  var form = box && box.closest("form");
  if (!form) { return; }
  var amounts = form.querySelectorAll("input[data-original]");
  var kind = box.querySelector("select");
  var reason = box.querySelector("textarea");
  var asked = box.querySelector(".has-error") !== null;   // a failed save: keep it shown
  function differs() {
    return Array.prototype.some.call(amounts, function (input) {
      var unit = input.getAttribute("data-amount") || "万元";
      var was = cents(input.getAttribute("data-original"), unit);
      if (was === "" || was === null) { return false; }  // a first value: no kind needed
      var now = cents(input.value, unit);
      return now !== was;
    });
  }
  function reveal() {
    var changed = differs();
    box.hidden = !(changed || asked || (kind && kind.value));
    if (kind) {
      kind.required = changed;
      kind.setAttribute("aria-required", changed ? "true" : "false");
    }
  }
  function note(text) {
    var old = box.querySelector(".amount-change-note");
    if (old) { old.remove(); }
    if (!text) { return; }
    var p = document.createElement("p");
    p.className = "error amount-change-note";
    p.setAttribute("role", "alert");
    p.textContent = text;
    var legend = box.querySelector("legend");
    if (legend) { legend.after(p); } else { box.prepend(p); }
  }
  amounts.forEach(function (input) { input.addEventListener("input", reveal); });
  if (kind) { kind.addEventListener("change", function () { note(""); }); }
  form.addEventListener("submit", function (event) {
    if (!differs()) { return; }
    var missing = kind && !kind.value ? kind : reason && !reason.value.trim() ? reason : null;
    if (!missing) { return; }
    event.preventDefault();
    box.hidden = false;
    note(missing === kind ? "修改了计划投资额或签约额：请选择修改类型（更正或变更）。"
      : "修改了计划投资额或签约额：请填写修改原因。");
    missing.focus();
  });
  reveal();
});
