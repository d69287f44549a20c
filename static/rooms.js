// The rooms list: open the rooms one is in, join others (asking for the key
// of a private room), create a room.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const { api, announce, element } = Iclicker;

  function roomItem(room) {
    const li = element("li", { class: "room", "data-room": room.name });
    const name = room.member
      ? element("a", { href: `/rooms/${room.id}` }, room.name)
      : element("strong", {}, room.name);
    const about = element("span", { class: "muted" }, ` ${room.private ? "private" : "public"}, run by ${room.admin}`);
    li.append(name, about);
    if (room.member) return li;
    const form = element("form", { class: "row join-form" });
    if (room.private) {
      const label = element("label", { class: "grow" }, `Key for ${room.name}`);
      label.append(element("input", { name: "key", type: "password", required: "", autocomplete: "off" }));
      form.append(label);
    }
    form.append(element("button", { type: "submit" }, `Join ${room.name}`));
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        await api("POST", `/api/rooms/${room.id}/join`, room.private ? { key: form.key.value } : {});
        location.assign(`/rooms/${room.id}`);
      } catch (error) {
        $("rooms-status").textContent = error.message;
        if (form.key) { form.key.setAttribute("aria-invalid", "true"); form.key.focus(); }
      }
    };
    li.append(form);
    return li;
  }

  async function refresh() {
    const { rooms } = await api("GET", "/api/rooms");
    $("rooms").replaceChildren(...rooms.map(roomItem));
    $("no-rooms").hidden = rooms.length > 0;
  }

  $("create").onsubmit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { name: form.name.value };
    if (form.key.value) body.key = form.key.value;
    try {
      const { room } = await api("POST", "/api/rooms", body);
      location.assign(`/rooms/${room.id}`);
    } catch (error) {
      $("create-status").textContent = error.message;
      form.name.setAttribute("aria-invalid", "true");
      form.name.focus();
      announce(error.message);
    }
  };
  refresh();
})();
