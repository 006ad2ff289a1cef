// Progressive enhancement of the experience form. Without JavaScript the form works as
// plain selects; "Förhandsgranska" refreshes the contract list on the server.
(function () {
  "use strict";
  var form = document.querySelector("form.experience-form");
  if (!form) { return; }
  var unit = form.querySelector("#unit_id");
  var area = form.querySelector("#agreement_area_id");
  var contract = form.querySelector("#contract_id");
  var start = form.querySelector("#start");
  var end = form.querySelector("#end");

  function addTypeahead(select) {
    var options = Array.prototype.slice.call(select.querySelectorAll("option"));
    var wrapper = document.createElement("div");
    wrapper.className = "field typeahead";
    var label = document.createElement("label");
    label.htmlFor = "unit_search";
    label.textContent = "Sök verksamhet eller leverantör";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "unit_search";
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.parentNode.insertBefore(wrapper, select.parentNode);

    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      var firstMatch = null;
      options.forEach(function (option) {
        var text = (option.textContent + " " + (option.parentNode.label || "")).toLowerCase();
        var match = option.value === "0" || words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        option.disabled = !match && option.value !== "0";
        if (match && option.value !== "0") {
          shown += 1;
          if (!firstMatch) { firstMatch = option; }
        }
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      status.textContent = words.length ? (shown === 1 ? "1 träff" : shown + " träffar") : "";
      if (shown === 1 && firstMatch && select.value !== firstMatch.value) {
        select.value = firstMatch.value;
        select.dispatchEvent(new Event("change"));
      }
    });
    // Enter in the search box must not submit the whole form ("Skicka in" is its default
    // button).
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }

  var latestRequest = 0;

  function refreshContracts() {
    var params = new URLSearchParams({
      unit_id: unit.value, agreement_area_id: area.value, start: start.value, end: end.value
    });
    var request = ++latestRequest;
    fetch(form.dataset.contractsUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers can arrive out of order: only the latest request may fill the list.
        if (!data || request !== latestRequest) { return; }
        // A unit in a single area: choose it (also when another unit's area was chosen).
        if (data.areas.length === 1 && area.value !== String(data.areas[0])) {
          area.value = String(data.areas[0]);
          refreshContracts();
          return;
        }
        var chosen = contract.value;
        contract.innerHTML = "";
        data.contracts.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.value;
          option.textContent = item.label;
          option.selected = item.value === chosen;
          contract.appendChild(option);
        });
      });
  }

  addTypeahead(unit);
  [unit, area].forEach(function (el) { el.addEventListener("change", refreshContracts); });
  [start, end].forEach(function (el) { el.addEventListener("change", refreshContracts); });
})();
