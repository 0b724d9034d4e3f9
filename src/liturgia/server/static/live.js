// Keeps a page's "Latest run" section current: stage events arrive over a WebSocket.
// The page is complete without it (the server rendered the stages known when it was asked).
"use strict";
(function () {
  function item(stage) {
    var list = document.getElementById("stages");
    var found = list.querySelector('li[data-stage="' + CSS.escape(stage) + '"]');
    if (found) { return found; }
    var li = document.createElement("li");
    li.setAttribute("data-stage", stage);
    var name = document.createElement("span");
    name.className = "stage";
    name.textContent = stage;
    var summary = document.createElement("span");
    summary.className = "summary";
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(summary);
    list.appendChild(li);
    return li;
  }
  function show(section, message) {
    if (!message.event) { return; }
    if (message.run !== section.getAttribute("data-run")) {
      section.setAttribute("data-run", message.run);
      document.getElementById("stages").textContent = "";
      section.classList.remove("nogo-run");
    }
    var none = document.getElementById("no-run");
    if (none) { none.remove(); }
    var event = message.event;
    var li = item(event.stage);
    var summary = li.querySelector(".summary");
    if (event.kind === "stage-started") {
      li.className = "running";
      summary.textContent = "running…";
    } else {
      li.className = event.ok ? "ok" : "bad";
      summary.textContent = event.summary;
      if (!event.ok && event.stage === "gate") { section.classList.add("nogo-run"); }
    }
    section.setAttribute("data-after", String(event.seq));
    var heading = section.querySelector("h2");
    heading.textContent = "Latest run: " + (message.version || "in progress");
  }
  function connect(section) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + "/api/v1/projects/" +
      encodeURIComponent(section.getAttribute("data-project")) + "/live?after=" +
      encodeURIComponent(section.getAttribute("data-after") || "0") +
      (section.getAttribute("data-run") ? "&run=" + section.getAttribute("data-run") : "");
    var socket = new WebSocket(url);
    socket.onmessage = function (message) { show(section, JSON.parse(message.data)); };
    socket.onclose = function () { window.setTimeout(function () { connect(section); }, 2000); };
  }
  window.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("run");
    if (section && window.WebSocket) { connect(section); }
  });
})();
