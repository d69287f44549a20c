// The course page's spreadsheet uploads: sent to the JSON API with the
// upload header; every bad line is listed next to the form and takes focus.
"use strict";

(() => {
  for (const form of document.querySelectorAll("form.upload")) {
    const result = form.querySelector(".upload-result");
    form.onsubmit = async (event) => {
      event.preventDefault();
      result.replaceChildren();
      const response = await fetch(form.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Requested-With": "iclicker" },
        body: new FormData(form),
      });
      const data = await response.json();
      if (response.ok) {
        location.reload();
        return;
      }
      const box = document.createElement("div");
      box.className = "alert";
      box.setAttribute("role", "alert");
      const message = document.createElement("p");
      message.textContent = data.error.message;
      box.append(message);
      if (data.error.lines) {
        const list = document.createElement("ul");
        list.className = "line-errors";
        for (const line of data.error.lines) {
          const item = document.createElement("li");
          item.textContent = `Line ${line.line}: ${line.message}`;
          list.append(item);
        }
        box.append(list);
      }
      result.append(box);
      form.querySelector("input[type=file]").setAttribute("aria-invalid", "true");
      result.focus();
    };
  }
})();
