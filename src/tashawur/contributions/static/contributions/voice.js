/* Voice notes on the workshop's contribution form: record with the browser's MediaRecorder,
 * see the time, stop, listen, discard; the recording fills the form's own file field (name
 * "audio"), so the form sends it as if a file had been chosen, with or without HTMX.
 * The recorder stops by itself at the longest length the platform accepts. Without JavaScript
 * or MediaRecorder, the file field alone lets a phone record with its own app. */
(function () {
  "use strict";

  // The types the platform accepts, in the order a browser is asked for them.
  var TYPES = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"];

  function supported() {
    return !!(
      window.MediaRecorder &&
      navigator.mediaDevices &&
      navigator.mediaDevices.getUserMedia &&
      window.DataTransfer
    );
  }

  function pickType() {
    if (typeof window.MediaRecorder.isTypeSupported !== "function") return "";
    for (var i = 0; i < TYPES.length; i++) {
      if (window.MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";
  }

  function extension(type) {
    if (type.indexOf("ogg") !== -1) return ".ogg";
    if (type.indexOf("mp4") !== -1) return ".m4a";
    return ".webm";
  }

  function clock(seconds) {
    var s = Math.floor(seconds % 60);
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  // A recording sent with a form that came back with an error (no dimension chosen, say):
  // carried over to the form HTMX swaps in, so that nobody has to speak again.
  var kept = null;

  function setUp(panel) {
    if (panel.getAttribute("data-voice-ready") === "1") return;
    panel.setAttribute("data-voice-ready", "1");
    var field = panel.parentNode.querySelector('input[type="file"][name="audio"]');
    if (!field) return;
    // The page holds the three buttons and the translated messages; the rest is made here.
    var buttons = panel.querySelectorAll("button");
    var recordButton = buttons[0];
    var stopButton = buttons[1];
    var discardButton = buttons[2];
    var timer = document.createElement("span");
    timer.className = "voice-timer";
    timer.hidden = true;
    var playback = document.createElement("audio");
    playback.controls = true;
    playback.hidden = true;
    var statusLine = document.createElement("p");
    statusLine.className = "muted";
    statusLine.setAttribute("aria-live", "polite");
    panel.insertBefore(timer, discardButton);
    panel.insertBefore(playback, discardButton);
    panel.appendChild(statusLine);
    var maxSeconds = parseInt(panel.getAttribute("data-max"), 10) || 300;
    var recorder = null;
    var stream = null;
    var chunks = [];
    var started = 0;
    var ticking = null;
    var reachedLimit = false;
    var url = null;

    function say(key) {
      statusLine.textContent = key ? panel.getAttribute("data-" + key) || "" : "";
    }

    function release() {
      if (ticking) window.clearInterval(ticking);
      ticking = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }

    function clear() {
      if (url) URL.revokeObjectURL(url);
      url = null;
      field.value = "";
      playback.removeAttribute("src");
      playback.hidden = true;
      discardButton.hidden = true;
      timer.hidden = true;
      recordButton.hidden = false;
    }

    function tick() {
      var elapsed = (Date.now() - started) / 1000;
      timer.textContent = clock(elapsed);
      if (elapsed >= maxSeconds && recorder && recorder.state === "recording") {
        reachedLimit = true;
        recorder.stop();
      }
    }

    function finished() {
      release();
      stopButton.hidden = true;
      var type = (recorder && recorder.mimeType) || (chunks[0] && chunks[0].type) || "audio/webm";
      var blob = new Blob(chunks, { type: type.split(";")[0] });
      chunks = [];
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "voice" + extension(type), { type: blob.type }));
      field.files = transfer.files;
      url = URL.createObjectURL(blob);
      playback.src = url;
      playback.hidden = false;
      discardButton.hidden = false;
      say(reachedLimit ? "limit" : "");
    }

    recordButton.addEventListener("click", function () {
      clear();
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
        stream = media;
        var type = pickType();
        recorder = type ? new window.MediaRecorder(media, { mimeType: type })
          : new window.MediaRecorder(media);
        chunks = [];
        reachedLimit = false;
        recorder.addEventListener("dataavailable", function (event) {
          if (event.data && event.data.size) chunks.push(event.data);
        });
        recorder.addEventListener("stop", finished);
        recorder.start(1000);
        started = Date.now();
        timer.textContent = clock(0);
        timer.hidden = false;
        recordButton.hidden = true;
        stopButton.hidden = false;
        ticking = window.setInterval(tick, 250);
        say("");
        stopButton.focus();
      }).catch(function () {
        release();
        say("denied");
      });
    });

    stopButton.addEventListener("click", function () {
      if (recorder && recorder.state === "recording") recorder.stop();
    });

    discardButton.addEventListener("click", function () {
      clear();
      say("");
      recordButton.focus();
    });

    if (kept && kept.length) {
      field.files = kept;
      url = URL.createObjectURL(kept[0]);
      playback.src = url;
      playback.hidden = false;
      discardButton.hidden = false;
    }
    kept = null;
    panel.hidden = false;
  }

  function scan(root) {
    if (!supported()) return;
    var scope = root && root.querySelectorAll ? root : document;
    var panels = scope.querySelectorAll(".voice-recorder");
    for (var i = 0; i < panels.length; i++) setUp(panels[i]);
    if (scope.matches && scope.matches(".voice-recorder")) setUp(scope);
  }

  if (document.readyState !== "loading") scan(document);
  else document.addEventListener("DOMContentLoaded", function () { scan(document); });
  // A form HTMX swaps in (the fresh one after sending, or one with its errors) gets its own.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.target;
    var field = form && form.querySelector && form.querySelector('input[type="file"][name="audio"]');
    kept = null;
    if (event.detail.xhr.status >= 400 && field && field.files.length) {
      kept = new DataTransfer(); // a copy: the old field's own list goes with it
      kept.items.add(field.files[0]);
      kept = kept.files;
    }
  });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
