/* The menu button of the header on narrow screens: shows and hides the navigation. Without JavaScript the
   navigation is simply always shown (the button stays hidden: `js` is set on <html> only here). */
(function () {
  document.documentElement.classList.add("js");
  var button = document.getElementById("site-menu-button");
  var nav = document.getElementById("site-nav");
  if (!button || !nav) { return; }
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
    nav.classList.toggle("site-nav--open", !open);
  });
  // Escape closes the open menu and gives the focus back to its button (a keyboard user was left in it)
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") { return; }
    button.setAttribute("aria-expanded", "false");
    nav.classList.remove("site-nav--open");
    button.focus();
  });
}());

/* The place picker of the publish form: the page lists provinces and prefectures; as one types, the places of
   every level (counties too) matching the last comma-separated part come from /publish/places (the gazetteer).
   Without JavaScript a county is still taken when typed by its name or code. */
(function () {
  var input = document.getElementById("m-spatial");
  var list = document.getElementById("places");
  if (!input || !list || !window.fetch) { return; }
  var url = input.getAttribute("data-places-url");
  var asked = "";
  input.addEventListener("input", function () {
    var parts = input.value.split(/[,\uff0c]/);
    var query = parts[parts.length - 1].trim();
    var before = parts.slice(0, -1).map(function (p) { return p.trim(); }).filter(Boolean);
    var prefix = before.length ? before.join(", ") + ", " : "";
    if (query === asked || (query.length < 2 && !/[\u4e00-\u9fff]/.test(query))) { return; }
    asked = query;
    fetch(url + "?q=" + encodeURIComponent(query), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (found) {
        if (query !== asked) { return; }
        list.textContent = "";
        found.forEach(function (place) {
          var option = document.createElement("option");
          option.value = prefix + place.label;
          list.appendChild(option);
        });
      })
      .catch(function () { return null; });
  });
}());

/* A form sent back refused (nothing saved, what was typed kept, the boxes marked), or stale (changed by someone
   else since it was opened): its message is far down a long page, which opened at the top, so one saw no reason
   why nothing was saved. The page opens at the message and focuses it (a screen reader reads it too). */
(function () {
  var box = document.getElementById("form-conflict") || document.getElementById("form-errors") ||
    document.getElementById("withdraw-form-errors") || document.getElementById("override-form-errors") ||
    document.querySelector("[id^='dictionary-'][id$='-errors'], [id^='media-'][id$='-errors']");
  if (!box) { return; }
  box.setAttribute("tabindex", "-1");
  box.scrollIntoView({block: "start"});
  box.focus({preventScroll: true});
}());

/* What was typed in a long form (`<form data-draft="<user id>">`: the publish forms) is kept in this tab's
   sessionStorage as it is typed and when it is sent, keyed by the user and the address the form is sent to. A
   Save whose sign-in had ended (signed out in another tab, or too old) is sent to sign in again and back to the
   form: the form is then filled in again from that copy, with a notice (#draft-restored) and a button that
   discards it. The copy is dropped when the server says the form was saved (`data-draft-saved`, a flash), and
   when one signs out here. A page that already shows what was typed (refused: #form-errors, or changed by someone
   else: #form-conflict) is not filled in over: its form becomes the copy. Never kept: the CSRF token, passwords,
   files; another user (or nobody) signed in on this tab does not see the copy.
   The copy keeps what the form showed when typing began (`base`) beside what was typed. Filled in again on a page
   whose boxes still show that base (only what the form does not edit changed meanwhile: a file uploaded or the
   dataset published from this page), the page's own hidden fields stay: its `version` is the one the boxes were
   typed over, and Save goes through. Where a box changed meanwhile (another editor saved), the copy's `version`
   comes back with what was typed, and Save answers with the boxes that differ (#form-conflict), nothing lost. */
