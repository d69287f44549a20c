// A room or a conversation: history (with older pages on request), live
// messages, who is online, and an outbox. What is typed is kept (in this
// browser's storage too) until the server acknowledges it, and resent with
// the same client_id after any reconnect, so flaky Wi-Fi loses nothing and
// the server stores each message once.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { api, announce, avatar, element } = Iclicker;
  const chat = JSON.parse($("chat-data").textContent);
  const PAGE = 50;
  const IN_FLIGHT = 4;  // the server takes 8 unacknowledged messages per socket
  const ROOM_DELETED = 4001;
  const REMOVED = 4003;

  const list = $("messages");
  const scroller = $("message-log");
  const shown = new Set();
  const storageKey = `iclicker-outbox:${chat.me}:${chat.socket}`;
  let outbox = load();
  let inFlight = new Set();
  let removed = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey)) || []; } catch { return []; }
  }

  function save() {
    try { localStorage.setItem(storageKey, JSON.stringify(outbox)); } catch { /* private mode */ }
  }

  function newClientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function when(iso) {
    const date = new Date(iso);
    const time = element("time", { datetime: iso }, date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
    time.title = date.toLocaleString();
    return time;
  }

  // One message as a list item; its text is always text, never markup.
  function item(message, pending) {
    const li = element("li", { class: "message" });
    if (message.author === chat.me) li.classList.add("mine");
    const head = element("div", { class: "message-head" });
    head.append(avatar(message.photo_url, message.display_name), element("strong", {}, message.display_name), " ");
    if (pending) {
      li.classList.add("pending");
      li.dataset.clientId = message.client_id;
      head.append(element("span", { class: "muted" }, "sending…"));
    } else {
      li.dataset.id = String(message.id);
      head.append(when(message.sent_at));
    }
    li.append(head, element("p", { class: "message-text" }, message.text));
    return li;
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function append(message) {
    if (shown.has(message.id)) return;
    shown.add(message.id);
    const stick = nearBottom();
    const firstPending = list.querySelector("li.pending");
    list.insertBefore(item(message, false), firstPending);
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  }

  function showPending() {
    list.querySelectorAll("li.pending").forEach((li) => li.remove());
    for (const entry of outbox) {
      list.append(item({ ...entry, author: chat.me, display_name: "You" }, true));
    }
    scroller.scrollTop = scroller.scrollHeight;
  }

  function flush() {
    for (const entry of outbox) {
      if (inFlight.size >= IN_FLIGHT) return;
      if (inFlight.has(entry.client_id)) continue;
      if (!socket.send({ type: "message", text: entry.text, client_id: entry.client_id })) return;
      inFlight.add(entry.client_id);
    }
  }

  function settle(clientId) {
    outbox = outbox.filter((entry) => entry.client_id !== clientId);
    inFlight.delete(clientId);
    save();
    const pending = list.querySelector(`li.pending[data-client-id="${clientId}"]`);
    if (pending) pending.remove();
  }

  function showError(text) {
    $("chat-error").textContent = text;
    $("chat-error").hidden = !text;
  }

  function renderPeople(target, names) {
    target.replaceChildren(...names.map((name) => element("li", {}, name)));
  }

  const handlers = {
    hello(message) {
      list.replaceChildren();
      shown.clear();
      inFlight = new Set();
      for (const m of message.messages) append(m);
      $("older").hidden = message.messages.length < PAGE;
      renderPeople($("online"), message.online);
      showPending();
      flush();
    },
    message(message) { append(message.message); if (message.message.author !== chat.me) announce(`${message.message.display_name}: ${message.message.text}`); },
    message_ack(message) {
      append(message.message);
      settle(message.client_id);
      flush();
    },
    presence(message) { renderPeople($("online"), message.online); },
    error(message) {
      if (message.code === "rate_limited") {
        inFlight = new Set();
        setTimeout(flush, 1000);
        return;
      }
      if (message.code === "invalid_message") {
        // It can never be sent as it is: give the text back to edit.
        const [first] = outbox.filter((entry) => inFlight.has(entry.client_id));
        if (first) { $("text").value = first.text; settle(first.client_id); }
      }
      showError(message.message);
    },
    room_deleted() { removed = true; finish("This room was deleted."); },
    removed(message) {
      removed = true;
      finish(message.reason === "banned" ? "You were banned from this room." : "You left this room.");
    },
    ended(code) {
      if (code === REMOVED && !removed) location.assign("/login");  // the account was disabled
    },
  };

  function finish(text) {
    showError(text);
    announce(text);
    $("composer").querySelectorAll("textarea, button").forEach((el) => { el.disabled = true; });
    localStorage.removeItem(storageKey);
  }

  const endings = chat.kind === "room" ? { [ROOM_DELETED]: "room deleted", [REMOVED]: "removed" } : {};
  const socket = Iclicker.connect(chat.socket, handlers, endings);

  $("composer").onsubmit = (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    showError("");
    outbox.push({ client_id: newClientId(), text });
    save();
    $("text").value = "";
    showPending();
    flush();
  };
  $("text").onkeydown = (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  };

  $("older").onclick = async () => {
    const first = list.querySelector("li[data-id]");
    if (!first) return;
    const data = await api("GET", `${chat.history}?before=${first.dataset.id}&limit=${PAGE}`);
    const height = scroller.scrollHeight;
    for (const message of data.messages.slice().reverse()) {
      if (shown.has(message.id)) continue;
      shown.add(message.id);
      list.insertBefore(item(message, false), list.firstChild);
    }
    scroller.scrollTop += scroller.scrollHeight - height;
    $("older").hidden = data.messages.length < PAGE;
    announce(`${data.messages.length} older messages loaded.`);
    const oldest = list.querySelector("li[data-id]");
    if (oldest) { oldest.tabIndex = -1; oldest.focus(); }
  };

  if (chat.kind === "room") roomControls();

  // Members; for the room's admin (or a site admin) bans, lifting them, deleting.
  function roomControls() {
    const base = `/api/rooms/${chat.id}`;
    const status = (text) => { if ($("moderation-status")) $("moderation-status").textContent = text; announce(text); };

    let memberNames = new Set();

    async function refresh() {
      const { members } = await api("GET", `${base}/members`);
      memberNames = new Set(members.map((member) => member.username));
      $("members").replaceChildren(...members.map((member) => {
        const li = element("li");
        const name = member.display_name === member.username ? member.username : `${member.display_name} (${member.username})`;
        li.append(avatar(member.photo_url, member.display_name), element("span", {}, `${name}${member.admin ? ", admin" : ""}`));
        if (chat.moderate && !member.admin) {
          const ban = element("button", { type: "button", class: "small" }, `Ban ${member.username}`);
          ban.onclick = async () => {
            await api("POST", `${base}/bans`, { username: member.username });
            status(`${member.username} is banned.`);
            refresh();
          };
          li.append(ban);
        }
        return li;
      }));
      if (!chat.moderate) return;
      const { bans } = await api("GET", `${base}/bans`);
      $("bans").replaceChildren(...bans.map((username) => {
        const li = element("li", {}, username + " ");
        const lift = element("button", { type: "button", class: "small" }, `Lift ban on ${username}`);
        lift.onclick = async () => {
          await api("DELETE", `${base}/bans/${encodeURIComponent(username)}`, {});
          status(`The ban on ${username} is lifted.`);
          refresh();
        };
        li.append(lift);
        return li;
      }));
      if (!bans.length) $("bans").replaceChildren(element("li", { class: "muted" }, "Nobody is banned."));
    }

    if ($("delete-room")) {
      $("delete-room").onclick = async () => {
        if (!confirm("Delete this room and all its messages?")) return;
        await api("DELETE", base, {});
        location.assign("/rooms");
      };
    }
    if ($("leave-room")) {
      $("leave-room").onclick = async () => {
        await api("POST", `${base}/leave`, {});
        location.assign("/rooms");
      };
    }
    refresh();
    // Someone online who is not in the list has joined since: read it again
    // (only then, so a big room does not fetch its members on every change).
    handlers.presence = (message) => {
      renderPeople($("online"), message.online);
      if (message.online.some((name) => !memberNames.has(name))) refresh();
    };
  }
})();
