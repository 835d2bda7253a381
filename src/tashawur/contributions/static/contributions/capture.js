/* Offline capture (/capture/): registers the service worker, keeps each contribution and vote
 * in an IndexedDB outbox with its idempotency key, and sends it through the write API when the
 * network allows: on load, when the browser comes back online, and on "Send now".
 *
 * An item: {key, kind: "contribution" | "vote", url, body, state: "pending" | "sent" |
 * "refused", attempts, result, created, workshop, user, label, nextAt}. The key is the idempotency key
 * of every try, so a retry or a replay stores nothing new. Network errors, 5xx and 429 wait and
 * try again (2^attempts seconds, at most 60, with jitter); 401 stops and asks to sign in again
 * (the items stay); any other 4xx is "refused" with the server's message. Items stay listed
 * until the person dismisses them.
 *
 * For the tests: window.tashawurCapture = {sync(), resendSent(), outbox()}. */
(function () {
  "use strict";

  var DB_NAME = "tashawur-capture";
  var STORE = "outbox";
  var MAX_DELAY = 60;
  var RETRY_LATER = { 408: true, 429: true };

  var root = document.getElementById("capture");
  if (!root) return;

  if ("serviceWorker" in navigator && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.scope }).catch(
      function () {
        /* no worker (private mode, an old browser): the page still works online */
      }
    );
  }
  if (!window.indexedDB || !window.fetch || !window.Promise) return;

  var workshop = Number(root.dataset.workshop || 0);
  // Whose session sends: a phone shared by two people sends each one's items only as them.
  var user = Number(root.dataset.user || 0);
  var form = document.getElementById("capture-form");
  var outbox = document.getElementById("outbox");
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]");

  function t(name, values) {
    var text = root.getAttribute("data-t-" + name) || "";
    Object.keys(values || {}).forEach(function (key) {
      // Placeholders are {name}: a % in a {% translate %} string would be doubled in the catalogue.
      text = text.split("{" + key + "}").join(String(values[key]));
    });
    return text;
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      })
      .join("");
  }

  // -- the outbox in IndexedDB ---------------------------------------------------------------

  var opening = null;
  function db() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = window.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "key" });
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    }
    return opening;
  }

  function transact(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = function () {
          reject(tx.error);
        };
      });
    });
  }

  // The signed-in person's items, oldest first.
  function all() {
    return transact("readonly", function (store) {
      return store.getAll();
    }).then(function (items) {
      return (items || [])
        .filter(function (item) {
          return item.user === user;
        })
        .sort(function (a, b) {
          return a.created - b.created;
        });
    });
  }

  function put(item) {
    return transact("readwrite", function (store) {
      store.put(item);
    });
  }

  function remove(key) {
    return transact("readwrite", function (store) {
      store.delete(key);
    });
  }

  // -- sending -------------------------------------------------------------------------------

  function post(item) {
    return fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf ? csrf.value : "",
      },
      body: JSON.stringify(item.body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { status: response.status, data: data, response: response };
        });
    });
  }

  function refusalMessage(data, status) {
    var error = data && data.error;
    if (!error) return String(status);
    var parts = [error.message || error.code || String(status)];
    Object.keys(error.fields || {}).forEach(function (name) {
      parts.push(error.fields[name]);
    });
    return parts.join(" ");
  }

  function backoff(item, retryAfter) {
    item.attempts = (item.attempts || 0) + 1;
    var seconds = Math.min(MAX_DELAY, Math.pow(2, item.attempts));
    seconds = seconds / 2 + (Math.random() * seconds) / 2; // jitter: spread the retries
    if (retryAfter) seconds = Math.max(seconds, Math.min(retryAfter, 3600));
    item.nextAt = Date.now() + seconds * 1000;
  }

  var syncing = null;
  var timer = null;
  var signInNeeded = false;

  function schedule(items) {
    if (timer) window.clearTimeout(timer);
    timer = null;
    var next = items
      .filter(function (item) {
        return item.state === "pending";
      })
      .reduce(function (soonest, item) {
        return Math.min(soonest, item.nextAt || Date.now());
      }, Infinity);
    if (next !== Infinity && !signInNeeded) {
      timer = window.setTimeout(function () {
        sync(false);
      }, Math.max(1000, next - Date.now()));
    }
  }

  // Sends what waits, oldest first; ``force`` ignores the back-off (online again, "Send now").
  var rerun = null;
  function sync(force) {
    if (syncing) {
      // Something was added while sending: one more pass once this one ends.
      if (!rerun) {
        rerun = syncing.then(function () {
          rerun = null;
          return sync(true);
        });
      }
      return rerun;
    }
    if (force) signInNeeded = false;
    syncing = all()
      .then(function (items) {
        var waiting = items.filter(function (item) {
          return item.state === "pending" && (force || !item.nextAt || item.nextAt <= Date.now());
        });
        var stop = false;
        return waiting
          .reduce(function (chain, item) {
            return chain.then(function () {
              if (stop || navigator.onLine === false) return;
              return post(item).then(
                function (answer) {
                  var status = answer.status;
                  if (status >= 200 && status < 300) {
                    item.state = "sent";
                    item.result = {
                      status: status,
                      number: answer.data && answer.data.number,
                    };
                  } else if (status === 401) {
                    signInNeeded = true;
                    stop = true;
                    return;
                  } else if (status >= 500 || RETRY_LATER[status]) {
                    backoff(item, Number(answer.response.headers.get("Retry-After")) || 0);
                    item.result = { status: status, message: t("later") };
                    stop = true; // the server is busy: leave the rest for later
                  } else {
                    item.state = "refused";
                    item.result = { status: status, message: refusalMessage(answer.data, status) };
                  }
                  return put(item);
                },
                function () {
                  // No network (or it dropped): try again later, the same key.
                  backoff(item);
                  stop = true;
                  return put(item);
                }
              );
            });
          }, Promise.resolve())
          .then(all);
      })
      .then(function (items) {
        schedule(items);
        return render(items);
      })
      .finally(function () {
        syncing = null;
      });
    return syncing;
  }

  // Sends every sent item again, as a phone syncing twice would: the server answers each with
  // what it stored the first time (same key), storing nothing new.
  function resendSent() {
    return all().then(function (items) {
      return Promise.all(
        items
          .filter(function (item) {
            return item.state === "sent";
          })
          .map(function (item) {
            return post(item).then(function (answer) {
              return answer.status;
            });
          })
      );
    });
  }

  function nowWithOffset() {
    var now = new Date();
    var offset = -now.getTimezoneOffset();
    var pad = function (n) {
      return String(Math.floor(Math.abs(n))).padStart(2, "0");
    };
    var local = new Date(now.getTime() + offset * 60000).toISOString().slice(0, 19);
    return local + (offset >= 0 ? "+" : "-") + pad(offset / 60) + ":" + pad(offset % 60);
  }

  function enqueue(kind, url, body, label) {
    var key = newKey();
    body.idempotency_key = key;
    var item = {
      key: key,
      kind: kind,
      url: url,
      body: body,
      state: "pending",
      attempts: 0,
      result: null,
      created: Date.now(),
      workshop: workshop,
      user: user,
      label: label,
      nextAt: 0,
    };
    return put(item).then(function () {
      return sync(true);
    });
  }

  // -- showing the outbox --------------------------------------------------------------------

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function stateText(item) {
    if (item.state === "sent") {
      return item.result && item.result.number
        ? t("sent") + " (#" + item.result.number + ")"
        : t("sent");
    }
    if (item.state === "refused") {
      return t("refused") + " (" + ((item.result && item.result.message) || "") + ")";
    }
    return t("pending");
  }

  function render(items) {
    if (!outbox) return items;
    var mine = items.filter(function (item) {
      return !workshop || item.workshop === workshop;
    });
    var counts = { pending: 0, sent: 0, refused: 0 };
    mine.forEach(function (item) {
      counts[item.state] += 1;
    });
    outbox.hidden = false;
    ["pending", "sent", "refused"].forEach(function (state) {
      var node = outbox.querySelector('[data-capture="count-' + state + '"]');
      node.textContent = t("count-" + state, { count: counts[state] });
      node.setAttribute("data-count", String(counts[state]));
    });
    var alert = outbox.querySelector('[data-capture="alert"]');
    alert.textContent = "";
    if (signInNeeded) {
      alert.appendChild(element("span", "", t("sign-in") + " "));
      var link = element("a", "", t("sign-in-link"));
      link.href = root.dataset.loginUrl;
      alert.appendChild(link);
    } else if (navigator.onLine === false && counts.pending) {
      alert.textContent = t("offline");
    }
    alert.hidden = !alert.textContent;
    var list = outbox.querySelector('[data-capture="items"]');
    list.textContent = "";
    if (!mine.length) list.appendChild(element("li", "card muted", t("nothing")));
    mine
      .slice()
      .reverse()
      .forEach(function (item) {
        var li = element("li", "card outbox-item " + item.state);
        li.setAttribute("data-state", item.state);
        li.setAttribute("data-key", item.key);
        li.appendChild(element("p", "outbox-label", item.label));
        li.lastChild.setAttribute("dir", "auto");
        li.appendChild(element("p", "outbox-state", stateText(item)));
        if (item.state !== "pending") {
          var dismiss = element("button", "button", t("dismiss"));
          dismiss.type = "button";
          dismiss.addEventListener("click", function () {
            remove(item.key).then(all).then(render);
          });
          li.appendChild(dismiss);
        }
        list.appendChild(li);
      });
    return items;
  }

  // -- the page's forms ----------------------------------------------------------------------

  function say(text) {
    var node = form && form.querySelector('[data-capture="message"]');
    if (node) node.textContent = text;
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      var text = String(data.get("text") || "");
      var dimension = String(data.get("dimension") || "");
      var speaker = String(data.get("author") || "");
      var consent = !!form.querySelector("input[name=oral_consent]:checked");
      if (!text.trim()) return say(t("empty"));
      if (!dimension) return say(t("dimension"));
      if (speaker && !consent) return say(t("consent"));
      // When it was said: the sync may come hours later. ISO 8601 with the phone's offset.
      var body = { text: text, dimension: dimension, channel: "offline", said_at: nowWithOffset() };
      if (data.get("language")) body.language = String(data.get("language"));
      if (speaker) {
        body.speaker = Number(speaker);
        body.oral_consent = true;
      }
      var label = text.length > 140 ? text.slice(0, 140) + "…" : text;
      form.querySelector("textarea[name=text]").value = "";
      var notNamed = form.querySelector("input[name=author][value='']");
      if (notNamed) notNamed.checked = true;
      var tick = form.querySelector("input[name=oral_consent]");
      if (tick) tick.checked = false;
      say(t("kept"));
      enqueue("contribution", root.dataset.contributionsUrl, body, label);
    });
  }

  document.querySelectorAll("form.vote[data-vote-url]").forEach(function (voteForm) {
    voteForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = event.submitter;
      var value = button && button.getAttribute("data-vote");
      if (!value) return;
      voteForm.querySelectorAll("button[data-vote]").forEach(function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      var label = t("vote", { number: voteForm.dataset.number, value: t(value) });
      enqueue("vote", voteForm.dataset.voteUrl, { value: value }, label);
    });
  });

  var sendNow = outbox && outbox.querySelector('[data-capture="send-now"]');
  if (sendNow) {
    sendNow.addEventListener("click", function () {
      sync(true);
    });
  }
  window.addEventListener("online", function () {
    sync(true);
  });
  window.addEventListener("offline", function () {
    all().then(render);
  });

  window.tashawurCapture = {
    sync: function () {
      return sync(true);
    },
    resendSent: resendSent,
    outbox: all,
  };
  sync(true);
})();