(function () {
  var PREFIX = "odp-draft:";
  var store;
  try { store = window.sessionStorage; store.getItem(PREFIX); } catch (e) { return; }
  function keys() {
    var out = [];
    for (var i = 0; i < store.length; i++) {
      if (store.key(i).indexOf(PREFIX) === 0) { out.push(store.key(i)); }
    }
    return out;
  }
  function remove(key) { try { store.removeItem(key); } catch (e) { return; } }
  // saved: drop every user's copy of the form sent to that address
  Array.prototype.forEach.call(document.querySelectorAll("[data-draft-saved]"), function (mark) {
    var path = mark.getAttribute("data-draft-saved");
    keys().forEach(function (key) { if (key.slice(key.indexOf(":", PREFIX.length) + 1) === path) { remove(key); } });
  });
  // signed out here: what was typed leaves with its author
  Array.prototype.forEach.call(document.querySelectorAll("form.site-logout"), function (form) {
    form.addEventListener("submit", function () { keys().forEach(remove); });
  });

  function kept(el) {
    var type = (el.type || "").toLowerCase();
    return el.name && el.name !== "csrf_token" && !/^(password|file|submit|button|reset|image)$/.test(type) &&
      !el.hasAttribute("data-draft-skip");
  }
  function read(form) {  // [[name, value], ...] in the form's order, as the browser would send them
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { out.push([el.name, el.value]); }
      } else if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) { if (o.selected) { out.push([el.name, o.value]); } });
      } else {
        out.push([el.name, el.value]);
      }
    });
    return out;
  }
  function write(form, pairs, pageHidden) {  // `pageHidden`: the hidden fields stay as the page has them
    var values = {};
    pairs.forEach(function (p) { (values[p[0]] = values[p[0]] || []).push(p[1]); });
    var used = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || (pageHidden && el.type === "hidden")) { return; }
      var mine = values[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = mine.indexOf(el.value) >= 0;
      } else if (el.tagName === "SELECT") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = mine.indexOf(o.value) >= 0; });
      } else {
        var n = used[el.name] || 0;
        used[el.name] = n + 1;
        if (n < mine.length) { el.value = mine[n]; }
      }
    });
  }
  function typed(form, pairs) {  // what a person typed or chose: the hidden fields left out
    var hidden = {};
    Array.prototype.forEach.call(form.elements, function (el) { if (el.type === "hidden") { hidden[el.name] = 1; } });
    return JSON.stringify(pairs.filter(function (p) { return !hidden[p[0]]; }));
  }

  var shown = document.getElementById("form-conflict") || document.getElementById("form-errors");
  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
    var user = form.getAttribute("data-draft");
    if (!user) { return; }
    var key = PREFIX + user + ":" + new URL(form.action, location.href).pathname;
    var draft = null;
    try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
    var base = draft && draft.base ? draft.base : read(form);  // what the boxes showed when typing began
    function keep() {
      try { store.setItem(key, JSON.stringify({fields: read(form), base: base, at: Date.now()})); } catch (e) { return; }
    }
    if (shown) {
      keep();  // this page shows what was typed (and, after a conflict, the version a second save is meant for)
    } else if (draft && draft.fields) {
      var before = read(form);
      if (typed(form, draft.fields) === typed(form, before)) {
        remove(key);  // nothing typed differs from what the page shows: nothing to offer
        base = before;
      } else {
        var unchanged = !!draft.base && typed(form, draft.base) === typed(form, before);
        write(form, draft.fields, unchanged);
        if (unchanged) { base = before; }
        var notice = document.getElementById("draft-restored");
        var discard = document.getElementById("draft-discard");
        if (notice) {
          notice.hidden = false;
          notice.setAttribute("tabindex", "-1");
          notice.scrollIntoView({block: "start"});
          notice.focus({preventScroll: true});
        }
        if (discard) {
          discard.addEventListener("click", function () {
            write(form, before);
            base = before;
            remove(key);
            if (notice) { notice.hidden = true; }
            var first = form.querySelector("input:not([type=hidden]), select, textarea");
            if (first) { first.focus(); }
          });
        }
      }
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", keep);
  });
}());

/* A form's own checks (required, type=email/url, minlength) said in the page's language (<body data-validation>,
   base.html), not the browser's: a Chinese page asked "Please select a file." in English. The message is set as the
   check fails and cleared as soon as the field changes. */
(function () {
  var said;
  try { said = JSON.parse(document.body.getAttribute("data-validation")); } catch (e) { return; }
  if (!said) { return; }
  function message(el) {
    var v = el.validity;
    if (v.valueMissing) {
      if (el.type === "file") { return said.file; }
      if (el.type === "checkbox" || el.type === "radio") { return said.checkbox; }
      return el.tagName === "SELECT" ? said.select : said.missing;
    }
    if (v.typeMismatch) { return el.type === "email" ? said.email : el.type === "url" ? said.url : ""; }
    if (v.tooShort) { return said.short.replace("{n}", el.minLength).replace("{m}", el.value.length); }
    return "";
  }
  document.addEventListener("invalid", function (event) {
    var el = event.target;
    if (!el.setCustomValidity) { return; }
    el.setCustomValidity("");
    var text = el.validity.valid ? "" : message(el);
    if (text) { el.setCustomValidity(text); }
  }, true);
  function clear(event) { if (event.target.setCustomValidity) { event.target.setCustomValidity(""); } }
  document.addEventListener("input", clear, true);
  document.addEventListener("change", clear, true);
}());
