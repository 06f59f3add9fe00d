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
  // An import job's page (templates/imports/job.html): follow its progress every second,
  // open the batch page once it is done; a failure shows its message. Without script the
  // page's 刷新 link does the same by hand.
  var job = document.querySelector(".import-job[data-status]");
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
