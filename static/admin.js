// The site admin page: search users, change roles, disable and enable accounts;
// list and delete chat rooms.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const me = JSON.parse($("me").textContent);
  const roles = ["student", "instructor", "admin"];

  function row(user) {
    const tr = Iclicker.element("tr", { "data-username": user.username });
    tr.append(Iclicker.element("td", {}, user.username), Iclicker.element("td", {}, user.display_name));
    const roleCell = Iclicker.element("td");
    const select = Iclicker.element("select", { "aria-label": `Role of ${user.username}` });
    for (const role of roles) {
      const option = Iclicker.element("option", { value: role }, role);
      if (role === user.role) option.selected = true;
      select.append(option);
    }
    select.disabled = user.username === me;
    select.onchange = () => update(user.username, { role: select.value });
    roleCell.append(select);
    const stateCell = Iclicker.element("td");
    const toggle = Iclicker.element(
      "button", { type: "button" }, user.disabled ? `Enable ${user.username}` : `Disable ${user.username}`,
    );
    toggle.disabled = user.username === me;
    toggle.onclick = () => update(user.username, { disabled: !user.disabled });
    stateCell.append(user.disabled ? "disabled " : "active ", toggle);
    tr.append(roleCell, stateCell);
    return tr;
  }

  async function update(username, change) {
    try {
      await Iclicker.api("POST", `/api/admin/users/${encodeURIComponent(username)}`, change);
      $("admin-status").textContent = `${username} updated.`;
    } catch (error) {
      $("admin-status").textContent = error.message;
    }
    await search();
  }

  async function search() {
    const q = $("search").q.value.trim();
    const data = await Iclicker.api("GET", "/api/admin/users" + (q ? `?q=${encodeURIComponent(q)}` : ""));
    $("users").tBodies[0].replaceChildren(...data.users.map(row));
  }

  function roomRow(room) {
    const tr = Iclicker.element("tr", { "data-room": String(room.id) });
    const name = Iclicker.element("td");
    name.append(Iclicker.element("a", { href: `/rooms/${room.id}` }, room.name));
    const remove = Iclicker.element("button", { type: "button", class: "danger" }, `Delete ${room.name}`);
    remove.onclick = async () => {
      if (!confirm(`Delete the room ${room.name} and all its messages?`)) return;
      let said;
      try {
        await Iclicker.api("DELETE", `/api/rooms/${room.id}`, {});
        said = `${room.name} deleted.`;
      } catch (error) {
        said = error.message;
      }
      await rooms();
      $("rooms-status").textContent = said;  // once the list shows it
    };
    const action = Iclicker.element("td");
    action.append(remove);
    tr.append(name, Iclicker.element("td", {}, room.private ? "private" : "public"), Iclicker.element("td", {}, room.admin), action);
    return tr;
  }

  async function rooms() {
    const data = await Iclicker.api("GET", "/api/rooms");
    $("rooms").tBodies[0].replaceChildren(...data.rooms.map(roomRow));
  }

  $("search").onsubmit = (event) => { event.preventDefault(); search(); };
  search();
  rooms();
})();
