/* Check-in at a meeting's door: read the QR code on a badge with the camera, or from a photo
 * of the badge, fill the code field and send the form. The QR code holds the badge code only.
 * The browser's BarcodeDetector is used where it exists, else the vendored jsQR reads the
 * pixels. Without JavaScript the page still works: the code is typed, or the name searched. */
(function () {
  "use strict";

  var MAX_SIDE = 1280; // a phone photo is scaled down before jsQR reads it

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var panel = document.getElementById("checkin-scan");
    var form = document.getElementById("checkin-code-form");
    var field = document.getElementById("checkin-code");
    if (!panel || !form || !field) return;
    var statusLine = document.getElementById("checkin-scan-status");
    var startButton = document.getElementById("checkin-scan-start");
    var video = document.getElementById("checkin-video");
    var photo = document.getElementById("checkin-photo");
    var canvas = document.createElement("canvas");
    var detector = null;
    if ("BarcodeDetector" in window) {
      try {
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (e) {
        detector = null;
      }
    }
    var stream = null;
    var sent = false;
    panel.hidden = false;
    if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
      startButton.hidden = true;
    }

    function say(key) {
      statusLine.textContent = statusLine.getAttribute("data-" + key) || "";
    }

    function stopCamera() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
      }
      video.hidden = true;
    }

    function found(code) {
      if (sent || !code) return;
      sent = true;
      stopCamera();
      field.value = code.trim();
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    }

    /* Pixels from a video frame or an image, scaled so that the longer side is at most MAX_SIDE. */
    function pixels(source, width, height) {
      var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      return context.getImageData(0, 0, canvas.width, canvas.height);
    }

    function readWithJsQR(source, width, height) {
      if (typeof window.jsQR !== "function") return null;
      var image = pixels(source, width, height);
      var result = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: "attemptBoth"
      });
      return result ? result.data : null;
    }

    /* Resolves with the QR code's text, or null. */
    function read(source, width, height) {
      if (detector) {
        return detector.detect(source).then(function (codes) {
          return codes.length ? codes[0].rawValue : readWithJsQR(source, width, height);
        }, function () {
          return readWithJsQR(source, width, height);
        });
      }
      return Promise.resolve(readWithJsQR(source, width, height));
    }

    function scanFrame() {
      if (!stream || sent) return;
      if (video.readyState >= 2 && video.videoWidth) {
        read(video, video.videoWidth, video.videoHeight).then(function (code) {
          if (code) found(code);
          else window.setTimeout(scanFrame, 200);
        });
      } else {
        window.setTimeout(scanFrame, 200);
      }
    }

    startButton.addEventListener("click", function () {
      if (stream) return;
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          say("looking");
          return video.play();
        })
        .then(scanFrame)
        .catch(function () {
          stopCamera();
          say("nocamera");
        });
    });

    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (!file || typeof window.createImageBitmap !== "function") return;
      window
        .createImageBitmap(file)
        .then(function (bitmap) {
          return read(bitmap, bitmap.width, bitmap.height);
        })
        .then(function (code) {
          if (code) found(code);
          else say("none");
        })
        .catch(function () { say("none"); });
    });
  });
})();
