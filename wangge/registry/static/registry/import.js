// The import page's upload progress (htmx:xhr:progress). Messages: data-msg-* of #import-stage.
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (evt) {
    if (!evt.detail.lengthComputable) { return; }
    var bar = document.getElementById("upload-bar"), stage = document.getElementById("import-stage");
    if (!bar || !stage) { return; }
    var pct = Math.round(evt.detail.loaded / evt.detail.total * 100);
    bar.value = pct;
    stage.textContent = pct < 100 ? stage.dataset.msgUploading + " " + pct + "%" : stage.dataset.msgProcessing;
    if (pct >= 100) { bar.removeAttribute("value"); }
  });
})();
