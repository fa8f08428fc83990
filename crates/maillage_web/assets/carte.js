// Interactive map: Leaflet (vendored) over the server-drawn map; asks the API for the
// visible area only, and groups nearby places.
(function () {
  "use strict";
  var div = document.getElementById("carte");
  if (!div || !window.L || !L.markerClusterGroup) return;
  var d = div.dataset;
  div.textContent = "";
  var carte = L.map(div).setView([+d.lat, +d.lon], +d.zoom);
  L.tileLayer(d.tuiles, { maxZoom: 19, attribution: d.attribution }).addTo(carte);
  var grappes = L.markerClusterGroup({
    showCoverageOnHover: false,
    iconCreateFunction: function (g) {
      var n = g.getChildCount();
      var t = n < 10 ? 34 : n < 100 ? 42 : 50;
      return L.divIcon({ html: "<span>" + n + "</span>", className: "grappe", iconSize: [t, t] });
    }
  });
  carte.addLayer(grappes);
  var icone = L.divIcon({ className: "marqueur", iconSize: [18, 18] });
  var requete = 0;
  function echapper(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function charger() {
    var b = carte.getBounds();
    var bbox = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map(function (x) {
      return Math.max(-180, Math.min(180, x)).toFixed(5);
    });
    bbox[0] = Math.max(-90, +bbox[0]).toFixed(5);
    bbox[2] = Math.min(90, +bbox[2]).toFixed(5);
    var n = ++requete;
    var url = "/api/carte/points?limit=400&bbox=" + bbox.join(",") + (d.filtres ? "&" + d.filtres : "");
    fetch(url).then(function (r) { return r.json(); }).then(function (g) {
      if (n !== requete) return;
      grappes.clearLayers();
      (g.lieux || []).forEach(function (l) {
        var m = L.marker([l[0], l[1]], { icon: icone, title: l[3], keyboard: true });
        m.bindPopup('<a href="/lieux/' + encodeURIComponent(l[2]) + '">' + echapper(l[3]) + "</a><br>" +
          echapper(l[4]) + "<br>" + echapper(l[5]));
        grappes.addLayer(m);
      });
    }).catch(function () {});
  }
  carte.on("moveend", charger);
  charger();
})();
