// The profile page: photo (with a preview before upload), display name, password.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  $("photo-file").onchange = () => {
    const file = $("photo-file").files[0];
    if (!file) return;
    const reader = new FileReader();  // a data: URL, which the page's CSP allows
    reader.onload = () => { $("preview").src = reader.result; $("preview").hidden = false; };
    reader.readAsDataURL(file);
  };

  $("photo-form").onsubmit = async (event) => {
    event.preventDefault();
    $("photo-status").textContent = "Uploading…";
    const response = await fetch("/api/me/photo", {
      method: "POST", credentials: "same-origin",
      headers: { "X-Requested-With": "iclicker" }, body: new FormData($("photo-form")),
    });
    const data = await response.json();
    if (response.ok) { location.reload(); return; }
    $("photo-status").textContent = data.error.message;
    $("photo-file").setAttribute("aria-invalid", "true");
    $("photo-file").focus();
  };

  if ($("remove-photo")) {
    $("remove-photo").onclick = async () => {
      await Iclicker.api("DELETE", "/api/me/photo", {});
      location.reload();
    };
  }

  $("name-form").onsubmit = async (event) => {
    event.preventDefault();
    try {
      await Iclicker.api("PATCH", "/api/me", { display_name: event.target.display_name.value });
      $("name-status").textContent = "Saved.";
    } catch (error) {
      $("name-status").textContent = error.message;
    }
  };

  $("password-form").onsubmit = async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      await Iclicker.api("POST", "/api/me/password", {
        old_password: form.old_password.value, new_password: form.new_password.value,
      });
      form.reset();
      $("password-status").textContent = "Password changed; your other devices are logged out.";
    } catch (error) {
      $("password-status").textContent = error.message;
    }
  };
})();
