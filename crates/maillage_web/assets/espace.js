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

// Activity form: scan the pass's QR code with the phone's camera (where the browser has
// BarcodeDetector) to fill « Code du pass numérique ». The QR code of a printed pass holds
// the address of its check page, …/pass/CODE; a bare code is taken as it is. Without a
// camera or JavaScript the code is typed.
(function () {
  "use strict";
  var zone = document.getElementById("pass-scanner-zone");
  var champ = document.getElementById("pass");
  var video = document.getElementById("pass-video");
  var message = document.getElementById("pass-scanner-message");
  if (!zone || !champ || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  zone.hidden = false;
  function codeDe(texte) {
    var m = /\/pass\/([A-Za-z0-9-]{12,16})\s*$/.exec(texte) || /^\s*([A-Za-z0-9-]{12,16})\s*$/.exec(texte);
    return m ? m[1].toUpperCase() : null;
  }
  document.getElementById("pass-scanner").addEventListener("click", async function () {
    var flux = null;
    message.textContent = "Montrez le code QR du pass à la caméra.";
    try {
      flux = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = flux;
      video.hidden = false;
      await video.play();
      var detecteur = new BarcodeDetector({ formats: ["qr_code"] });
      var fin = Date.now() + 30000;
      var lu = null;
      while (!lu && Date.now() < fin) {
        var codes = await detecteur.detect(video).catch(function () { return []; });
        lu = codes.length ? codeDe(codes[0].rawValue) : null;
        if (!lu) await new Promise(function (ok) { setTimeout(ok, 250); });
      }
      if (lu) {
        champ.value = lu;
        message.textContent = "Code lu : " + lu + ". Vérifiez-le puis enregistrez l’activité.";
        champ.focus();
      } else {
        message.textContent = "Aucun code QR de pass lu : saisissez le code.";
      }
    } catch (err) {
      message.textContent = "Caméra indisponible : saisissez le code du pass.";
    }
    if (flux) flux.getTracks().forEach(function (t) { t.stop(); });
    video.hidden = true;
  });
})();
