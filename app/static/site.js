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
    document.querySelector("[id^='dictionary-'][id$='-errors']");
  if (!box) { return; }
  box.setAttribute("tabindex", "-1");
  box.scrollIntoView({block: "start"});
  box.focus({preventScroll: true});
}());
