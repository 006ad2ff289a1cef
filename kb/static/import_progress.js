// The import page's progress: poll the job's JSON and move the bar; reload when it is done.
// Without JavaScript the page refreshes itself (meta refresh) and shows the same result.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  var stage = document.getElementById("import-stage");
  var labels = JSON.parse(box.dataset.stages || "{}");
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (record) {
        if (record.state !== "running") { window.location.replace(box.dataset.resultUrl); return; }
        bar.max = record.total || 1;
        bar.value = record.total ? record.done : 0;
        stage.textContent = (labels[record.stage] || record.stage) +
          (record.total ? ": " + record.done + " / " + record.total : "");
        window.setTimeout(poll, 500);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 300);
}());
