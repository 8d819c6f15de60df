// A FileUpload sends every chosen file in one websocket message; one larger than the server's message
// limit would close the connection and the upload would vanish. Before a file input's own "change"
// listener runs, this checks the chosen files' total against the limit written in the page by the
// dashboard (`data-max-bytes` of `.fs-upload-refused`) and, when over, says in that element which files
// were too large together and how to send them, and sends nothing.
(function () {
  "use strict";
  var lastButton = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".widget-upload");
    if (button) lastButton = button;
  }, true);

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function noteFor(button) {
    var app = (button && button.closest(".fs-app")) || document;
    return app.querySelector(".fs-upload-refused[data-max-bytes]");
  }

  function refuse(note, files, total, limit) {
    var sorted = files.slice().sort(function (a, b) { return b.size - a.size; });
    var names = sorted.map(function (f) { return f.name + " (" + megabytes(f.size) + ")"; }).join(", ");
    var box = document.createElement("div");
    box.className = "fs-error";
    box.textContent = "Not sent: these " + files.length + " files are " + megabytes(total) +
      " together, more than one upload can carry (" + megabytes(limit) + "): " + names +
      ". Choose fewer files at a time, up to " + megabytes(limit) + " together, " +
      "or analyse a whole folder with `fakescope scan FOLDER`.";
    note.appendChild(box);
  }

  function guarded(input, listener) {
    return function (event) {
      var note = noteFor(lastButton);
      var limit = note ? Number(note.dataset.maxBytes) : 0;
      var files = Array.prototype.slice.call(input.files || []);
      var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      var message = files.reduce(function (sum, f) { return sum + f.size + f.name.length + 512; }, 0);
      if (note) note.textContent = "";
      if (limit > 0 && message > limit) {
        refuse(note, files, total, limit);
        input.value = "";
        return undefined;
      }
      return listener.call(this, event);
    };
  }

  var addEventListener = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type === "change" && this instanceof HTMLInputElement && this.type === "file" &&
        typeof listener === "function") {
      listener = guarded(this, listener);
    }
    return addEventListener.call(this, type, listener, options);
  };
})();
