// Signed-in space: commune suggestions while typing in any field marked data-communes
// (from our own referential, /api/v1/communes; no external geocoder). Without JS the
// field takes a name, a name and postal code, or an INSEE code.
(function () {
  "use strict";
  if (!window.fetch) return;
  document.querySelectorAll("input[data-communes]").forEach(function (champ) {
    var liste = champ.list;
    if (!liste) return;
    var minuteur;
    champ.addEventListener("input", function () {
      clearTimeout(minuteur);
      var q = champ.value.trim();
      if (q.length < 2) return;
      minuteur = setTimeout(function () {
        fetch("/api/v1/communes?limit=8&q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (communes) {
            liste.textContent = "";
            communes.forEach(function (c) {
              var o = document.createElement("option");
              o.value = c.codes_postaux[0] ? c.nom + " (" + c.codes_postaux[0] + ")" : c.nom;
              liste.appendChild(o);
            });
          })
          .catch(function () {});
      }, 200);
    });
  });
})();
