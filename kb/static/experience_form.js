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
      var matches = options.filter(function (option) {
        var text = (option.textContent + " " + (option.parentNode.label || "")).toLowerCase();
        return option.value !== "0" && words.every(function (w) { return text.indexOf(w) !== -1; });
      });
      var shown = matches.length;
      status.textContent = words.length ? (shown === 1 ? "1 träff" : shown + " träffar") : "";
      if (shown === 1 && select.value !== matches[0].value) {
        select.value = matches[0].value;
        select.dispatchEvent(new Event("change"));
      }
      // Hide the units that don't match, but never the chosen one: a disabled option is not
      // sent with the form, so the unit on screen would silently be lost on submit.
      options.forEach(function (option) {
        var keep = option.value === "0" || option.selected || matches.indexOf(option) !== -1;
        option.hidden = !keep;
        option.disabled = !keep;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
    // Enter in the search box must not submit the whole form ("Skicka in" is its default
    // button).
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }

  var latestRequest = 0;

  function refreshContracts(event) {
    var unitChanged = Boolean(event) && event.target === unit;
    var params = new URLSearchParams({
      unit_id: unit.value, agreement_area_id: area.value, start: start.value, end: end.value
    });
    var request = ++latestRequest;
    fetch(form.dataset.contractsUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // Answers can arrive out of order: only the latest request may fill the list.
        if (!data || request !== latestRequest) { return; }
        // A unit in a single area: choose that area, also in place of the previous unit's.
        if (data.areas.length === 1 && (area.value === "0" || unitChanged) &&
            area.value !== String(data.areas[0])) {
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
