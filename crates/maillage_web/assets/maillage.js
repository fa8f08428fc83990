// Maillage — small additions when JavaScript runs; every page works without it.
(function () {
  "use strict";
  // "Utiliser ma position" on the "where" question.
  var bouton = document.getElementById("ma-position");
  if (bouton && "geolocation" in navigator) {
    bouton.parentNode.hidden = false;
    var etat = document.getElementById("position-etat");
    bouton.addEventListener("click", function () {
      etat.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(function (p) {
        var f = bouton.form;
        // The one-page form has no empty lat/lon fields (they would lengthen every URL).
        ["lat", "lon"].forEach(function (n) {
          if (!f.elements[n]) {
            var c = document.createElement("input");
            c.type = "hidden";
            c.name = n;
            f.appendChild(c);
          }
        });
        f.elements.lat.value = p.coords.latitude.toFixed(5);
        f.elements.lon.value = p.coords.longitude.toFixed(5);
        f.elements.ou.required = false;
        etat.textContent = "Position trouvée.";
        f.submit();
      }, function () {
        etat.textContent = "Position indisponible : écrivez votre commune.";
      }, { timeout: 10000, maximumAge: 600000 });
    });
  }
  // Commune suggestions while typing (from our own referential, no external geocoder).
  var champ = document.getElementById("ou");
  var liste = document.getElementById("communes");
  if (champ && liste && window.fetch) {
    var minuteur;
    var enCours = null;
    var arreter = function () {
      clearTimeout(minuteur);
      if (enCours) enCours.abort();
      enCours = null;
    };
    // Once the form is sent, suggestions would only slow the next page down on a slow network.
    if (champ.form) champ.form.addEventListener("submit", arreter);
    champ.addEventListener("input", function () {
      arreter();
      var q = champ.value.trim();
      if (q.length < 2) return;
      minuteur = setTimeout(function () {
        enCours = window.AbortController ? new AbortController() : null;
        fetch("/api/v1/communes?limit=8&q=" + encodeURIComponent(q), enCours ? { signal: enCours.signal } : {})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (communes) {
            liste.textContent = "";
            communes.forEach(function (c) {
              var o = document.createElement("option");
              // The name with its postal code: the server reads it back as this very commune.
              o.value = c.nom + " (" + (c.codes_postaux[0] || c.departement) + ")";
              o.textContent = c.nom + " (" + c.departement + ")";
              liste.appendChild(o);
            });
          })
          .catch(function () {});
      }, 200);
    });
  }
  // Choosing a day in the list of « Quand » picks « Un autre jour ou moment ».
  var jour = document.getElementById("jour");
  if (jour && jour.form) {
    jour.addEventListener("change", function () {
      var autre = jour.form.querySelector("input[name=quand][value=autre]");
      if (autre) autre.checked = true;
    });
  }
  // Print button of the orientation sheet.
  var imprimer = document.querySelector("button.imprimer");
  if (imprimer) {
    imprimer.hidden = false;
    imprimer.addEventListener("click", function () { window.print(); });
  }
})();
