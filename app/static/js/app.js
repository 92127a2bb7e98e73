// AgentPath page behaviour. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the CSRF token in a header (Flask-WTF reads X-CSRFToken).
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
    var form = event.detail.elt.closest ? event.detail.elt.closest(".autosave") : null;
    if (form) {
      // Each save carries a rising sequence number; the server ignores a save
      // older than the one it holds, so a late response cannot undo a newer answer.
      var last = parseInt(form.getAttribute("data-seq") || "0", 10);
      var seq = Math.max(Date.now(), last + 1);
      form.setAttribute("data-seq", String(seq));
      event.detail.parameters.seq = String(seq);
      var state = form.querySelector(".save-slot");
      if (state) { state.innerHTML = '<span class="save-state save-pending">' + (isEnglish() ? "Saving…" : "正在保存…") + "</span>"; }
    }
  });

  function isEnglish() { return document.documentElement.lang === "en"; }

  // A refused save (time up, attempt closed) answers 409 with a message to show in place;
  // forms marked data-swap-422 show their 422 answer (the form again, with the reason).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.elt;
    if (status === 409 || (status === 422 && elt.closest && elt.closest("[data-swap-422]"))) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // No answer from the server: say so next to the question, loudly.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt.closest ? event.detail.elt.closest(".autosave") : null;
    var state = form ? form.querySelector(".save-slot") : null;
    if (state) {
      state.innerHTML = '<span class="save-state save-error" role="alert">' +
        (isEnglish() ? "Not saved: no connection. Your answer will be sent again when you change it; do not close this page."
                     : "未保存：网络连接失败。请保持页面打开，修改答案时会再次发送。") + "</span>";
    }
  });

  // A failed htmx request says so instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "htmx-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      document.querySelector("main").prepend(box);
    }
    box.textContent = document.documentElement.lang === "en"
      ? "The server answered with an error (" + event.detail.xhr.status + "). Reload the page and try again."
      : "服务器返回错误（" + event.detail.xhr.status + "），请刷新页面后重试。";
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var pageSeq = form.querySelector ? form.querySelector("input.page-seq") : null;
    if (pageSeq) {
      // The page submit outranks every autosave sent before it.
      var highest = 0;
      form.querySelectorAll(".autosave").forEach(function (box) {
        highest = Math.max(highest, parseInt(box.getAttribute("data-seq") || "0", 10));
      });
      pageSeq.value = String(Math.max(Date.now(), highest + 1));
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // Trend charts: <canvas data-chart='{"labels": [...], "score": [...]}'> (Chart.js, loaded by the page).
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var data = JSON.parse(canvas.getAttribute("data-chart"));
      new window.Chart(canvas, {
        type: "line",
        data: {labels: data.labels, datasets: [{label: isEnglish() ? "KPI score" : "KPI 得分", data: data.score,
                                                 borderColor: "#1f6feb", spanGaps: true, tension: 0.2}]},
        options: {scales: {y: {min: 0, max: 100}}, animation: false}
      });
    });
  });
})();
