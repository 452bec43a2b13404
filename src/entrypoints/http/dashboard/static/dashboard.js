// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // Refresh buttons: count the cooldown down and enable the button when it is over.
  document.querySelectorAll("button[data-cooldown]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-cooldown"), 10);
    var label = button.querySelector(".left");
    var timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        button.removeAttribute("data-cooldown");
        button.textContent = "Refresh";
        return;
      }
      if (label) { label.textContent = Math.floor(left / 60) + ":" + pad(left % 60); }
    }, 1000);
  });
  // Add form: show the canonical URL while typing (the server validates it).
  var input = document.getElementById("url");
  var preview = document.getElementById("preview");
  var hidden = document.getElementById("add-url");
  var submit = document.querySelector("#add-form button");
  if (input && preview && hidden && submit) {
    var pending = null;
    input.addEventListener("input", function () {
      hidden.value = input.value;
      submit.disabled = true;
      clearTimeout(pending);
      pending = setTimeout(function () {
        var url = input.getAttribute("data-preview") + "?url=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("preview");
            if (fresh) { preview.replaceChildren.apply(preview, Array.from(fresh.childNodes)); }
            submit.disabled = !preview.querySelector("code");
          })
          .catch(function () { submit.disabled = false; });
      }, 250);
    });
  }
  // Pages with work in progress (a guild being processed) reload themselves.
  var live = document.querySelector("[data-autorefresh]");
  if (live) {
    setTimeout(function () { window.location.reload(); },
      1000 * parseInt(live.getAttribute("data-autorefresh"), 10));
  }
  // Formula checker: validate and try the formula on the sample data while typing.
  var formula = document.getElementById("formula");
  var result = document.getElementById("formula-result");
  if (formula && result) {
    var waiting = null;
    formula.addEventListener("input", function () {
      clearTimeout(waiting);
      waiting = setTimeout(function () {
        var url = formula.getAttribute("data-check") + "?formula=" + encodeURIComponent(formula.value);
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById("formula-result");
            if (fresh) { result.replaceChildren.apply(result, Array.from(fresh.childNodes)); }
          })
          .catch(function () { /* the Check button still works */ });
      }, 250);
    });
  }
})();
