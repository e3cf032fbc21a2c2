/* Lara web chat: one script tag on a brand's site gives its visitors a chat.
 *
 *   <script src="https://lara.example/chat/widget.js" data-channel="site-chat" async></script>
 *
 * The widget talks to the Lara that served this script: it starts (or resumes)
 * a session, keeps the signed visitor token in localStorage, posts each
 * message with its own client id (so a retry after a lost answer is stored
 * once) and listens on an EventSource for the brand's replies, reconnecting
 * with a fresh stream ticket whenever the server ends the stream. It lives in
 * a shadow root so the host page's styles cannot break it, and every text a
 * person wrote is put in the page with textContent, never as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="/chat/widget.js"][data-channel]');
  if (!script || !window.fetch || !window.EventSource) return;
  var channel = script.getAttribute("data-channel");
  if (!channel || script.hasAttribute("data-lara-started")) return;
  script.setAttribute("data-lara-started", "");

  var base = script.src.replace(/\/chat\/widget\.js([?#].*)?$/, "");
  var api = base + "/chat/" + encodeURIComponent(channel);
  var storeKey = "lara-chat:" + base + ":" + channel;
  var lang = (document.documentElement.lang || navigator.language || "en").slice(0, 2).toLowerCase();
  var TEXTS = {
    en: { open: "Chat with us", title: "Chat", close: "Close chat", label: "Your message", send: "Send",
      you: "You:", us: "Reply:", unread: "(new reply)", failed: "Not sent. Check your connection and try again.",
      tooLong: "Your message is too long." },
    he: { open: "צ'אט איתנו", title: "צ'אט", close: "סגירת הצ'אט", label: "ההודעה שלך", send: "שליחה",
      you: "את/ה:", us: "תשובה:", unread: "(תשובה חדשה)", failed: "לא נשלח. בדקו את החיבור ונסו שוב.",
      tooLong: "ההודעה ארוכה מדי." },
    ru: { open: "Написать нам", title: "Чат", close: "Закрыть чат", label: "Ваше сообщение", send: "Отправить",
      you: "Вы:", us: "Ответ:", unread: "(новый ответ)", failed: "Не отправлено. Проверьте соединение и попробуйте ещё раз.",
      tooLong: "Сообщение слишком длинное." },
    uk: { open: "Написати нам", title: "Чат", close: "Закрити чат", label: "Ваше повідомлення", send: "Надіслати",
      you: "Ви:", us: "Відповідь:", unread: "(нова відповідь)", failed: "Не надіслано. Перевірте з'єднання та спробуйте ще раз.",
      tooLong: "Повідомлення задовге." }
  };
  var T = TEXTS[lang] || TEXTS.en;

  var token = load();
  var ticket = "";
  var maxLength = 4000;
  var lastId = 0;
  var seen = {};
  var pending = {};
  var sessionPromise = null;
  var source = null;
  var failures = 0;

  function load() {
    try { return window.localStorage.getItem(storeKey) || ""; } catch (e) { return ""; }
  }
  function save(value) {
    try {
      if (value) window.localStorage.setItem(storeKey, value);
      else window.localStorage.removeItem(storeKey);
    } catch (e) { /* storage blocked: the session lasts as long as the page */ }
  }
  function uid() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  // --- the interface --------------------------------------------------------------------------
  var host = el("div", { "data-lara-chat": channel });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  style.textContent = [
    ":host{--lara-brand:#0b6e4f;all:initial}",
    ".wrap{position:fixed;bottom:16px;inset-inline-end:16px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;font:15px/1.4 system-ui,sans-serif;color:#1b1b1b}",
    "button{font:inherit;cursor:pointer}",
    ".launcher{background:var(--lara-brand);color:#fff;border:0;border-radius:24px;padding:10px 18px;box-shadow:0 2px 8px #0004}",
    ".launcher:focus-visible,.send:focus-visible,.close:focus-visible,textarea:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}",
    ".panel{width:min(340px,calc(100vw - 32px));height:min(460px,calc(100vh - 96px));background:#fff;border-radius:10px;",
    "box-shadow:0 4px 24px #0005;display:flex;flex-direction:column;overflow:hidden;margin-bottom:10px}",
    ".panel[hidden]{display:none}",
    "header{background:var(--lara-brand);color:#fff;display:flex;align-items:center;justify-content:space-between;padding:8px 12px}",
    "h2{font-size:16px;margin:0}",
    ".close{background:transparent;color:#fff;border:0;font-size:20px;line-height:1;padding:2px 6px}",
    "ol{list-style:none;margin:0;padding:10px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:6px}",
    "li{max-width:85%;padding:6px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}",
    "li.out,li.greeting{align-self:flex-start;background:#eef1f4}",
    "li.in{align-self:flex-end;background:var(--lara-brand);color:#fff}",
    "li.pending{opacity:.7}li.failed{outline:2px solid #c01c28}",
    "p{margin:0}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #ddd;align-items:flex-end}",
    "textarea{flex:1;resize:none;font:inherit;padding:6px;border:1px solid #888;border-radius:6px;min-height:2.6em}",
    ".send{background:var(--lara-brand);color:#fff;border:0;border-radius:6px;padding:8px 12px}",
    ".status{font-size:13px;color:#c01c28;padding:0 10px}",
    ".status:empty{display:none}"
  ].join("");
  var wrap = el("div", { "class": "wrap", dir: lang === "he" ? "rtl" : "ltr", lang: lang });
  var panel = el("section", { "class": "panel", role: "dialog", "aria-labelledby": "lara-chat-title", id: "lara-chat-panel" });
  panel.hidden = true;
  var header = el("header");
  header.appendChild(el("h2", { id: "lara-chat-title" }, T.title));
  var closeButton = el("button", { type: "button", "class": "close", "aria-label": T.close }, "×");
  header.appendChild(closeButton);
  var log = el("ol", { role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-labelledby": "lara-chat-title" });
  var status = el("p", { "class": "status", role: "status" });
  var form = el("form");
  var label = el("label", { "for": "lara-chat-text", "class": "sr" }, T.label);
  var textarea = el("textarea", { id: "lara-chat-text", rows: "2", maxlength: String(maxLength), dir: "auto" });
  var sendButton = el("button", { type: "submit", "class": "send" }, T.send);
  form.appendChild(label);
  form.appendChild(textarea);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false", "aria-controls": "lara-chat-panel" });
  var launcherText = el("span", null, T.open);
  var unread = el("span", { "class": "sr" });
  launcher.appendChild(launcherText);
  launcher.appendChild(unread);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(style);
  root.appendChild(wrap);

  function line(kind, text, who) {
    var item = el("li", { "class": kind });
    if (who) item.appendChild(el("span", { "class": "sr" }, who + " "));
    item.appendChild(el("p", { dir: "auto" }, text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }
  function show(message) {
    if (!message || seen[message.id]) return;
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var mine = message.direction === "in";
    var item = mine && pending[message.client_id];
    if (item) {
      delete pending[message.client_id];
      item.classList.remove("pending", "failed");
    } else {
      line(mine ? "in" : "out", message.text, mine ? T.you : T.us);
    }
    if (!mine && panel.hidden) unread.textContent = " " + T.unread;
  }
  function brand(data) {
    if (data.brand_color && /^#([0-9a-f]{3}){1,2}$/i.test(data.brand_color)) {
      host.style.setProperty("--lara-brand", data.brand_color);
    }
    if (data.greeting && !log.querySelector(".greeting")) {
      var greeting = el("li", { "class": "greeting" });
      greeting.appendChild(el("p", { dir: "auto" }, data.greeting));
      log.insertBefore(greeting, log.firstChild);
    }
    if (data.max_length) {
      maxLength = data.max_length;
      textarea.setAttribute("maxlength", String(maxLength));
    }
  }

  // --- talking to Lara ------------------------------------------------------------------------
  function call(method, url, body, auth) {
    var headers = {};
    if (body) headers["Content-Type"] = "application/json";
    if (auth) headers.Authorization = "Bearer " + token;
    return fetch(url, {
      method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      mode: "cors", credentials: "omit", cache: "no-store"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "HTTP " + response.status);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }
  function session() {
    if (!sessionPromise) {
      sessionPromise = call("POST", api + "/sessions", { token: token }, false).then(function (data) {
        token = data.token;
        ticket = data.stream_ticket;
        save(token);
        brand(data);
        return data;
      }, function (error) { sessionPromise = null; throw error; });
    }
    return sessionPromise;
  }
  function history() {
    return call("GET", api + "/messages?after=" + lastId, null, true).then(function (data) {
      (data.messages || []).forEach(show);
    });
  }
  function listen() {
    if (source) source.close();
    source = new EventSource(api + "/stream?ticket=" + encodeURIComponent(ticket) + "&after=" + lastId);
    source.addEventListener("message", function (event) {
      try { show(JSON.parse(event.data)); } catch (e) { /* a frame we do not know */ }
    });
    source.addEventListener("open", function () {
      failures = 0;
      host.setAttribute("data-live", "open");
    });
    source.addEventListener("error", function () {
      // The server ends every stream after a while, and tickets expire: resume the
      // session for a fresh ticket, then listen again from the last message we have.
      source.close();
      source = null;
      host.setAttribute("data-live", "reconnecting");
      failures += 1;
      window.setTimeout(reconnect, Math.min(30000, 500 * Math.pow(2, Math.min(failures, 6))));
    });
  }
  function reconnect() {
    sessionPromise = null;
    session().then(history).then(listen, function () {
      failures += 1;
      window.setTimeout(reconnect, Math.min(30000, 500 * Math.pow(2, Math.min(failures, 6))));
    });
  }
  var started = null;
  function start() {
    if (!started) {
      started = session().then(history).then(listen, function (error) {
        started = null;
        status.textContent = error.message;
      });
    }
    return started;
  }

  function deliver(clientId, text, item, attempt) {
    session().then(function () {
      return call("POST", api + "/messages", { client_id: clientId, text: text, page: location.href }, true);
    }).then(function (data) {
      status.textContent = "";
      show(data.message);
    }, function (error) {
      if (error.status === 403 && attempt === 0) {
        // The session expired or the token was lost: begin a new one and send again.
        token = "";
        save("");
        sessionPromise = null;
        started = null;
        start();
        return deliver(clientId, text, item, attempt + 1);
      }
      if (!error.status && attempt < 3) {  // the network: the same client id makes a retry safe
        window.setTimeout(function () { deliver(clientId, text, item, attempt + 1); }, 1000 * Math.pow(2, attempt));
        return;
      }
      item.classList.add("failed");
      status.textContent = error.status ? error.message : T.failed;
    });
  }
  function send() {
    var text = textarea.value.trim();
    if (!text) return;
    if (text.length > maxLength) {
      status.textContent = T.tooLong;
      return;
    }
    var clientId = uid();
    pending[clientId] = line("in pending", text, T.you);
    textarea.value = "";
    deliver(clientId, text, pending[clientId], 0);
  }

  // --- behaviour ------------------------------------------------------------------------------
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    unread.textContent = "";
    start();
    textarea.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  window.addEventListener("pagehide", function () { if (source) source.close(); });

  function mount() {
    document.body.appendChild(host);
    if (token) start();  // a returning visitor: show the conversation and hear replies at once
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
