// Contacts with unread counts that change live (the /ws/contacts socket),
// and a search for people to add or write to.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { api, announce, avatar, element } = Iclicker;
  const contacts = new Map();

  function contactItem(contact) {
    const li = element("li", { "data-username": contact.username });
    const link = element("a", { href: `/dm/${encodeURIComponent(contact.username)}` }, contact.display_name);
    li.append(avatar(contact.photo_url, contact.display_name), link, element("span", { class: "muted" }, ` (${contact.username})`));
    if (contact.unread > 0) {
      li.append(element("span", { class: "unread" }, `${contact.unread} unread`));
    }
    const remove = element("button", { type: "button", class: "small" }, `Remove ${contact.username}`);
    remove.onclick = async () => {
      await api("DELETE", `/api/contacts/${encodeURIComponent(contact.username)}`, {});
    };
    li.append(remove);
    return li;
  }

  function render() {
    const sorted = [...contacts.values()].sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()));
    $("contacts").replaceChildren(...sorted.map(contactItem));
    $("no-contacts").hidden = sorted.length > 0;
  }

  Iclicker.connect("/ws/contacts", {
    hello(message) {
      contacts.clear();
      for (const contact of message.contacts) contacts.set(contact.username, contact);
      render();
    },
    contact(message) {
      const before = contacts.get(message.contact.username);
      contacts.set(message.contact.username, message.contact);
      render();
      if (message.contact.unread > (before ? before.unread : 0)) {
        announce(`New message from ${message.contact.display_name}.`);
      }
    },
    contact_removed(message) {
      contacts.delete(message.username);
      render();
    },
  });

  function foundItem(card) {
    const li = element("li");
    li.append(avatar(card.photo_url, card.display_name), element("span", {}, `${card.display_name} (${card.username}) `));
    const write = element("a", { href: `/dm/${encodeURIComponent(card.username)}`, class: "button-link" }, `Message ${card.username}`);
    const add = element("button", { type: "button", class: "small" }, `Add ${card.username}`);
    add.onclick = async () => {
      await api("POST", "/api/contacts", { username: card.username });
      $("find-status").textContent = `${card.username} is one of your contacts.`;
    };
    li.append(write, add);
    return li;
  }

  $("find").onsubmit = async (event) => {
    event.preventDefault();
    try {
      const { users } = await api("GET", `/api/users?q=${encodeURIComponent(event.target.q.value)}`);
      $("found").replaceChildren(...users.map(foundItem));
      $("find-status").textContent = users.length ? `${users.length} found.` : "Nobody found.";
    } catch (error) {
      $("find-status").textContent = error.message;
    }
  };
})();
